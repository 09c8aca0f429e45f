import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chartReadme, valuesTable, withValuesTable } from "../scripts/lib/chart-docs";
import { configReferencePage, withConfigReference } from "../scripts/lib/config-docs";
import { repoRoot, stackNames } from "../scripts/lib/stack-file";
import { synthStack } from "./support/synth";
import { anchors, brokenLinks, configKeyPaths, docPages, missingNpmScripts, missingPaths, unknownConfigKeys, unlinkedPages } from "./support/docs-check";

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const readme = read("README.md");
const pages = docPages();
const keys = configKeyPaths();
/** Pages of issue #21 that its own branch adds; README and the docs index link them already. */
const pendingPages = ["docs/model-lifecycle.md"] as const;

describe("the README, the front door", () => {
  it("stays short: at most 200 lines", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(200);
  });

  it("links every page in docs/", () => {
    expect(pages.filter((page) => page.startsWith("docs/")).length).toBeGreaterThanOrEqual(15);
    expect(unlinkedPages(readme, pages)).toEqual([]);
  });

  it("documents the test command that .ci/run runs, and the install command", () => {
    expect(read(".ci/run")).toMatch(/^npm test$/m);
    expect(read(".ci/run")).toMatch(/^npm ci /m);
    expect(readme).toMatch(/^npm ci\nnpm test /m);
  });

  it("runs the quick start's own commands in its five-minute path", () => {
    const block = /## The short path to an answer[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const quickStart = read("docs/quick-start.md").split("\n").map((line) => line.trim());
    for (const line of block.split("\n").filter(Boolean)) expect(quickStart, line).toContain(line.trim());
  });
});

describe.each(pages)("%s", (page) => {
  const text = read(page);
  it("names only npm scripts, repository paths and config keys that exist, and links only to what exists", () => {
    expect(missingNpmScripts(text)).toEqual([]);
    expect(missingPaths(text)).toEqual([]);
    // The chart's README names chart values, not stack config.
    if (!page.startsWith("charts/")) expect(unknownConfigKeys(text, keys)).toEqual([]);
    expect(brokenLinks(text, page, pendingPages)).toEqual([]);
  });
});

describe("the generated references", () => {
  it(`${configReferencePage} is generated from the current schema (run npm run docs:config)`, () => {
    const page = read(configReferencePage);
    expect(withConfigReference(page)).toBe(page);
  });

  it(`${chartReadme} has the values table generated from values.yaml and values.schema.json (run npm run docs:chart)`, () => {
    const page = read(chartReadme);
    expect(withValuesTable(page)).toBe(page);
    expect(page).toMatch(/^\| `model\.name` \| string \| \*\*required\*\* \|/m);
  });

  it("the values table takes each key's comment, the schema's type, and lists schema keys values.yaml leaves unset", () => {
    const schema = {
      properties: {
        replicas: { type: "integer", minimum: 1 },
        model: { type: "object", properties: { name: { type: "string", minLength: 1 }, labels: { type: "object" } } },
        global: { type: "object", description: "Reserved by Helm." },
      },
    };
    const table = valuesTable("# Header of the file.\n\n# -- Pods when autoscaling is off.\nreplicas: 1\nmodel:\n  # -- The Hub id.\n  name: \"\"\n  labels: {a: b}\n", schema);
    expect(table.split("\n").slice(2)).toEqual([
      "| `replicas` | integer (>= 1) | `1` | Pods when autoscaling is off. |",
      "| `model.name` | string | **required** | The Hub id. |",
      '| `model.labels` | object | `{"a":"b"}` |  |',
      "| `global` | object | unset | Reserved by Helm. |",
    ]);
  });
});

describe("the outputs page", () => {
  it("lists exactly the outputs the committed stacks export", async () => {
    const documented = [...read("docs/outputs.md").matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]!);
    const exported = new Set<string>();
    for (const stack of stackNames()) for (const output of Object.keys((await synthStack(stack)).outputs)) exported.add(output);
    expect([...exported].sort()).toEqual([...documented].sort());
  });
});

describe("the operations page", () => {
  it("raises an EKS node group's minSize in two steps that work with ignoreChanges: AWS first, then a refreshing up", () => {
    // Pulumi sends the desired size in its state for an ignored property; only a refresh brings AWS's back.
    const page = read("docs/operations.md");
    const start = page.indexOf("**Raising a node group's `minSize`.**");
    const section = page.slice(start, page.indexOf("\n\n", start));
    expect(section).toMatch(/aws eks update-nodegroup-config --cluster-name <cluster> --nodegroup-name <group>\s+--scaling-config desiredSize=<new minSize>/);
    expect(section).toMatch(/then `pulumi up --refresh`/);
  });
});

describe("the docs checks fail on wrong docs", () => {
  it("an npm script, a path, a config key, a link or an anchor that does not exist", () => {
    expect(missingNpmScripts("run `npm run docs:config`, then `npm run deploy-everything`")).toEqual(["npm run deploy-everything: no such script in package.json"]);
    expect(missingPaths("see `components/versions.ts` and `components/cluster/nope.ts`; `nvidia.com/gpu` is a label; `Pulumi.staging.yaml`")).toEqual([
      "components/cluster/nope.ts: no such file or folder",
      "Pulumi.staging.yaml: no such file or folder",
    ]);
    expect(
      unknownConfigKeys(
        "`addons.ingress.replicas`, `addons.ingress.replica`, `llm-platform:modles`, `models[].engine`, `models[0].engin`, `gpuPools[].localStorage`, `gpuPools[].nope`, `image.tag`\n" +
          "pulumi config set --path 'serving.consumers[0].nam' x",
        keys,
      ),
    ).toEqual([
      "addons.ingress.replica: no such config key",
      "llm-platform:modles: no such config key",
      "models[0].engin: no such config key",
      "gpuPools[].nope: no such config key",
      "llm-platform:serving.consumers[0].nam: no such config key",
    ]);
    expect(brokenLinks("[ops](operations.md#scaling) [gone](gone.md) [bad](operations.md#no-such-heading) [web](https://example.com)", "docs/x.md")).toEqual([
      "docs/x.md: link to gone.md: docs/gone.md does not exist",
      "docs/x.md: link to operations.md#no-such-heading: no heading #no-such-heading in docs/operations.md",
    ]);
    expect(brokenLinks("[later](canary.md)", "docs/README.md", pendingPages)).toEqual([]);
    expect(unlinkedPages("[a](docs/a.md)", ["README.md", "docs/a.md", "docs/b.md"])).toEqual(["docs/b.md is not linked from README.md"]);
    expect(anchors("## Quick start: an answer\n### `npm test` (2 min)")).toEqual(new Set(["quick-start-an-answer", "npm-test-2-min"]));
  });
});
