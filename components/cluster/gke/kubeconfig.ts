/** What a kubeconfig for a GKE cluster needs; the credentials come from gcloud at use time. */
export interface GkeKubeconfigArgs {
  readonly clusterName: string;
  /** Host name (the control plane's DNS endpoint) or IP of the control plane. */
  readonly endpoint: string;
  /**
   * Base64 PEM, as GKE returns it in masterAuth, for an IP endpoint. Omitted for the DNS endpoint, which
   * serves a publicly trusted certificate.
   */
  readonly caCertificate?: string;
}

/**
 * A kubeconfig that holds no credential: `gke-gcloud-auth-plugin` fetches a short-lived token from the
 * caller's gcloud login, so the file expires with nobody's access. Rendered as JSON, which kubectl reads.
 */
export function gkeKubeconfig(args: GkeKubeconfigArgs): string {
  const name = args.clusterName;
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name,
        cluster: { server: `https://${args.endpoint}`, ...(args.caCertificate ? { "certificate-authority-data": args.caCertificate } : {}) },
      }],
      users: [
        {
          name,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "gke-gcloud-auth-plugin",
              installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
              provideClusterInfo: true,
              interactiveMode: "Never",
            },
          },
        },
      ],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
    },
    null,
    2,
  );
}
