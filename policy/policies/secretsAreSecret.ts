// secrets-are-secret
//
// How the pack sees whether a value is secret (researched in @pulumi/policy 1.21 and the Pulumi
// engine; a plain validateResource cannot):
//  - The engine sends props to every analyzer RPC with secret markers kept (MarshalProperties
//    KeepSecrets: true), but server.js deserializes them for Analyze and AnalyzeStack with
//    `proxySecrets = false`: `args.props` in validateResource/validateStack are plain values,
//    secret or not. A stack policy cannot tell a secret stdin from a plaintext one.
//  - The stack's config is not available either: the engine's ConfigureStack RPC does carry the
//    config and its secret keys, but @pulumi/policy keeps only the stack tags; `getConfig()` is
//    the policy pack's own config.
//  - The Remediate RPC, however, deserializes with `proxySecrets = true`: each secret value is a
//    `Secret` object behind the `secretsPreservingProxy`, which unwraps it on `get`. Neither proxy
//    defines a `getOwnPropertyDescriptor` trap, so `Object.getOwnPropertyDescriptor(props, key)`
//    returns the raw value - a `Secret` exactly when the input is secret.
// So this policy runs at enforcement level "remediate": its remediateResource (called by the
// engine for every resource before the analysis, during `pulumi preview` and `pulumi up`) finds
// plaintext secrets and changes nothing; its validateResource, called next for the same URN in
// the same process, reports them, and the pack turns "remediate" into "mandatory" for reported
// violations, so the preview fails. Keep the level at "remediate": at any other level the engine
// does not call the remediation and the policy sees nothing.
//
// What counts as a plaintext secret (the value is never printed):
//  - keepalived `auth_pass <x>`, MariaDB `IDENTIFIED BY|VIA|WITH`, `PASSWORD(`, and a PEM
//    `PRIVATE KEY` block in any non-secret string input (a remote.Command's stdin/create/
//    environment, a CVM's userData, ...);
//  - a non-secret `password`, `privateKey`, `privateKeyPassword`, `secretKey` input;
//  - the value of iam-ha:vrrpAuthPass / iam-ha:dbPassword / iam-ha:sshPrivateKey /
//    tencentcloud:secretKey inside a non-secret input. The CLI hands the pack the stack's
//    decrypted config as PULUMI_CONFIG (the nodejs language host's policy proxy sets it), with no
//    secret flags; values shorter than 8 characters are skipped to avoid false matches.
// The stack file side is the CLI's job: Pulumi.yaml declares those keys `secret: true`, so a
// plaintext value in Pulumi.<stack>.yaml fails with "must be encrypted as it's secret" before the
// program runs. Together: a secret set as plain config is refused by the CLI, and a secret that
// reaches a resource unencrypted (read with config.require, or interpolated into a plain string)
// is refused here.
import { ResourceValidationPolicy, Secret } from "@pulumi/policy";
import { label } from "../lib/resources";

export const SECRET_CONFIG_KEYS = [
  "iam-ha:vrrpAuthPass",
  "iam-ha:dbPassword",
  "iam-ha:sshPrivateKey",
  "iam-ha:alertWebhook",
  "tencentcloud:secretKey",
] as const;

interface SecretFinding {
  /** Where in the inputs, e.g. `stdin` or `connection.privateKey`. */
  path: string;
  /** What was found, e.g. "a keepalived auth_pass" (never the value itself). */
  what: string;
  /** The config key that should hold it as a secret, when there is one. */
  configKey?: string;
}

