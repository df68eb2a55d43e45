import { isIPv4 } from "net";
import { DeclaredKey, readDeclaredKeys } from "../config/declaredKeys";
import { loadConfig } from "../config/load";
import { ConfigError } from "../config/problems";
import { NamespacedSetting, PulumiConfigJson, pulumiConfigJsonSource } from "../config/pulumiConfigJson";
import { ConfigSource } from "../config/source";
import { frontDoors } from "../config/lists";
import { FrontDoorKind, IamHaConfig, SshVia } from "../config/types";
import { allVipNames } from "../render/vips";

/** A problem with the command line, the tools or the stack: the verifier exits 2 and prints the fix. */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

export interface StackNode {
  name: string;
  privateIp: string;
  /** Absent when the stack gives nodes no public IP (nodeBandwidthOut 0). */
  publicIp?: string;
  /** The CVM's id (absent in stacks deployed before the output existed). */
  instanceId?: string;
  /** The SSH host public key the program made for the node, as an authorized_keys line: the only key the verifier accepts. */
  hostKey: string;
}

/** One VIP of a deployed stack: its HAVIP and EIP from the outputs, where its state is kept from the config. */
export interface DeployedVip {
  address: string;
  virtualRouterId: number;
  /** The HAVIP's id, for asking Tencent Cloud who holds it (absent in older stacks). */
  havipId?: string;
  /** Its EIP. */
  publicIp: string;
  /** The file keepalived's notify script writes this VIP's state to on each front door (render/vips.ts). */
  stateFile: string;
}

/** What the verifier needs of a deployed stack: index.ts's outputs plus a few config values. */
export interface DeployedStack {
  name: string;
  /** The primary VIP's EIP, HAVIP and HAVIP id (the first of `vips`); with frontDoor clb the CLB's address, and no HAVIP. */
  publicIp: string;
  havip?: string;
  /** The HAVIP's id, for asking Tencent Cloud who holds it (absent in older stacks). */
  havipId?: string;
  /** Every VIP, the primary first (one for a stack without active-active, none behind a CLB). */
  vips: DeployedVip[];
  /** frontDoor clb: the CLB's id, for asking Tencent Cloud how it sees its targets. */
  clbId?: string;
  /** The stack's tencentcloud:* settings (region, credentials, role…), which the provider's lookups need as `pulumi up` has them. */
  providerConfig: Record<string, NamespacedSetting>;
  nodes: StackNode[];
  /** The nodes that run keepalived and may hold the HAVIP (the config's role frontDoor). */
  frontDoors: string[];
  sites: string[];
  /** What stands at the VIP: nginx (havip) or each site straight on its port (vipOnly). */
  frontDoor: FrontDoorKind;
  /** Each site's port (by serverName): its backend's, and with frontDoor vipOnly its port on the EIP. */
  sitePorts: Record<string, number>;
  ssh: { user: string; port: number; via: SshVia; privateKey: string; bastion?: { host: string; user: string; port: number; hostKey: string } };
  db: { node: string; name: string; user: string; password: string };
  vrrpInterface: string;
}

/** A VIP as the outputs list it; virtualRouterId is absent where the stack predates the `vips` output. */
type OutputVip = Pick<DeployedVip, "address" | "havipId" | "publicIp"> & { virtualRouterId?: number };

