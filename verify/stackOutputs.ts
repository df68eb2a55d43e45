import { isIPv4 } from "net";
import { DeclaredKey, PROJECT, readDeclaredKeys } from "../config/declaredKeys";

/** A problem with the command line, the tools or the stack: the verifier exits 2 and prints the fix. */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

export type SshVia = "public" | "bastion" | "private";

export interface StackNode {
  name: string;
  privateIp: string;
  /** Absent when the stack gives nodes no public IP (nodeBandwidthOut 0). */
  publicIp?: string;
  /** The CVM's id (absent in stacks deployed before the output existed). */
  instanceId?: string;
}

/** What the verifier needs of a deployed stack: index.ts's outputs plus a few config values. */
export interface DeployedStack {
  name: string;
  publicIp: string;
  havip: string;
  /** The HAVIP's id, for asking Tencent Cloud who holds it (absent in older stacks). */
  havipId?: string;
  /** tencentcloud:region of the stack. */
  region?: string;
  nodes: StackNode[];
  sites: string[];
  ssh: { user: string; port: number; via: SshVia; privateKey: string; bastion?: { host: string; user: string; port: number } };
  db: { node: string; name: string; user: string; password: string };
  vrrpInterface: string;
}

type Outputs = Pick<DeployedStack, "publicIp" | "havip" | "havipId" | "nodes" | "sites">;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Never echo the text: the config output holds decrypted secrets.
    throw new SetupError(`${what} did not print JSON (${text.length} characters); is the Pulumi CLI recent enough?`);
  }
}

/** The stack outputs of index.ts, from `pulumi stack output --json`. */
export function parseStackOutputs(text: string, stack: string): Outputs {
  const o = parseJson(text, "pulumi stack output --json");
  const fix = `has \`pulumi up --stack ${stack}\` completed?`;
  if (!isObject(o)) throw new SetupError(`the outputs of stack ${stack} are not an object; ${fix}`);
  const ip = (v: unknown, what: string): string => {
    if (typeof v !== "string" || !isIPv4(v)) throw new SetupError(`stack ${stack}: output ${what} is ${JSON.stringify(v) ?? "missing"}, not an IPv4 address; ${fix}`);
    return v;
  };
  if (!Array.isArray(o.nodeAddresses) || o.nodeAddresses.length === 0) throw new SetupError(`stack ${stack} has no output nodeAddresses; ${fix}`);
  if (!Array.isArray(o.sites) || o.sites.length === 0) throw new SetupError(`stack ${stack} has no output sites; ${fix}`);
  const nodes = o.nodeAddresses.map((n, i): StackNode => {
    if (!isObject(n) || typeof n.name !== "string" || !n.name) throw new SetupError(`stack ${stack}: nodeAddresses[${i}] has no name; ${fix}`);
    const publicIp = n.publicIp === undefined || n.publicIp === null ? undefined : ip(n.publicIp, `nodeAddresses[${i}].publicIp`);
    const instanceId = typeof n.instanceId === "string" && n.instanceId ? n.instanceId : undefined;
    return { name: n.name, privateIp: ip(n.privateIp, `nodeAddresses[${i}].privateIp`), publicIp, instanceId };
  });
  const sites = o.sites.map((s, i) => {
    if (!isObject(s) || typeof s.serverName !== "string" || !s.serverName) throw new SetupError(`stack ${stack}: sites[${i}] has no serverName; ${fix}`);
    return s.serverName;
  });
  const havipId = typeof o.havipId === "string" && o.havipId ? o.havipId : undefined;
  return { publicIp: ip(o.publicIp, "publicIp"), havip: ip(o.havip, "havip"), havipId, nodes, sites };
}

/**
 * Values from `pulumi config --json --show-secrets` ({"iam-ha:key": {value, secret}}): a bare key
 * is the project's (with Pulumi.yaml's default when unset), a namespaced one such as
 * "tencentcloud:region" is read as it is ("" when unset).
 */
export function parseStackConfig(text: string, stack: string, declared: DeclaredKey[] = readDeclaredKeys()): (key: string) => string {
  const c = parseJson(text, "pulumi config --json --show-secrets");
  if (!isObject(c)) throw new SetupError(`the config of stack ${stack} is not an object`);
  return (key) => {
    const entry = c[key.includes(":") ? key : `${PROJECT}:${key}`];
    if (isObject(entry) && (typeof entry.value === "string" || typeof entry.value === "number" || typeof entry.value === "boolean")) return String(entry.value);
    if (isObject(entry) && entry.secret === true) throw new SetupError(`stack ${stack}: pulumi did not show the secret ${key}; set PULUMI_CONFIG_PASSPHRASE (or _FILE) if the stack uses a passphrase`);
    const fallback = declared.find((d) => d.name === key)?.default;
    return fallback === undefined ? "" : String(fallback);
  };
}

/** Outputs and config together, checked for what SSH and the database login need. */
export function deployedStack(stack: string, outputsJson: string, configJson: string, declared: DeclaredKey[] = readDeclaredKeys()): DeployedStack {
  const outputs = parseStackOutputs(outputsJson, stack);
  const get = parseStackConfig(configJson, stack, declared);
  const need = (key: string) => {
    const v = get(key);
    const secret = declared.find((d) => d.name === key)?.secret ? "--secret " : "";
    if (!v) throw new SetupError(`stack ${stack} does not set ${key}: pulumi config set ${secret}${key} … --stack ${stack}`);
    return v;
  };
  const port = (key: string) => {
    const p = Number(get(key));
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new SetupError(`stack ${stack}: ${key} "${get(key)}" is not a port`);
    return p;
  };
  const via = get("sshVia");
  if (via !== "public" && via !== "bastion" && via !== "private") throw new SetupError(`stack ${stack}: sshVia "${via}" is not public, bastion or private`);
  if (via === "bastion" && !get("bastionHost")) throw new SetupError(`stack ${stack}: sshVia is bastion but bastionHost is empty: pulumi config set bastionHost <address> --stack ${stack}`);
  const noPublic = outputs.nodes.filter((n) => !n.publicIp).map((n) => n.name);
  if (via === "public" && noPublic.length > 0) throw new SetupError(`stack ${stack}: sshVia is public but ${noPublic.join(", ")} ha${noPublic.length > 1 ? "ve" : "s"} no public IP (nodeBandwidthOut 0); use sshVia bastion or private`);
  const dbNode = get("dbNode") || outputs.nodes[0].name;
  if (!outputs.nodes.some((n) => n.name === dbNode)) throw new SetupError(`stack ${stack}: dbNode "${dbNode}" is not one of ${outputs.nodes.map((n) => n.name).join(", ")}`);
  return {
    name: stack,
    ...outputs,
    region: get("tencentcloud:region") || undefined,
    ssh: {
      user: need("sshUser"),
      port: port("sshPort"),
      via,
      privateKey: need("sshPrivateKey"),
      bastion: via === "bastion" ? { host: get("bastionHost"), user: need("bastionUser"), port: port("bastionPort") } : undefined,
    },
    db: { node: dbNode, name: need("dbName"), user: need("dbUser"), password: need("dbPassword") },
    vrrpInterface: need("vrrpInterface"),
  };
}
