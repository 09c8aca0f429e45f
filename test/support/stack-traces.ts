/**
 * A vitest setup file. Vitest maps every stack trace in a worker through the source maps of the files
 * it transformed, frame by frame, and the Pulumi SDK captures a whole stack for each resource it
 * registers (its source position, sent to the engine) and for each of its promises (for leak reports).
 * Synthesizing a stack so formats tens of thousands of traces: the mapping was a fifth of the workers'
 * CPU, and formatting the frames at all a fifth of each synth. The mock monitor ignores source
 * positions and a test run reports no leaks, so those captures (an Error without a message, made in
 * the SDK) get no frames. Every other stack, the SDK's own errors with a message included (a missing
 * config value, say), is still mapped to the TypeScript line.
 */
type PrepareStackTrace = ((error: Error, callSites: NodeJS.CallSite[]) => unknown) & { [marker]?: true };

const marker = Symbol.for("llm-platform.sdk-stack-traces");

const installed = Error.prepareStackTrace as PrepareStackTrace | undefined;
// A worker runs many test files (isolate: false), each running this file: wrap vitest's handler once.
if (installed && !installed[marker]) {
  const mapped = installed;
  const sdkFile = /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]/;
  const withoutSdkFrames: PrepareStackTrace = (error, callSites) =>
    error.message === "" && sdkFile.test(callSites[0]?.getFileName() ?? "") ? String(error) : mapped(error, callSites);
  withoutSdkFrames[marker] = true;
  Error.prepareStackTrace = withoutSdkFrames;
}
