import { loadConfig } from "./stacks/config";
import { createPlatform } from "./stacks/platform";

// Validation runs before any resource is registered: bad config never leaves a half-built stack.
// The default export's properties become the stack outputs.
export default createPlatform(loadConfig());