type Outputs = Pick<DeployedStack, "publicIp" | "havip" | "havipId" | "clbId" | "nodes" | "sites"> & { vips: OutputVip[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An OpenSSH public key line: type, base64 blob, no comment needed (what tls.PrivateKey's publicKeyOpenssh holds). */
const PUBLIC_KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}$/;

/** The address the verifier's SSH dials for a node: its public IP with sshVia public, else its private IP. */
export function sshAddress(stack: Pick<DeployedStack, "ssh">, node: StackNode): string {
  return stack.ssh.via === "public" && node.publicIp ? node.publicIp : node.privateIp;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Never echo the text: the config output holds decrypted secrets.
    throw new SetupError(`${what} did not print JSON (${text.length} characters); is the Pulumi CLI recent enough?`);
  }
}

/** The stack outputs of index.ts, from `pulumi stack output --json`. */
function parseStackOutputs(text: string, stack: string): Outputs {
  const o = parseJson(text, "pulumi stack output --json");
  const fix = `has \`pulumi up --stack ${stack}\` completed?`;
  if (!isObject(o)) throw new SetupError(`the outputs of stack ${stack} are not an object; ${fix}`);
  const ip = (v: unknown, what: string): string => {
    if (typeof v !== "string" || !isIPv4(v))
      throw new SetupError(`stack ${stack}: output ${what} is ${JSON.stringify(v) ?? "missing"}, not an IPv4 address; ${fix}`);
    return v;
  };
  if (!Array.isArray(o.nodeAddresses) || o.nodeAddresses.length === 0) throw new SetupError(`stack ${stack} has no output nodeAddresses; ${fix}`);
  if (!Array.isArray(o.sites) || o.sites.length === 0) throw new SetupError(`stack ${stack} has no output sites; ${fix}`);
  const nodes = o.nodeAddresses.map((n, i): StackNode => {
    if (!isObject(n) || typeof n.name !== "string" || !n.name) throw new SetupError(`stack ${stack}: nodeAddresses[${i}] has no name; ${fix}`);
    const publicIp = n.publicIp === undefined || n.publicIp === null ? undefined : ip(n.publicIp, `nodeAddresses[${i}].publicIp`);
    const instanceId = typeof n.instanceId === "string" && n.instanceId ? n.instanceId : undefined;
    return { name: n.name, privateIp: ip(n.privateIp, `nodeAddresses[${i}].privateIp`), publicIp, instanceId, hostKey: hostKeyOf(stack, n, i) };
  });
  const sites = o.sites.map((s, i) => {
    if (!isObject(s) || typeof s.serverName !== "string" || !s.serverName) throw new SetupError(`stack ${stack}: sites[${i}] has no serverName; ${fix}`);
    return s.serverName;
  });
  const idOf = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  // Behind a CLB: its address and id, no VIP.
  if (o.frontDoor === "clb") return { publicIp: ip(o.publicIp, "publicIp"), clbId: idOf(o.clbId), vips: [], nodes, sites };
  const primary = { address: ip(o.havip, "havip"), havipId: idOf(o.havipId), publicIp: ip(o.publicIp, "publicIp") };
  // A stack deployed before the `vips` output existed has one VIP: the primary's outputs.
  const vips = o.vips === undefined || o.vips === null ? [primary] : outputVips(o.vips, stack, fix, ip, idOf);
  return { publicIp: primary.publicIp, havip: primary.address, havipId: primary.havipId, vips, nodes, sites };
}

/** The `vips` output: each VIP's address, router id, HAVIP id and EIP. */
function outputVips(v: unknown, stack: string, fix: string, ip: (v: unknown, what: string) => string, idOf: (v: unknown) => string | undefined): OutputVip[] {
  if (!Array.isArray(v) || v.length === 0) throw new SetupError(`stack ${stack}: output vips is not a list of VIPs; ${fix}`);
  return v.map((vip, i) => {
    if (!isObject(vip)) throw new SetupError(`stack ${stack}: vips[${i}] is not an object; ${fix}`);
    if (!Number.isInteger(vip.virtualRouterId)) throw new SetupError(`stack ${stack}: vips[${i}] has no virtualRouterId; ${fix}`);
    return {
      address: ip(vip.address, `vips[${i}].address`),
      virtualRouterId: vip.virtualRouterId as number,
      havipId: idOf(vip.havipId),
      publicIp: ip(vip.publicIp, `vips[${i}].publicIp`),
    };
  });
}

/**
 * The VIPs as deployed (the outputs: what the nodes run, even when the config holds a change
 * `pulumi up` has not made yet), each with the file its state is kept in, named as render/vips.ts
 * names it. A stack from before the `vips` output has one VIP, whose router id the config gives.
 */
function deployedVips(outputs: Outputs, config: IamHaConfig): DeployedVip[] {
  const asDeployed = outputs.vips.map((v) => ({ address: v.address, virtualRouterId: v.virtualRouterId ?? config.vips[0].virtualRouterId }));
  return allVipNames({ ...config, vips: asDeployed }).map(({ vip, stateFile }, i) => ({
    ...vip,
    havipId: outputs.vips[i].havipId,
    publicIp: outputs.vips[i].publicIp,
    stateFile,
  }));
}

/** A node's pinned host key from the outputs: required, since the verifier never trusts a host key on first use. */
function hostKeyOf(stack: string, n: Record<string, unknown>, i: number): string {
  const what = `stack ${stack}: nodeAddresses[${i}] (${n.name})`;
  const upgrade = `run \`pulumi up --stack ${stack}\` with this version of iam-ha, which makes and exports every node's host key`;
  if (n.hostKey === undefined || n.hostKey === null || n.hostKey === "")
    throw new SetupError(`${what} has no hostKey, so its SSH host cannot be pinned (the verifier never trusts a host key on first use); ${upgrade}`);
  const key = typeof n.hostKey === "string" ? n.hostKey.trim() : "";
  if (!PUBLIC_KEY_LINE.test(key)) throw new SetupError(`${what} has hostKey ${JSON.stringify(n.hostKey)}, not an OpenSSH public key line; ${upgrade}`);
  return key;
}

/**
 * Outputs and config together: the config through the program's own loader (the same rules and
 * defaults as `pulumi up`), the addresses from the outputs.
 */
export function deployedStack(stack: string, outputsJson: string, configJson: string, declared: DeclaredKey[] = readDeclaredKeys()): DeployedStack {
  const outputs = parseStackOutputs(outputsJson, stack);
  const json = parseJson(configJson, "pulumi config --json --show-secrets");
  if (!isObject(json)) throw new SetupError(`the config of stack ${stack} is not an object`);
  const source = pulumiConfigJsonSource(json as PulumiConfigJson);
  const hidden = source.hiddenSecrets();
  if (hidden.length > 0) {
    throw new SetupError(
      `stack ${stack}: pulumi did not show the secret(s) ${hidden.join(", ")}; set PULUMI_CONFIG_PASSPHRASE (or _FILE) if the stack uses a passphrase`,
    );
  }
  const config = loadStackConfig(stack, source, declared);
  const noPublic = outputs.nodes.filter((n) => !n.publicIp).map((n) => n.name);
  if (config.ssh.via === "public" && noPublic.length > 0) {
    throw new SetupError(
      `stack ${stack}: sshVia is public but ${noPublic.join(", ")} ha${noPublic.length > 1 ? "ve" : "s"} no public IP (nodeBandwidthOut 0); use sshVia bastion or private`,
    );
  }
  if (!outputs.nodes.some((n) => n.name === config.database.node)) {
    throw new SetupError(
      `stack ${stack}: dbNode "${config.database.node}" is not one of the outputs' nodes ${outputs.nodes.map((n) => n.name).join(", ")}; run pulumi up first`,
    );
  }
  return {
    name: stack,
    ...outputs,
    vips: deployedVips(outputs, config),
    frontDoors: frontDoors(config.nodes).map((n) => n.name),
    frontDoor: config.frontDoor,
    sitePorts: Object.fromEntries(config.sites.map((s) => [s.serverName, s.port])),
    providerConfig: source.settingsOf("tencentcloud"),
    ssh: { user: config.ssh.user, port: config.ssh.port, via: config.ssh.via, privateKey: config.secrets.sshPrivateKey, bastion: config.ssh.bastion },
    db: { node: config.database.node, name: config.database.name, user: config.database.user, password: config.secrets.dbPassword },
    vrrpInterface: config.vrrp.interface,
  };
}

function loadStackConfig(stack: string, source: ConfigSource, declared: DeclaredKey[]): IamHaConfig {
  try {
    return loadConfig(source, declared);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new SetupError(
      `stack ${stack}: the program's loader refuses its config:\n${error.problems.map((p) => `  - ${p}`).join("\n")}\n(set them with --stack ${stack})`,
    );
  }
}
