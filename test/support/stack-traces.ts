/**
 * A vitest setup file. Vitest maps every stack trace in a worker through the source maps of the files
 * it transformed, frame by frame, and the Pulumi SDK captures a whole stack for each resource it
 * registers (its source position, sent to the engine) and for each of its promises (for leak reports).
 * Synthesizing a stack so formats tens of thousands of traces: the mapping was a fifth of the workers'
 * CPU, and formatting the frames at all a fifth of each synth. The mock monitor ignores source
 * positions and a test run reports no leaks, so an error the SDK creates gets its message as its
 * stack, without frames. Every other stack (a failed assertion, an error the program throws) is still
 * mapped to the TypeScript line.
 */
type PrepareStackTrace = ((error: Error, callSites: NodeJS.CallSite[]) => unknown) & { [marker]?: true };

const marker = Symbol.for("llm-platform.sdk-stack-traces");

const installed = Error.prepareStackTrace as PrepareStackTrace | undefined;
// A worker runs many test files (isolate: false), each running this file: wrap vitest's handler once.
if (installed && !installed[marker]) {
  const mapped = installed;
  const withoutSdkFrames: PrepareStackTrace = (error, callSites) =>
    (callSites[0]?.getFileName() ?? "").includes("/node_modules/@pulumi/pulumi/") ? String(error) : mapped(error, callSites);
  withoutSdkFrames[marker] = true;
  Error.prepareStackTrace = withoutSdkFrames;
}
