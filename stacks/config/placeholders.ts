import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./schema";
import { cidrsOverlap } from "./rules-gke";
import { keyPath } from "./validate";

/**
 * The committed stack files are examples: documentation-only CIDRs and addresses (RFC 5737), the AWS
 * documentation account and example domains (RFC 2606). They synthesize, but a real deployment with
 * them would lock Pulumi out of its own cluster, grant nobody or ask Let's Encrypt for example.com.
 */
const documentationRanges = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
const exampleAccount = "123456789012";
const exampleDomain = /(^|\.)example\.(com|org|net)$/;

export interface Placeholder {
  readonly path: (string | number)[];
  readonly value: string;
  /** What to put there instead. */
  readonly replaceWith: string;
}

const isDocumentationCidr = (value: string) => documentationRanges.some((range) => cidrsOverlap(value.includes("/") ? value : `${value}/32`, range));
const isIpv4 = (value: string) => /^\d+\.\d+\.\d+\.\d+$/.test(value);

/** Every example value left in a validated config; pure, so each committed stack file can be checked. */
export function findPlaceholders(config: PlatformConfig): Placeholder[] {
  const found: Placeholder[] = [];
  const check = (path: Placeholder["path"], value: string | undefined, isExample: (value: string) => boolean, replaceWith: string) => {
    if (value !== undefined && isExample(value)) found.push({ path, value, replaceWith });
  };
  const exampleArn = (value: string) => value.includes(`::${exampleAccount}:`);
  const cidrs = (key: string, values: readonly string[], replaceWith: string) =>
    values.forEach((value, index) => check(["cluster", key, index], value, isDocumentationCidr, replaceWith));

  check(["domain"], config.domain, (value) => exampleDomain.test(value), "a DNS zone you control");
  check(["tls", "acmeEmail"], config.tls.acmeEmail, (value) => exampleDomain.test(value.split("@")[1] ?? ""), "a mailbox that reads Let's Encrypt expiry notices");
  const { cluster } = config;
  switch (cluster.provider) {
    case "eks":
      cidrs("publicAccessCidrs", cluster.publicAccessCidrs, "the egress CIDRs of where Pulumi runs (office, VPN, CI runners)");
      cidrs("privateAccessCidrs", cluster.privateAccessCidrs, "the network Pulumi runs from, routed into the VPC");
      cluster.adminRoleArns.forEach((arn, index) => check(["cluster", "adminRoleArns", index], arn, exampleArn, "an IAM role of your account"));
      check(["cluster", "deployerRoleArn"], cluster.deployerRoleArn, exampleArn, "the IAM role your CI and operators assume to run pulumi up");
      break;
    case "gke":
      check(["cluster", "projectNumber"], cluster.projectNumber, (value) => value === exampleAccount, "gcloud projects describe <project> --format='value(projectNumber)'");
      cluster.authorizedNetworks.forEach((entry, index) =>
        check(["cluster", "authorizedNetworks", index, "cidr"], entry.cidr, isDocumentationCidr, "the egress CIDRs of your office, VPN or CI runners"));
      break;
    case "k3s":
      if (cluster.mode === "provision") {
        const hostAddress = (value: string) => isIpv4(value) && isDocumentationCidr(value);
        for (const role of ["servers", "agents"] as const) {
          cluster[role].forEach((host, index) => {
            check(["cluster", role, index, "address"], host.address, hostAddress, "your host's address");
            check(["cluster", role, index, "hostKey"], host.hostKey, (value) => value.includes("EXAMPLE"), "the line ssh-keyscan -t ed25519 <address> prints");
          });
        }
        check(["cluster", "apiAddress"], cluster.apiAddress, hostAddress, "the address of your API (a VIP or DNS name)");
      }
      break;
  }
  return found;
}

export const describePlaceholder = (placeholder: Placeholder): string =>
  `${keyPath(placeholder.path)}: ${placeholder.value} is an example value of the committed stack file; replace it with ${placeholder.replaceWith}`;

/** "synth": mocks or tests; "preview" and "up": the Pulumi engine runs the program for real. */
export type RunKind = "synth" | "preview" | "up";

/**
 * The language host hands a real program the engine's monitor address in PULUMI_NODEJS_MONITOR; mocks
 * (tests, `npm run synth`) never set it. A dry run of the real engine is a preview.
 */
export function currentRunKind(): RunKind {
  if (!process.env.PULUMI_NODEJS_MONITOR) return "synth";
  return pulumi.runtime.isDryRun() ? "preview" : "up";
}
