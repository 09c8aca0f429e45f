import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { SynthResult } from "../scripts/lib/synthesize";
import { kubernetesVersions } from "../components/versions";
import { platformSchema } from "../stacks/config/schema";
import { repoRoot, servingObjects as renderServing, synthStack } from "./support/synth";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The quick start page (docs/quick-start.md), which the README's 5-minute path points to. */
const quickStart = readFileSync(join(repoRoot, "docs", "quick-start.md"), "utf8");
const start = quickStart.indexOf("# Quick start");
const all = (pattern: RegExp) => [...quickStart.matchAll(pattern)].map((match) => match[1]!);

let local: SynthResult;
let servingObjects: Obj[];
beforeAll(async () => {
  local = await synthStack("local");
  servingObjects = renderServing(local) as Obj[];
});

describe("the quick start (docs/quick-start.md)", () => {
  it("exists, and ends in a chat completion with curl and the OpenAI Python SDK", () => {
    expect(start).toBe(0);
    expect(quickStart).toContain("/chat/completions");
    expect(quickStart).toContain("client.chat.completions.create(");
  });

  it("names only npm scripts the project has", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: object }).scripts);
    const named = all(/npm run ([\w:-]+)/g);
    for (const script of named) expect(scripts, script).toContain(script);
    expect(quickStart).toContain("npm ci");
    expect(existsSync(join(repoRoot, "package-lock.json"))).toBe(true);
  });

  it("names only files that exist in the project", () => {
    const paths = all(/`([\w.-]+(?:\/[\w.-]+)+|Pulumi\.[\w-]+\.yaml)`/g).filter((path) => !path.startsWith("/") && /\.(ts|yaml|json|md)$|^[a-z]+\//.test(path));
    expect(paths).toEqual(expect.arrayContaining(["Pulumi.local.yaml", "test/local-sizing.test.ts"]));
    for (const path of paths) expect(existsSync(join(repoRoot, path)), path).toBe(true);
  });

  it("sets only config keys the schema knows, and names stack outputs the local stack has", () => {
    const keys = Object.keys(platformSchema.shape);
    const setKeys = all(/pulumi config set (?:--secret )?([\w.]+)/g);
    expect(setKeys).toEqual(["kubeconfig"]);
    for (const key of [...setKeys, ...all(/`(tls\.issuer)`/g).map((path) => path.split(".")[0]!)]) expect(keys, key).toContain(key);
    const outputs = all(/pulumi stack output (\w+)/g);
    expect(new Set(outputs)).toEqual(new Set(["llmApiUrl", "llmApiKey", "llmModels", "caCertificate"]));
    for (const output of outputs) expect(local.outputs, output).toHaveProperty(output);
    expect(local.outputs.llmApiKey).toBe("[secret]");
  });

  it("uses the local stack's own names: model, host, and the private CA whose certificate clients trust", () => {
    const [model] = local.outputs.llmModels as string[];
    expect(quickStart).toContain(`"model": "${model}"`);
    expect(quickStart).toContain(`model="${model}"`);
    expect(quickStart).toContain(`# ${String(local.outputs.llmApiUrl)}`);
    const ingress = servingObjects.find((object) => object.kind === "Ingress")!;
    const tls = ingress.spec.tls[0];
    expect(quickStart).toContain(`127.0.0.1 ${String(tls.hosts[0])}`);
    // The host's certificate comes from the CA issuer; the file curl and the SDK trust is that CA's.
    expect(ingress.metadata.annotations).toMatchObject({ "cert-manager.io/cluster-issuer": "llm-platform-private-ca" });
    const caFile = /pulumi stack output caCertificate > (\S+)/.exec(quickStart)![1]!;
    expect(quickStart).toContain(`curl --cacert ${caFile} `);
    expect(quickStart).toContain(`cafile="${caFile}"`);
  });

  it("creates the k3d cluster with the ports the ingress controller's LoadBalancer Service takes", () => {
    const create = /k3d cluster create (\S+) (.*)/.exec(quickStart)!;
    expect(create[2]).toContain('-p "80:80@loadbalancer"');
    expect(create[2]).toContain('-p "443:443@loadbalancer"');
    expect(create[2]).toContain('--k3s-arg "--disable=traefik@server:0"');
    // k3d's default k3s follows the k3d release (1.27 on k3d 5.6): pin the version the platform is checked on.
    expect(create[2]).toContain(`--image rancher/k3s:${kubernetesVersions.k3s[0].replace("+", "-")}`);
    const stackComment = readFileSync(join(repoRoot, "Pulumi.local.yaml"), "utf8");
    expect(stackComment).toContain(`k3d cluster create ${create[1]!} ${create[2]!}`);
    for (const context of all(/--context (\S+)/g)) expect(context).toBe(`k3d-${create[1]!}`);
    expect(quickStart).toContain(`k3d kubeconfig get ${create[1]!}`);
    const stackFile = parse(readFileSync(join(repoRoot, "Pulumi.local.yaml"), "utf8")) as { config: Obj };
    expect(stackFile.config["llm-platform:addons"].ingress.serviceType ?? "LoadBalancer").toBe("LoadBalancer");
  });
});
