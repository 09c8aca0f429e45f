import Ajv from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./synth";

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

/**
 * The API server prunes fields a structural schema does not list, so a misspelled field is dropped
 * without an error. Here every object schema with listed properties is closed, so a misspelling fails.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== "object") return schema;
  const entries = Object.fromEntries(Object.entries(schema as Record<string, unknown>).map(([key, value]) => [key, closed(value)]));
  const open = entries.additionalProperties !== undefined || entries["x-kubernetes-preserve-unknown-fields"] === true;
  return entries.properties && !open ? { ...entries, additionalProperties: false } : entries;
}

/** A validator for one CRD version's schema in test/fixtures/crds (written by scripts/crd-fixture.ts), closed. */
export const crdSchema = (file: string) => ajv.compile(closed(JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "crds", file), "utf8"))) as object);

/** Throws with the schema's complaints, naming the object, when it does not match. */
export function assertMatchesCrd(validate: ReturnType<typeof crdSchema>, object: Record<string, unknown>): void {
  const name = `${String(object.kind)} ${String((object.metadata as { name?: string } | undefined)?.name)}`;
  if (!validate(object)) throw new Error(`${name}: ${ajv.errorsText(validate.errors)}`);
}
