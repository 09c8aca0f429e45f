import { X509Certificate } from "node:crypto";

/**
 * Warn this many days before the stored admin kubeconfig's client certificate expires: from then on a
 * restart of k3s renews it (k3s's own window, which also raises its expiry event).
 */
export const expiryWarningDays = 90;

/** When the client certificate of a k3s kubeconfig (`client-certificate-data`) expires, if it has one. */
export function clientCertificateExpiry(kubeconfig: string): Date | undefined {
  const data = /^\s*client-certificate-data:\s*(\S+)\s*$/m.exec(kubeconfig)?.[1];
  if (!data) return undefined;
  try {
    return new Date(new X509Certificate(Buffer.from(data, "base64")).validTo);
  } catch {
    return undefined;
  }
}

/**
 * k3s signs the admin client certificate for 365 days and renews it only when k3s starts within 90 days
 * of expiry; the program reads the kubeconfig when the first server's command is (re)created. So that
 * the credential never lapses silently, every run checks it and says what to do. Holds no secret.
 */
export function kubeconfigExpiryWarning(kubeconfig: string, now: Date, kubeconfigCommand: string): string | undefined {
  const expires = clientCertificateExpiry(kubeconfig);
  if (!expires) return undefined;
  const days = Math.floor((expires.getTime() - now.getTime()) / 86_400_000);
  if (days > expiryWarningDays) return undefined;
  const when = days < 0 ? `expired on ${expires.toISOString()}` : `expires on ${expires.toISOString()} (in ${days} days)`;
  return `the admin kubeconfig this stack stored from the first k3s server ${when}, and then every Kubernetes update fails with Unauthorized. ` +
    `Restart k3s on the first server (systemctl restart k3s renews certificates within 90 days of expiry), then read the new one: pulumi up --replace '<urn of ${kubeconfigCommand}>' (pulumi stack --show-urns)`;
}
