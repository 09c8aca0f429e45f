import { describe, expect, it } from "vitest";
import { charts } from "../components/versions";
import { unknownValueKeys, valuePaths } from "./support/chart-keys";

describe("the chart values key check", () => {
  it("lists every leaf path, treating lists and empty maps as leaves", () => {
    expect(valuePaths({ a: { b: 1, c: [1, 2], d: {} } })).toEqual([["a", "b"], ["a", "c"], ["a", "d"]]);
  });

  it("rejects a misspelled key and accepts keys under open maps, free-form maps and template-only keys", () => {
    expect(unknownValueKeys(charts.certManager, { crds: { enabeld: true } })).toEqual(["crds.enabeld"]);
    expect(unknownValueKeys(charts.argoWorkflows, { server: { ingress: { annotations: { "any/key": "x" } } } })).toEqual([]);
    expect(unknownValueKeys(charts.argoCd, { configs: { params: { "server.insecure": true, "any.key": 1 } } })).toEqual([]);
    expect(unknownValueKeys(charts.argoCd, { configs: { secrets: {} } })).toEqual(["configs.secrets"]);
  });
});
