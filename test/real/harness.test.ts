import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gpuNodeConventions } from "../../components/cluster/types";
import { startApiServer, type ApiServer } from "./support/apiserver";
import { startChartRepo } from "./support/chart-repo";
import { createFakeNodes, fakeNodeNames, startKwok, type Kwok } from "./support/kwok";
import { startStandInOperators } from "./support/operators";
import { requireRealTool } from "./support/tools";

describe("the real-checks harness", () => {
  it("serves the pinned charts as a Helm repository on loopback, and nothing outside that folder", async () => {
    const repo = await startChartRepo();
    try {
      expect(repo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const index = await fetch(`${repo.url}/index.yaml`);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain("kube-prometheus-stack");
      expect((await fetch(`${repo.url}/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    } finally {
      await repo.stop();
    }
  });

  describe("a control plane with kwok nodes", () => {
    let api: ApiServer;
    let kwok: Kwok;
    const kubectl = (...args: string[]) =>
      execFileSync(requireRealTool("kubectl"), ["--kubeconfig", api.kubeconfigPath, ...args], { encoding: "utf8" });

    beforeAll(async () => {
      api = await startApiServer();
      kwok = await startKwok(api.kubeconfigPath);
    });
    afterAll(async () => {
      await kwok?.stop();
      await api?.stop();
    });

    it("answers as a cluster admin on loopback", () => {
      expect(api.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(kubectl("auth", "can-i", "*", "*", "--all-namespaces").trim()).toBe("yes");
      expect(kubectl("version", "-o", "json")).toContain('"gitVersion": "v1.34.3"');
    });

    it("brings a GPU node up Ready, advertising nvidia.com/gpu with the GPU pool's label and taint", async () => {
      createFakeNodes(api.kubeconfigPath, { gpuPool: "l4", gpus: 2 });
      const deadline = Date.now() + 60_000;
      let node: { metadata: { labels: Record<string, string> }; spec: { taints: object[] }; status: { allocatable: Record<string, string>; conditions?: { type: string; status: string }[] } };
      for (;;) {
        node = JSON.parse(kubectl("get", "node", fakeNodeNames.gpu, "-o", "json")) as typeof node;
        if (node.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) break;
        if (Date.now() > deadline) throw new Error(`${fakeNodeNames.gpu} never became Ready: ${JSON.stringify(node.status)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(node.metadata.labels[gpuNodeConventions.poolLabel]).toBe("l4");
      expect(node.spec.taints).toEqual([gpuNodeConventions.taint]);
      expect(node.status.allocatable["nvidia.com/gpu"]).toBe("2");
    });

    it("gives a LoadBalancer Service an address, as k3s's ServiceLB would, and leaves other Services alone", async () => {
      const service = (name: string, type: string) => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: "default" },
        spec: { type, selector: { app: name }, ports: [{ port: 80 }] },
      });
      execFileSync(requireRealTool("kubectl"), ["--kubeconfig", api.kubeconfigPath, "create", "-f", "-"], {
        input: [service("front-door", "LoadBalancer"), service("inside", "ClusterIP")].map((object) => JSON.stringify(object)).join("\n"),
      });
      const operators = startStandInOperators(api.kubeconfigPath);
      try {
        const deadline = Date.now() + 30_000;
        const address = () => kubectl("get", "service", "front-door", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}").trim();
        while (address() === "" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
        expect(address()).toBe("127.0.0.1");
        expect(kubectl("get", "service", "inside", "-o", "jsonpath={.status.loadBalancer}").trim()).toBe("{}");
      } finally {
        await operators.stop();
      }
    });
  });
});
