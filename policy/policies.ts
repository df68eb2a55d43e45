// The iam-ha policy pack's policies, one exported object each so tests/policy.test.ts can call
// them directly. `new PolicyPack(...)` lives only in index.ts: it starts a gRPC server and allows
// one pack per process, so it must never run inside jest.
//
// Two facts about @pulumi/policy 1.21 (server.js, proxy.js, deserialize.js) shape this file:
//  1. During `pulumi preview`, props that depend on not-yet-created resources are "unknown".
//     `args.props` is a proxy that throws UnknownValueError when such a value is read, and the
//     pack then downgrades the whole policy to an advisory "can't run policy during preview".
//     The policies below read props through `peek()`, which turns that throw into UNKNOWN, so one
//     unknown value (an EIP's publicIp, a subnet's id) does not switch a policy off; they use
//     `propertyDependencies` / `dependencies` where values are not known yet, and never read an
//     unknown value as "absent" (an unknown port is not "all ports").
//  2. validateResource / validateStack receive props with secret markers stripped. Only
//     remediations see them (see secretsAreSecret).
import { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Secret, StackValidationPolicy } from "@pulumi/policy";
import * as ipaddr from "ipaddr.js";

export const T = {
  subnet: "tencentcloud:Subnet/instance:Instance",
  groupRuleSet: "tencentcloud:Security/groupRuleSet:GroupRuleSet",
  groupRule: "tencentcloud:Security/groupRule:GroupRule",
  cvm: "tencentcloud:Instance/instance:Instance",
  havip: "tencentcloud:Ha/vip:Vip",
  eip: "tencentcloud:Eip/instance:Instance",
  havipEip: "tencentcloud:Ha/vipEipAttachment:VipEipAttachment",
  command: "command:remote:Command",
} as const;

// ------------------------------------------------------------------------------------------------
// Reading props that may be unknown during preview

/** Marks a value that is not known yet (during preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
type Peeked = unknown | typeof UNKNOWN;

function isUnknownValueError(e: unknown): boolean {
  // @pulumi/policy's proxy.js throws `UnknownValueError` ("... can't be known during preview");
  // the class is internal, so match it by name.
  return e instanceof Error && (e.constructor.name === "UnknownValueError" || /can't be known during preview/.test(e.message));
}

/** `obj[key]`, or UNKNOWN when the policy proxy says the value is not known during preview. */
export function peek(obj: unknown, key: string | number): Peeked {
  if (obj === null || obj === undefined || obj === UNKNOWN || typeof obj !== "object") {
    return obj === UNKNOWN ? UNKNOWN : undefined;
  }
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch (e) {
    if (isUnknownValueError(e)) {
      return UNKNOWN;
    }
    throw e;
  }
}

/** A known string, or undefined (absent, unknown or not a string). */
function knownString(v: Peeked): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The elements of a (possibly unknown) array prop; unknown elements come back as UNKNOWN. */
function peekArray(v: Peeked): Peeked[] | typeof UNKNOWN {
  if (v === UNKNOWN) {
    return UNKNOWN;
  }
  if (!Array.isArray(v)) {
    return [];
  }
  const out: Peeked[] = [];
  for (let i = 0; i < v.length; i++) {
    out.push(peek(v, i));
  }
  return out;
}

const label = (r: { type: string; name: string }): string => `${r.type} "${r.name}"`;
const sameUrn = (a: { urn: string }, b: { urn: string }): boolean => a.urn === b.urn;

// ------------------------------------------------------------------------------------------------
// Small IPv4/IPv6 and port helpers (ipaddr.js, as the rest of the project)

/** Parses "a.b.c.d/n" or "x::/n"; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const [ip] = cidr.split("/");
  if (!cidr.includes("/") || (ip.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(ip))) {
    return undefined;
  }
  try {
    return ipaddr.parseCIDR(cidr);
  } catch {
    return undefined;
  }
}

/** True for 0.0.0.0/0, ::/0 and anything else whose prefix is 0 (the whole Internet). */
export function isInternetCidr(cidr: string): boolean {
  const s = cidr.trim();
  if (s === "0.0.0.0" || s === "::") {
    return true;
  }
  const parsed = parseCidr(s);
  return parsed !== undefined && parsed[1] === 0;
}

