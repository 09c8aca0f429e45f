import { loadConfig } from "./stacks/config";
import { createPlatform } from "./stacks/platform";

// Validation runs before any resource is registered: bad config never leaves a half-built stack.
// The Node.js language host requires this CommonJS module and makes each property of module.exports a
// stack output, so the outputs object is module.exports itself (`export default` would nest every output
// under one output named "default").
export = createPlatform(loadConfig());
