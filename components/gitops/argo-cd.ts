import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { chartRelease } from "../addons/chart-release";
import { gatewayRoute, helmName, usesIngressObjects } from "../ingress/route";
import type { IngressLayer, IngressRouting } from "../ingress/types";
import { charts } from "../versions";

export interface AppOfApps {
  readonly repoUrl: string;
  readonly path: string;
  readonly targetRevision: string;
}

export interface ArgoCdArgs {
  readonly provider: k8s.Provider;
  /** Serves the UI and API at `ingress.host("argocd")` with TLS; without it, reach Argo CD by port-forward. */
  readonly ingress?: IngressLayer;
  /** Optional root Application that syncs every Application found in a git path. */
  readonly appOfApps?: AppOfApps;
  /** @default "argocd" */
  readonly namespace?: string;
}

/**
 * When the admin password was last set, as Argo CD records it. Without it the chart stamps the
 * render time, so every values change would log everyone out. The password's generator is keyed on
 * it: bumping this date is how to rotate the password, and the new date then ends older sessions.
 */
export const adminPasswordMtime = "2026-11-01T00:00:00Z";

/** Chart values; pure, so tests can check every key against the pinned chart. */
export function argoCdValues(
  ingress: IngressRouting | undefined,
  adminPasswordBcrypt: pulumi.Input<string>,
): Record<string, unknown> {
  const host = ingress?.host("argocd");
  return {
    ...(host ? { global: { domain: host } } : {}),
    configs: {
      // TLS terminates at the ingress controller; argocd-server behind it speaks plain HTTP, or
      // nginx would have to re-encrypt to a self-signed backend certificate for nothing.
      params: { "server.insecure": true },
      secret: { argocdServerAdminPassword: adminPasswordBcrypt, argocdServerAdminPasswordMtime: adminPasswordMtime },
      // Anyone who logs in without a matching policy line may look, never change.
      rbac: { "policy.default": "role:readonly" },
    },
    // No SSO connector is configured, so Dex would be an idle pod with cluster credentials.
    dex: { enabled: false },
    server: {
      // Behind the Gateway the program's own HTTPRoute takes the Ingress's place.
      ingress: host && usesIngressObjects(ingress)
        ? {
            enabled: true,
            ingressClassName: ingress.className,
            hostname: host,
            annotations: ingress.tls(host).annotations,
            extraTls: [{ hosts: [host], secretName: ingress.tls(host).secretName }],
          }
        : { enabled: false },
    },
  };
}

/** The root Application of an app-of-apps layout; pure. */
export function rootApplication(appOfApps: AppOfApps, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "root", namespace },
    spec: {
      project: "default",
      source: { repoURL: appOfApps.repoUrl, path: appOfApps.path, targetRevision: appOfApps.targetRevision },
      // The child Applications live next to Argo CD; they name their own destinations.
      destination: { server: "https://kubernetes.default.svc", namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

/**
 * Argo CD, with a generated admin password (bcrypt-hashed for the chart, exposed only as a secret),
 * read-only default RBAC, and the UI behind the ingress with TLS.
 */
export class ArgoCd extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  /** `https://<host>`, or undefined without an ingress. */
  readonly url?: pulumi.Output<string>;
  /** Secret. */
  readonly adminPassword: pulumi.Output<string>;

  constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:gitops:ArgoCd", name, {}, opts);
    const namespaceName = args.namespace ?? "argocd";
    // The random provider comes from the parent chain (stacks/platform.ts passes it as `providers`).
    const password = new random.RandomPassword(
      `${name}-admin-password`,
      { length: 24, special: false, keepers: { mtime: adminPasswordMtime } },
      { parent: this },
    );
    this.adminPassword = pulumi.secret(password.result);
    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: namespaceName } },
      { parent: this, provider: args.provider },
    );
    this.release = chartRelease(
      `${name}-release`,
      charts.argoCd,
      { namespace: namespace.metadata.name, values: argoCdValues(args.ingress, pulumi.secret(password.bcryptHash)) },
      // The chart's Ingress needs the ingress controller's admission webhook to answer.
      { parent: this, provider: args.provider, dependsOn: usesIngressObjects(args.ingress) ? [args.ingress.ready] : [] },
    );
    if (args.ingress) {
      // argocd-server serves plain HTTP on port 80 (server.insecure); the chart names it <release>-server.
      const service = helmName(`${name}-release-server`);
      gatewayRoute(`${name}-route`, args.ingress, { namespace: namespace.metadata.name, service, port: 80, host: args.ingress.host("argocd") }, { parent: this, provider: args.provider });
    }
    if (args.appOfApps) {
      const root = rootApplication(args.appOfApps, namespaceName);
      new k8s.apiextensions.CustomResource(
        `${name}-root-app`,
        { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: root.metadata as object, spec: root.spec as object },
        // Needs the Application CRD, which the release installs.
        { parent: this, provider: args.provider, dependsOn: [this.release] },
      );
    }
    if (args.ingress) this.url = pulumi.output(`https://${args.ingress.host("argocd")}`);
    this.registerOutputs({ url: this.url, adminPassword: this.adminPassword });
  }
}