/** Whether an IPv4 address lies inside an IPv4 CIDR; undefined when either does not parse. */
export function ipv4InCidr(ip: string, cidr: string): boolean | undefined {
  const range = parseCidr(cidr);
  if (!range || range[0].kind() !== "ipv4" || !ipaddr.IPv4.isValidFourPartDecimal(ip)) {
    return undefined;
  }
  return ipaddr.IPv4.parse(ip).match(range);
}

/**
 * Whether a Tencent port spec ("22", "80,443", "3000-4000", "ALL", empty = all ports) includes
 * `port`. A spec that does not parse counts as covering it: a security check must not be
 * silenced by a value it cannot read (Tencent would reject such a rule anyway).
 */
export function portSpecCovers(spec: string | undefined, port: number): boolean {
  if (spec === undefined || spec.trim() === "") {
    return true;
  }
  return spec.split(",").some((partRaw) => {
    const part = partRaw.trim();
    if (part.toUpperCase() === "ALL") {
      return true;
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      return Number(range[1]) <= port && port <= Number(range[2]);
    }
    if (/^\d+$/.test(part)) {
      return Number(part) === port;
    }
    return true;
  });
}

/** SSH and MariaDB are TCP; protocol ALL (also Tencent's default when omitted) covers them too. */
function protocolCoversTcp(protocol: string | undefined): boolean {
  return protocol === undefined || protocol.trim() === "" || ["ALL", "TCP"].includes(protocol.trim().toUpperCase());
}

const GUARDED_PORTS: ReadonlyArray<{ port: number; what: string; fix: string }> = [
  { port: 22, what: "SSH", fix: "restrict the source to the operators' address (config iam-ha:adminCidr, e.g. your office's /32) or a bastion's security group" },
  { port: 3306, what: "MariaDB", fix: "allow 3306 only from the nodes' subnet CIDR or their security group (sourceSecurityId)" },
];

/** A known string, undefined when absent, or UNKNOWN (not known during preview). */
function stringOrUnknown(v: Peeked): string | undefined | typeof UNKNOWN {
  return v === UNKNOWN ? UNKNOWN : knownString(v);
}

interface RuleView {
  where: string;
  action: string | undefined | typeof UNKNOWN;
  cidrs: Array<string | undefined | typeof UNKNOWN>;
  protocol: string | undefined | typeof UNKNOWN;
  port: string | undefined | typeof UNKNOWN;
}

function checkRule(resourceLabel: string, rule: RuleView, report: ReportViolation): void {
  const { action, protocol, port } = rule;
  // A rule with a value unknown during preview is judged at `pulumi up`, when it is known.
  if (action === UNKNOWN || protocol === UNKNOWN || port === UNKNOWN) {
    return;
  }
  if ((action ?? "").trim().toUpperCase() !== "ACCEPT") {
    return;
  }
  const publicCidrs = rule.cidrs.filter((c): c is string => typeof c === "string" && isInternetCidr(c));
  if (publicCidrs.length === 0 || !protocolCoversTcp(protocol)) {
    return;
  }
  const wholeProtocol = protocol !== undefined && protocol.trim().toUpperCase() === "ALL";
  const described = `${rule.where} (${action} ${publicCidrs.join(" ")} protocol ${protocol ?? "ALL (default)"} port ${port ?? "all (default)"})`;
  for (const g of GUARDED_PORTS) {
    if (wholeProtocol || portSpecCovers(port, g.port)) {
      report(
        `${resourceLabel}: ${described} opens TCP ${g.port} (${g.what}) to the whole Internet (${publicCidrs.join(", ")}). ` +
          `Fix: ${g.fix}; never use 0.0.0.0/0 or ::/0 for port ${g.port}.`,
      );
    }
  }
}

// ------------------------------------------------------------------------------------------------
// no-public-ssh-or-mariadb

