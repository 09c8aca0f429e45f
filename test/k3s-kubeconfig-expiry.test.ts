import { describe, expect, it } from "vitest";
import { clientCertificateExpiry, kubeconfigExpiryWarning } from "../components/cluster/k3s/kubeconfig-expiry";

// A self-signed client certificate (CN=system:admin, O=system:masters) valid until 2036-11-26T23:22:54Z,
// made with openssl for this test; its key was thrown away.
const certificate = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJXekNDQVFFQ0ZHL0hwTlB1cXJDUjNaR2dMcUZWZFJOZVRzR2NNQW9HQ0NxR1NNNDlCQU1DTURBeEZ6QVYKQmdOVkJBb01Ebk41YzNSbGJUcHRZWE4wWlhKek1SVXdFd1lEVlFRRERBeHplWE4wWlcwNllXUnRhVzR3SGhjTgpNall4TVRJNU1qTXlNalUwV2hjTk16WXhNVEkyTWpNeU1qVTBXakF3TVJjd0ZRWURWUVFLREE1emVYTjBaVzA2CmJXRnpkR1Z5Y3pFVk1CTUdBMVVFQXd3TWMzbHpkR1Z0T21Ga2JXbHVNRmt3RXdZSEtvWkl6ajBDQVFZSUtvWkkKemowREFRY0RRZ0FFMGpSZHlVQlkxUkE4bXJEZ3RwQ3ZoODhyK0VDb2hYUHloRlMvNmNvZFNoZzBkWlk1VGs0SQpBSFlwSVpmV0pvTVkvYTRYRmtWWDNHM3JPbDMxa1FaSEZ6QUtCZ2dxaGtqT1BRUURBZ05JQURCRkFpRUFucllBCjJGMFNtRExINElGZitQMzgweGV4Smt2eWkrMHNmUnpiaG9DMHlPY0NJQ0NiY1NpcWY0WnZQWDgrMXVQcUdJYXYKeitzS2JCaWYwYkh4N01HUHkzVDcKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
const kubeconfig = [
  "apiVersion: v1",
  "clusters:",
  "- cluster:",
  "    certificate-authority-data: LS0t",
  "    server: https://192.0.2.11:6443",
  "  name: default",
  "users:",
  "- name: default",
  "  user:",
  `    client-certificate-data: ${certificate}`,
  "    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t",
].join("\n");
const expiry = new Date("2036-11-26T23:22:54Z");
const daysBefore = (days: number) => new Date(expiry.getTime() - days * 86_400_000);

describe("the stored k3s admin kubeconfig does not expire silently", () => {
  it("reads the client certificate's expiry", () => {
    expect(clientCertificateExpiry(kubeconfig)).toEqual(expiry);
    expect(clientCertificateExpiry("apiVersion: v1\nusers: []")).toBeUndefined();
    expect(clientCertificateExpiry("    client-certificate-data: bm90IGEgY2VydA==")).toBeUndefined();
  });

  it("says nothing while more than 90 days are left (before k3s would renew it on restart)", () => {
    expect(kubeconfigExpiryWarning(kubeconfig, daysBefore(91), "llm-k3s-lab-k3s-kubeconfig")).toBeUndefined();
  });

  it("warns within 90 days, naming the date, the fix and the command to replace, and no key material", () => {
    const warning = kubeconfigExpiryWarning(kubeconfig, daysBefore(12), "llm-k3s-lab-k3s-kubeconfig")!;
    expect(warning).toMatch(/expires on 2036-11-26T23:22:54\.000Z \(in 12 days\)/);
    expect(warning).toMatch(/systemctl restart k3s .*pulumi up --replace '<urn of llm-k3s-lab-k3s-kubeconfig>'/);
    expect(warning).not.toContain(certificate.slice(0, 40));
    expect(warning).not.toContain("LS0tLS1CRUdJTiBFQyBQUklWQVRF");
  });

  it("says when it has already expired", () => {
    expect(kubeconfigExpiryWarning(kubeconfig, new Date("2037-01-05T00:00:00Z"), "x")).toMatch(/expired on 2036-11-26T23:22:54\.000Z, and then every Kubernetes update fails with Unauthorized/);
  });
});