const SECRET_PATTERNS: ReadonlyArray<{ re: RegExp; what: string; configKey: string }> = [
  { re: /\bauth_pass\s+\S+/, what: "a keepalived auth_pass", configKey: "iam-ha:vrrpAuthPass" },
  { re: /\bIDENTIFIED\s+(?:BY|VIA|WITH)\b/i, what: "a MariaDB password (IDENTIFIED BY ...)", configKey: "iam-ha:dbPassword" },
  { re: /\bPASSWORD\s*\(/i, what: "a MariaDB password (PASSWORD(...))", configKey: "iam-ha:dbPassword" },
  { re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, what: "an SSH private key", configKey: "iam-ha:sshPrivateKey" },
];

/** Inputs that are secrets by name, whatever they hold. */
const SECRET_PROPERTY_NAMES: ReadonlyMap<string, string | undefined> = new Map([
  ["password", undefined],
  ["privateKey", "iam-ha:sshPrivateKey"],
  ["privateKeyPassword", undefined],
  ["secretKey", "tencentcloud:secretKey"],
]);

const MIN_CONFIG_VALUE_LENGTH = 8;

function isSecretValue(v: unknown): boolean {
  return (
    v instanceof Secret ||
    (v !== null && typeof v === "object" && (v as { constructor?: { name?: string } }).constructor?.name === "Secret" && "value" in (v as object))
  );
}

/** The raw value behind the policy proxies (a `Secret` for a secret input); see above. */
function rawProperty(obj: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(obj, key)?.value;
}

/** Secret-valued config from PULUMI_CONFIG (JSON object of "ns:key" -> string). */
export function secretConfigValues(env: NodeJS.ProcessEnv = process.env): Array<{ key: string; value: string }> {
  const raw = env["PULUMI_CONFIG"];
  if (!raw) {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (parsed === null || typeof parsed !== "object") {
    return [];
  }
  const config = parsed as Record<string, unknown>;
  const out: Array<{ key: string; value: string }> = [];
  for (const key of SECRET_CONFIG_KEYS) {
    // The CLI writes keys as "ns:key"; older ones used "ns:config:key".
    const value = config[key] ?? config[key.replace(":", ":config:")];
    if (typeof value === "string" && value.trim().length >= MIN_CONFIG_VALUE_LENGTH) {
      out.push({ key, value: value.trim() });
    }
  }
  return out;
}

/**
 * Plaintext secrets among a resource's inputs. `props` must be what a remediation receives
 * (raw values are `Secret` objects for secret inputs); everything under a Secret is skipped.
 */
export function findPlaintextSecrets(props: object, configSecrets: ReadonlyArray<{ key: string; value: string }>): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const visit = (value: unknown, path: string, name: string): void => {
    if (value === null || value === undefined || isSecretValue(value)) {
      return;
    }
    if (typeof value === "string") {
      if (value === "") {
        return;
      }
      if (SECRET_PROPERTY_NAMES.has(name)) {
        findings.push({ path, what: `a plaintext "${name}"`, configKey: SECRET_PROPERTY_NAMES.get(name) });
        return;
      }
      const pattern = SECRET_PATTERNS.find((p) => p.re.test(value));
      const config = configSecrets.find((c) => value.includes(c.value));
      if (pattern) {
        findings.push({ path, what: pattern.what, configKey: pattern.configKey });
      } else if (config) {
        findings.push({ path, what: `the value of ${config.key}`, configKey: config.key });
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`, name));
      return;
    }
    if (typeof value === "object") {
      for (const key of Object.keys(value)) {
        visit(rawProperty(value, key), path === "" ? key : `${path}.${key}`, key);
      }
    }
  };
  visit(props, "", "");
  return findings;
}

function plaintextMessage(args: { type: string; name: string }, f: SecretFinding): string {
  const setIt = f.configKey
    ? `set it with \`pulumi config set --secret ${f.configKey} ...\`, read it with config.requireSecret()`
    : "pass it as a secret (config.requireSecret() or pulumi.secret())";
  return (
    `${label(args)} has ${f.what} in plaintext at input "${f.path}"; Pulumi would store it unencrypted in the state and show it in diffs. ` +
    `Fix: ${setIt}, and build the input with pulumi.interpolate so it stays secret (never config.require() or a plain template string).`
  );
}

/** Findings of the remediation pass, per URN, waiting for the analysis pass of the same resource. */
const plaintextFindings = new Map<string, string[]>();

export const secretsAreSecret: ResourceValidationPolicy = {
  name: "secrets-are-secret",
  description: "The keepalived auth_pass, the MariaDB password and the SSH private key must reach resources as Pulumi secrets, never as plaintext.",
  // "remediate" is what lets this policy see secret markers; its violations count as mandatory.
  enforcementLevel: "remediate",
  remediateResource: (args) => {
    const found = findPlaintextSecrets(args.props, secretConfigValues());
    if (found.length > 0) {
      plaintextFindings.set(
        args.urn,
        found.map((f) => plaintextMessage(args, f)),
      );
    } else {
      plaintextFindings.delete(args.urn);
    }
    // Nothing is changed: the policy refuses, it does not rewrite.
    return undefined;
  },
  validateResource: (args, report) => {
    const found = plaintextFindings.get(args.urn);
    plaintextFindings.delete(args.urn);
    for (const message of found ?? []) {
      report(message);
    }
  },
};