export const noPublicSshOrMariadb: ResourceValidationPolicy = {
  name: "no-public-ssh-or-mariadb",
  description: "Security group rules must not open SSH (22) or MariaDB (3306) to 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type === T.groupRuleSet) {
      const ingresses = peekArray(peek(args.props, "ingresses"));
      if (ingresses === UNKNOWN) {
        return;
      }
      ingresses.forEach((item, i) => {
        if (item === UNKNOWN || item === null || typeof item !== "object") {
          return;
        }
        checkRule(
          label(args),
          {
            where: `ingress #${i}`,
            action: stringOrUnknown(peek(item, "action")),
            cidrs: [stringOrUnknown(peek(item, "cidrBlock")), stringOrUnknown(peek(item, "ipv6CidrBlock"))],
            protocol: stringOrUnknown(peek(item, "protocol")),
            port: stringOrUnknown(peek(item, "port")),
          },
          report,
        );
      });
    } else if (args.type === T.groupRule) {
      const direction = knownString(peek(args.props, "type"));
      if (direction === undefined || direction.toLowerCase() !== "ingress") {
        return;
      }
      checkRule(
        label(args),
        {
          where: "ingress rule",
          action: stringOrUnknown(peek(args.props, "policy")),
          cidrs: [stringOrUnknown(peek(args.props, "cidrIp"))],
          protocol: stringOrUnknown(peek(args.props, "ipProtocol")),
          port: stringOrUnknown(peek(args.props, "portRange")),
        },
        report,
      );
    }
  },
};

// ------------------------------------------------------------------------------------------------
// eip-bound-to-havip

export const eipBoundToHavip: StackValidationPolicy = {
  name: "eip-bound-to-havip",
  description: "Every EIP must be bound to the HAVIP by a VipEipAttachment (an unbound EIP is billed as idle).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const eips = args.resources.filter((r) => r.type === T.eip);
    const attachments = args.resources.filter((r) => r.type === T.havipEip);
    for (const eip of eips) {
      const publicIp = knownString(peek(eip.props, "publicIp"));
      const bound = attachments.some((a) => {
        // addressIp is the EIP's publicIp, an output: during a first preview it is unknown, so
        // the link shows only as a (property) dependency on the EIP.
        const viaProperty = (a.propertyDependencies["addressIp"] ?? []).some((d) => sameUrn(d, eip));
        const viaDependency = a.dependencies.some((d) => sameUrn(d, eip));
        const addressIp = knownString(peek(a.props, "addressIp"));
        const viaValue = publicIp !== undefined && addressIp === publicIp;
        return viaProperty || viaDependency || viaValue;
      });
      if (!bound) {
        report(
          `${label(eip)} is not bound to the HAVIP: no ${T.havipEip} uses its publicIp as addressIp (or depends on it). ` +
            "An EIP bound to nothing is billed as idle (about CNY 0.2/hour). " +
            "Fix: add a VipEipAttachment with { havipId: <havip>.id, addressIp: <eip>.publicIp }, or remove the EIP.",
          eip.urn,
        );
      }
    }
  },
};

// ------------------------------------------------------------------------------------------------
// at-least-two-nodes

export const atLeastTwoNodes: StackValidationPolicy = {
  name: "at-least-two-nodes",
  description: "The stack must run at least two CVMs, or nothing can take over the VIP.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const nodes = args.resources.filter((r) => r.type === T.cvm);
    if (nodes.length < 2) {
      const names = nodes.length === 0 ? "none" : nodes.map((n) => `"${n.name}"`).join(", ");
      report(
        `The stack declares ${nodes.length} ${T.cvm} (${names}); keepalived needs at least two nodes, ` +
          "otherwise nothing can take over the HAVIP when the node holding it fails. " +
          "Fix: list at least two nodes in config iam-ha:nodes (each with a privateIp in the subnet).",
      );
    }
  },
};

// ------------------------------------------------------------------------------------------------
// nodes-in-havip-subnet

/** The Subnet resource `r.<prop>` refers to: by property dependency, then by id value. */
function referencedSubnet(r: PolicyResource, prop: string, subnets: PolicyResource[]): PolicyResource | undefined {
  const byDependency = (r.propertyDependencies[prop] ?? []).find((d) => d.type === T.subnet);
  if (byDependency) {
    return subnets.find((s) => sameUrn(s, byDependency)) ?? byDependency;
  }
  const id = knownString(peek(r.props, prop));
  if (id === undefined) {
    return undefined;
  }
  return subnets.find((s) => knownString(peek(s.props, "id")) === id || knownString(peek(s.props, "subnetId")) === id);
}

