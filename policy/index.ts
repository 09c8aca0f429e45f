import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// Run by `pulumi preview|up --policy-pack policy`; every violation blocks the operation.
new PolicyPack("llm-platform", { enforcementLevel: "mandatory", policies });
