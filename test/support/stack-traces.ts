/**
 * A vitest setup file. Vitest maps every stack trace in a worker through the source maps of the files
 * it transformed, frame by frame. The Pulumi SDK captures a whole stack for each resource it registers
 * (its source position) and for each of its promises (leak reports), so synthesizing a stack formats
 * tens of thousands of traces, and the mapping was a fifth of the workers' CPU. Under the mocks nothing
 * reads those traces, so the SDK's own captures get V8's plain format; every other stack (a failed
 * assertion, an error the program throws) is still mapped to the TypeScript line.
 */
type PrepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]) => unknown;

const marker = Symbol.for("llm-platform.plain-sdk-stack-traces");

const installed = Error.prepareStackTrace as (PrepareStackTrace & { [marker]?: true }) | undefined;
if (installed && !installed[marker]) {
  const mapped = installed;
  const plain: PrepareStackTrace & { [marker]?: true } = (error, callSites) => {
    const capturedBy = callSites[0]?.getFileName() ?? "";
    if (!capturedBy.includes("/node_modules/@pulumi/pulumi/")) return mapped(error, callSites);
    return `${String(error)}${callSites.map((site) => `\n    at ${String(site)}`).join("")}`;
  };
  plain[marker] = true;
  Error.prepareStackTrace = plain;
}
