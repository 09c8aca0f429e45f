import { z } from "zod";
import { addons } from "./addons";
import { eksCluster } from "./cluster-eks";
import { gkeCluster } from "./cluster-gke";
import { k3sCluster } from "./cluster-k3s";
import { dnsLabel, positiveInt } from "./common";
import { models } from "./models";
import { hostname } from "./names";
import { checkCrossFieldRules } from "./rules";

/** The Pulumi project name; every config key is `llm-platform:<key>`. */
export const projectName = "llm-platform";

/** Config keys that hold credentials: they must be set with `pulumi config set --secret`. */
export const secretKeys = ["kubeconfig", "sshPrivateKey", "hfToken", "notifyWebhookUrl"] as const;
export type SecretKey = (typeof secretKeys)[number];


/** A Helm repository URL: index.yaml is fetched from `<url>/index.yaml`, so no query or fragment. */
const chartMirror = z
  // Pulumi's Helm releases read `<repo>/index.yaml`; an OCI registry has none.
  .url({ protocol: /^https?$/, error: "an http(s) Helm repository URL such as https://charts.example.internal/llm-platform (an OCI registry, oci://, serves no index.yaml)" })
  .refine((url) => !/[?#]/.test(url), "an http(s) Helm repository URL without a query or fragment, such as https://charts.example.internal/llm-platform");

/**
 * Everything a stack can set. Each top-level property is one config key in Pulumi.<stack>.yaml.
 * Defaults live here, so that `npm run docs:config` can show them.
 */
export const platformSchema = z
  .strictObject({
    environment: z.enum(["dev", "staging", "prod"]).describe("Drives the safe defaults and the rules prod must satisfy."),
    cluster: z.discriminatedUnion("provider", [eksCluster, gkeCluster, k3sCluster]).describe("Where the cluster comes from and its node pools."),
    domain: hostname
      .refine((domain) => domain.length <= 222, "a DNS name of at most 222 characters, so that <service>.<domain> (service names up to 30) stays within DNS's 253")
      .describe("Base DNS name; every exposed host is `<service>.<domain>`."),
    // Pulumi hands top-level scalars to the program as strings, so `true` arrives as "true".
    allowEnvironmentNotMatchingStackName: z
      .literal("true")
      .optional()
      .describe("Override: lets a stack whose name says prod run with another environment (or the reverse). Without it that mismatch is an error, since environment switches every prod rule on or off."),
    tls: z
      .strictObject({
        issuer: z.enum(["letsencrypt", "letsencrypt-staging", "private-ca"]).default("private-ca").describe("\"letsencrypt\" needs a public domain and acmeEmail; \"private-ca\" signs with the stack's own CA (output caCertificate)."),
        acmeEmail: z.email().optional(),
      })
      .prefault({}),
    addons,
    models: models.describe("Models served by the LLM serving chart, one release each."),
    serving: z
      .strictObject({
        consumers: z
          .array(
            z.strictObject({
              name: dnsLabel.describe("Consumer name: its key's id, forwarded to the models as x-llm-consumer."),
              tokensPerHour: positiveInt.optional().describe("Token budget (prompt plus completion) per hour; over it the consumer gets 429. Unset: unlimited."),
              requestsPerMinute: positiveInt.optional().describe("Requests per minute; over it the consumer gets 429. Unset: unlimited."),
            }),
          )
          .default([])
          .describe("Who may call the LLM API at https://api.<domain>/v1, each with its own key (stack output llmApiKeys). Needs the envoy-gateway front door."),
      })
      .prefault({}),
    kubeconfig: z
      .string()
      .min(1)
      // A path works only on the machine that set it (and never in CI); the provider needs the contents.
      .regex(/(^|\n)\s*"?(apiVersion|clusters)"?\s*:/, 'a kubeconfig\'s contents (YAML with apiVersion and clusters), not its path: pulumi config set --secret kubeconfig "$(cat path/to/kubeconfig)"')
      .optional().describe("Secret: kubeconfig of an existing cluster (cluster.provider k3s, mode existing)."),
    sshPrivateKey: z
      .string()
      .min(1)
      .regex(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, "an SSH private key (the file starting -----BEGIN OPENSSH PRIVATE KEY-----), not the public key (.pub) or its path: cat ~/.ssh/id_ed25519 | pulumi config set --secret sshPrivateKey --")
      .optional().describe("Secret: SSH private key for the hosts of a k3s cluster in mode provision."),
    hfToken: z.string().min(1).optional().describe("Secret: Hugging Face token for gated models."),
    notifyWebhookUrl: z.url({ protocol: /^https$/, error: "an https:// webhook URL (Slack or Discord compatible)" }).optional().describe("Secret: Slack- or Discord-compatible webhook the pipeline posts failures to and Alertmanager sends alerts to."),
    chartMirror: chartMirror.optional().describe(
      "Helm repository (http or https URL) that serves every pinned chart; each remote chart is fetched from it instead of its upstream repository. For air-gapped clusters.",
    ),
  })
  .superRefine(checkCrossFieldRules);

export type PlatformConfig = z.infer<typeof platformSchema>;
export type ClusterConfig = PlatformConfig["cluster"];
