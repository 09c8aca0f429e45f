/*
 * Credentials pasted into plain config values. A plain value lands in plaintext in the state, in
 * resource inputs and in manifests, so a token there is refused and pointed at a secret config key.
 */

type Segment = string | number;

export interface LeakedCredential {
  readonly path: Segment[];
  /** The value with the credential masked, safe to print. */
  readonly shown: string;
  readonly message: string;
}

interface Pattern {
  readonly what: string;
  readonly pattern: RegExp;
  /** The secret config key that holds this kind of credential, if the platform has one. */
  readonly secretKey?: string;
}

const patterns: Pattern[] = [
  { what: "a Hugging Face token", pattern: /\bhf_[A-Za-z0-9]{20,}/g, secretKey: "hfToken" },
  { what: "a Slack or Discord webhook URL", pattern: /https:\/\/(hooks\.slack\.com\/services|(?:canary\.|ptb\.)?discord(?:app)?\.com\/api\/webhooks)\/\S+/g, secretKey: "notifyWebhookUrl" },
  { what: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*/g, secretKey: "sshPrivateKey" },
  { what: "an AWS access key", pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g },
  { what: "a GitHub token", pattern: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g },
  { what: "a Slack token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  // user:password@ in any URL, and any user@ in an http(s) URL (a token used as the user name).
  { what: "credentials in the URL", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]+:[^\s/@]+@/gi },
  { what: "credentials in the URL", pattern: /\bhttps?:\/\/[^\s/@]+@/gi },
  { what: "a credential in the URL's query", pattern: /[?&](access_token|token|api[_-]?key|apikey|key|sig|signature|password|secret|x-amz-signature|x-amz-credential)=[^&\s]+/gi },
];

const secretKeysText = "hfToken, notifyWebhookUrl, kubeconfig, sshPrivateKey";

function mask(text: string, pattern: RegExp): string {
  return text.replace(pattern, (match) => {
    const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^\s/]*@/i.exec(match);
    if (userinfo) return `${userinfo[1]}***@`;
    const query = /^([?&][^=]+=)/.exec(match);
    if (query) return `${query[1]}***`;
    return `${match.slice(0, 4)}***`;
  });
}

function check(text: string, path: Segment[], found: LeakedCredential[]): void {
  for (const { what, pattern, secretKey } of patterns) {
    pattern.lastIndex = 0;
    if (!pattern.test(text)) continue;
    const shown = JSON.stringify(mask(text, pattern)).slice(0, 80);
    const where = secretKey
      ? `put it in the secret config key ${secretKey} (pulumi config set --secret ${secretKey} <value>) and remove it here`
      : `remove it: no config value may carry it. Credentials live only in secret config keys (${secretKeysText}) or in Secrets you manage outside the stack`;
    found.push({ path, shown, message: `${what} in a plain value lands in plaintext in the state, resource inputs and manifests; ${where}` });
    return;
  }
}

function walk(value: unknown, path: Segment[], found: LeakedCredential[]): void {
  if (typeof value === "string") check(value, path, found);
  else if (Array.isArray(value)) value.forEach((item, index) => walk(item, [...path, index], found));
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key], found);
  }
}

/** Credentials found in the plain (non-secret) config keys of `data`. */
export function findLeakedCredentials(data: Record<string, unknown>, secretKeys: readonly string[]): LeakedCredential[] {
  const found: LeakedCredential[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!secretKeys.includes(key)) walk(value, [key], found);
  }
  return found;
}
