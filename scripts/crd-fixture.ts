/**
 * Writes test/fixtures/crds/<kind>-<version>.schema.json: the openAPIV3Schema of one CRD from a pinned
 * chart archive, for tests that validate the program's custom resources offline (CI has no chart
 * archives). `description` fields are dropped to keep the fixtures small; nothing else changes.
 * Usage: tsx scripts/crd-fixture.ts <chart.tgz> <file in the archive> <CRD name>
 *   e.g. gateway-crds-helm-v1.9.0.tgz gateway-crds-helm/templates/generated/gateway.envoyproxy.io_envoyproxies.yaml envoyproxies.gateway.envoyproxy.io
 * A CRD file that does not parse as it is (cert-manager's are Helm templates) is rendered, with the chart's own defaults plus
 * `--set crds.enabled=true`, so the fixture is what the chart installs.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "./lib/stack-file";

interface Crd {
  kind: string;
  metadata: { name: string };
  spec: { names: { kind: string }; versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: unknown } }[] };
}

function withoutDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (!schema || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema as Record<string, unknown>)
      // A property named "description" stays: only the documentation strings go.
      .filter(([key, value]) => !(key === "description" && typeof value === "string"))
      .map(([key, value]) => [key, withoutDescriptions(value)]),
  );
}

const [archive, file, crdName] = process.argv.slice(2);
if (!archive || !file || !crdName) throw new Error("usage: tsx scripts/crd-fixture.ts <chart.tgz> <file in the archive> <CRD name>");
const findCrd = (text: string) =>
  parseAllDocuments(text)
    .map((document) => document.toJS() as Crd | null)
    .find((object) => object?.kind === "CustomResourceDefinition" && object.metadata.name === crdName);
const render = () =>
  execFileSync("helm", ["template", "crd-fixture", archive, "--set", "crds.enabled=true", "--show-only", file.split("/").slice(1).join("/")], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
// Most CRD files parse as they are in the archive; cert-manager's are Helm templates and parse only rendered.
const crd = findCrd(execFileSync("tar", ["-xzOf", archive, file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })) ?? findCrd(render());
if (!crd) throw new Error(`${crdName} is not in ${file}`);
const version = crd.spec.versions.find((candidate) => candidate.storage)!;
const schema = {
  $comment: `openAPIV3Schema of CRD ${crdName} (${crd.spec.names.kind}), version ${version.name}, from ${basename(archive)} ${file}; descriptions removed (scripts/crd-fixture.ts)`,
  ...(withoutDescriptions(version.schema.openAPIV3Schema) as object),
};
const out = join(repoRoot, "test", "fixtures", "crds", `${crd.spec.names.kind.toLowerCase()}-${version.name}.schema.json`);
writeFileSync(out, `${JSON.stringify(schema)}\n`);
console.log(`wrote ${out}`);