export const nodesInHavipSubnet: StackValidationPolicy = {
  name: "nodes-in-havip-subnet",
  description: "Every CVM must sit in the HAVIP's subnet (its privateIp inside that subnet's cidrBlock).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const subnets = args.resources.filter((r) => r.type === T.subnet);
    const nodes = args.resources.filter((r) => r.type === T.cvm);
    for (const havip of args.resources.filter((r) => r.type === T.havip)) {
      // Match by subnetId when it can be known; fall back to the only subnet of the stack. With an
      // existing subnet (config iam-ha:subnetId) there is no Subnet resource and no CIDR to check.
      const subnet = referencedSubnet(havip, "subnetId", subnets) ?? (subnets.length === 1 ? subnets[0] : undefined);
      if (!subnet) {
        continue;
      }
      const cidr = knownString(peek(subnet.props, "cidrBlock"));
      for (const node of nodes) {
        const privateIp = knownString(peek(node.props, "privateIp"));
        if (privateIp !== undefined && cidr !== undefined) {
          const inside = ipv4InCidr(privateIp, cidr);
          if (inside === false || inside === undefined) {
            report(
              `${label(node)} has privateIp ${privateIp}, ${inside === false ? "outside" : "not comparable with"} ${cidr}, the cidrBlock of ${label(subnet)} ` +
                `that ${label(havip)} lives in. An HAVIP only moves between CVMs of its own subnet, so this node could never hold the VIP. ` +
                `Fix: give the node a privateIp inside ${cidr} (config iam-ha:nodes) and put it in that subnet.`,
              node.urn,
            );
            continue;
          }
        }
        const nodeSubnet = referencedSubnet(node, "subnetId", subnets);
        if (nodeSubnet && !sameUrn(nodeSubnet, subnet)) {
          report(
            `${label(node)} is in ${label(nodeSubnet)}, but ${label(havip)} lives in ${label(subnet)}. ` +
              "An HAVIP only moves between CVMs of its own subnet. Fix: create every node with subnetId set to the HAVIP's subnet.",
            node.urn,
          );
        }
      }
    }
  },
};

// ------------------------------------------------------------------------------------------------
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

export const SECRET_CONFIG_KEYS = ["iam-ha:vrrpAuthPass", "iam-ha:dbPassword", "iam-ha:sshPrivateKey", "iam-ha:alertWebhook", "tencentcloud:secretKey"] as const;

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
  return v instanceof Secret || (v !== null && typeof v === "object" && (v as { constructor?: { name?: string } }).constructor?.name === "Secret" && "value" in (v as object));
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
  const setIt = f.configKey ? `set it with \`pulumi config set --secret ${f.configKey} ...\`, read it with config.requireSecret()` : "pass it as a secret (config.requireSecret() or pulumi.secret())";
  return (
    `${label(args)} has ${f.what} in plaintext at input "${f.path}"; Pulumi would store it unencrypted in the state and show it in diffs. ` +
    `Fix: ${setIt}, and build the input with pulumi.interpolate so it stays secret (never config.require() or a plain template string).`
  );
}

/** Findings of the remediation pass, per URN, waiting for the analysis pass of the same resource. */
const plaintextFindings = new Map<string, string[]>();

export const secretsAreSecret: ResourceValidationPolicy = {
  name: "secrets-are-secret",
  description:
    "The keepalived auth_pass, the MariaDB password and the SSH private key must reach resources as Pulumi secrets, never as plaintext.",
  // "remediate" is what lets this policy see secret markers; its violations count as mandatory.
  enforcementLevel: "remediate",
  remediateResource: (args) => {
    const found = findPlaintextSecrets(args.props, secretConfigValues());
    if (found.length > 0) {
      plaintextFindings.set(args.urn, found.map((f) => plaintextMessage(args, f)));
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

// ------------------------------------------------------------------------------------------------

export const policies = [noPublicSshOrMariadb, eipBoundToHavip, secretsAreSecret, atLeastTwoNodes, nodesInHavipSubnet];
