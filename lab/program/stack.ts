import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT } from "../../config/declaredKeys";
import { contains, nthAddress, parseCidr } from "../../config/ipv4";
import { loadConfig } from "../../config/load";
import { mapSource } from "../../config/source";
import { asPulumiConfig, readStackFile, StackFile, stackFilePath } from "../../config/stackFile";
import { IamHaConfig } from "../../config/types";
import { receiverUrl } from "../hosts/alerts";
import { LabError, log } from "../hosts/exec";
import { settings } from "../hosts/paths";
import { ensureSshKey, privateKey, publicKey } from "../hosts/ssh";
import type { LabTopology, LabZone } from "../hosts/topology";
import { runsKeepalived } from "../../config/lists";

/** A stack as the lab runs it: its config (with the lab's own secrets) and the lab network for it. */
export interface LabStack {
  name: string;
  config: IamHaConfig;
  /** "namespace:key" → string, as the Pulumi CLI would hand it to the program. */
  pulumiConfig: Record<string, string>;
  secretKeys: string[];
  topology: LabTopology;
  /** What the lab puts in place of what only the cloud has, one line each ("the lab stands in for …"). */
  standIns: string[];
}

/** The EIP's stand-in: an address of the lab's edge namespace, from a range no VPC subnet here uses. */
const LAB_EIP = "10.255.0.10";
const SECRET_FILE = () => path.join(settings.cacheDir, "secrets.json");

/** A new secret of `n` letters and digits (what every key's rules accept), e.g. a rotated vrrpAuthPass. */
export const randomSecret = (n: number) =>
  crypto
    .randomBytes(n * 2)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, n);

/** The lab's VRRP and database passwords: made once, kept with the caches (root only). */
function labSecrets(): { vrrpAuthPass: string; dbPassword: string; alertToken: string } {
  const kept = fs.existsSync(SECRET_FILE()) ? JSON.parse(fs.readFileSync(SECRET_FILE(), "utf8")) : {};
  const secrets = { vrrpAuthPass: randomSecret(8), dbPassword: randomSecret(24), alertToken: randomSecret(16), ...kept };
  if (Object.keys(secrets).length !== Object.keys(kept).length) {
    fs.mkdirSync(settings.cacheDir, { recursive: true });
    fs.writeFileSync(SECRET_FILE(), JSON.stringify(secrets), { mode: 0o600 });
  }
  return secrets;
}

function stackFile(stack: string, dir?: string): StackFile {
  const file = readStackFile(stack, dir);
  if (!file)
    throw new LabError(
      `no stack file ${path.basename(stackFilePath(stack, dir))}: pass --stack with one of the Pulumi.<stack>.yaml files, here or in examples/`,
    );
  return file;
}

/**
 * Settings the lab cannot play as written, each replaced with what stands in for it and why. The
 * rest of the stack runs as written: the lab names the nodes' NIC, makes the login user, runs sshd
 * on sshPort and dials from inside adminCidr (labTopology).
 */
function cloudOnly(values: Record<string, unknown>, config: IamHaConfig): { values: Record<string, unknown>; standIns: string[] } {
  const standIns: string[] = [];
  const replaced: Record<string, unknown> = {};
  if (config.ssh.via !== "private") {
    replaced.sshVia = "private";
    standIns.push(
      `sshVia ${config.ssh.via}: the lab has no ${config.ssh.via === "public" ? "public IPs" : "bastion"}, so its ssh dials each node's private IP ` +
        "(sshVia private), from the same adminCidr address the nodes' firewall admits",
    );
  }
  // Without nginx (frontDoor vipOnly) keepalived tracks no process.
  if (config.frontDoor === "havip" && config.vrrp.trackNginxProcess) {
    // keepalived's track_process listens to the kernel's process events (the netlink proc
    // connector), which exist only in the host's initial network namespace: inside a lab node it
    // fails with "Failed to set/clear process event listen - errno 111" and holds the node in FAULT.
    replaced.trackNginxProcess = false;
    standIns.push(
      "trackNginxProcess true: the kernel's process events (netlink proc connector) exist only in the host's first network namespace, " +
        `so keepalived's track_process would hold every lab node in FAULT; the lab turns it off${config.vrrp.trackNginxStop ? " and relies on trackNginxStop (systemd's stop signal)" : ""}`,
    );
  }
  return { values: { ...values, ...replaced }, standIns };
}

/**
 * Loads a stack for the lab: its file (Pulumi.<stack>.yaml in `dir`, default the project's), with
 * the lab's SSH key and passwords in place of the stack's secrets (which only Pulumi can decrypt),
 * `overrides` on top (the bench's other settings; a secret the operator rotates, as `pulumi config
 * set --secret` would, e.g. vrrpAuthPass), and the few settings only the cloud can play
 * replaced (cloudOnly). Every replacement is logged. The loader's errors surface before anything is made.
 */
export async function loadLabStack(stack: string, overrides: Record<string, unknown> = {}, dir?: string): Promise<LabStack> {
  await ensureSshKey();
  const { alertToken, vrrpAuthPass, ...secrets } = labSecrets();
  const file = stackFile(stack, dir);
  const secretKeys = ["vrrpAuthPass", "dbPassword", "sshPrivateKey", "alertWebhook"];
  // VRRPv3 has no password, and a stack behind a CLB runs no keepalived at all: the lab stands in
  // for a password (and a webhook for keepalived's transitions) only where the stack uses them.
  const asGiven = { ...file.values, ...overrides };
  const noKeepalived = asGiven.frontDoor === "clb";
  const vrrpV3 = String(asGiven.vrrpVersion) === "3";
  const written: Record<string, unknown> = {
    ...file.values,
    ...secrets,
    ...(vrrpV3 || noKeepalived ? {} : { vrrpAuthPass }),
    ...overrides,
    sshPrivateKey: privateKey(),
    sshPublicKey: publicKey().trim(),
  };
  const asWritten = loadConfig(mapSource(written, secretKeys));
  const { values, standIns } = cloudOnly(written, asWritten);
  // Alerts go to the lab's own receiver, on the router address of this stack's subnet.
  if (!noKeepalived) values.alertWebhook = receiverUrl(labTopology(asWritten), alertToken);
  const config = loadConfig(mapSource(values, secretKeys));
  const topology = labTopology(config);
  standIns.unshift(
    noKeepalived
      ? "the stack's secrets (dbPassword, sshPrivateKey with its sshPublicKey): the lab's own"
      : `the stack's secrets (${vrrpV3 ? "" : "vrrpAuthPass, "}dbPassword, sshPrivateKey with its sshPublicKey, alertWebhook): the lab's own, and its webhook receiver at ${topology.routerIp}`,
    `the cloud's NIC: each node's is named ${config.vrrp.interface} (vrrpInterface) before its network comes up`,
    `the operator's address: the lab's ssh comes from ${topology.nodes[0].sshFrom} (inside adminCidr ${config.network.adminCidr}) to port ${config.ssh.port}` +
      (config.ssh.user === "root" ? "" : `, as ${config.ssh.user} with passwordless sudo (made on every node, as the image has it)`),
  );
  standIns.push(...clbStandIns(config, topology));
  for (const line of standIns) log(`the lab stands in for ${line}`);
  const pulumiConfig = asPulumiConfig(values, file.others);
  return { name: stack, config, pulumiConfig, secretKeys: secretKeys.map((k) => `${PROJECT}:${k}`), topology, standIns };
}

/** What the lab plays of a CLB stack: the zones, and the CLB itself (lab/program/clbStandIn.ts). */
function clbStandIns(config: IamHaConfig, topology: LabTopology): string[] {
  if (config.frontDoor !== "clb") return [];
  return [
    `the availability zones (${config.network.zones.map((z) => `${z.availabilityZone} ${z.subnetCidr}`).join(", ")}): a bridge each in the lab's namespace, ` +
      "the VPC's router at each subnet's first address, routing between them",
    `the CLB: HAProxy in the lab's namespace on ${topology.eip}, configured from the program's CLB listener, rules and targets ` +
      "(a backend per rule's domain, its health check, round robin, a failed forward retried on another front door)",
  ];
}

/** The VIPs the stack's front doors hold: none behind a CLB (config.vips is then the unused default). */
const heldVips = (config: IamHaConfig) => (runsKeepalived(config.frontDoor) ? config.vips : []);

/** The VPC router plays each zone's subnet's first address, as on Tencent Cloud. */
function labZones(config: IamHaConfig): LabZone[] {
  return config.network.zones.map((zone) => {
    const routerIp = nthAddress(parseCidr(zone.subnetCidr)!, 1);
    const taken = config.nodes.find((n) => n.privateIp === routerIp);
    if (taken || heldVips(config).some((vip) => vip.address === routerIp)) {
      throw new LabError(
        `${routerIp} is the first address of ${zone.subnetCidr} (${zone.availabilityZone}), which the lab's router (like the VPC's) uses; move ${taken ? taken.name : "the HAVIP"} to another address`,
      );
    }
    return { subnetCidr: zone.subnetCidr, routerIp };
  });
}

function labTopology(config: IamHaConfig): LabTopology {
  const [first, ...moreZones] = labZones(config);
  const routerIp = first.routerIp;
  const sshFrom = adminAddress(config, routerIp);
  const vips = heldVips(config);
  return {
    subnetCidr: first.subnetCidr,
    routerIp,
    // Only a stack with more zones says so: a one-zone stack's topology stays as it was (its running lab is reused).
    ...(moreZones.length > 0 ? { moreZones } : {}),
    ...(vips.length > 0 ? { havip: vips[0].address } : {}),
    eip: LAB_EIP,
    // Each further VIP's EIP: the addresses after the primary's.
    moreVips: vips.slice(1).map((vip, i) => ({ havip: vip.address, eip: nthAddress(parseCidr(`${LAB_EIP}/32`)!, i + 1) })),
    nodes: config.nodes.map((n) => ({ name: n.name, privateIp: n.privateIp, sshFrom, sshPort: config.ssh.port })),
    nodeInterface: config.vrrp.interface,
    adminAddress: sshFrom === routerIp ? undefined : sshFrom,
    loginUser: config.ssh.user === "root" ? undefined : config.ssh.user,
  };
}

/**
 * Where the lab's ssh comes from: the router's own address when adminCidr holds it (a runner inside
 * the VPC), else adminCidr's first usable address that no node or HAVIP uses, which the lab adds to
 * its namespace (the nodes reach it through their gateway, the router).
 */
function adminAddress(config: IamHaConfig, routerIp: string): string {
  const admin = parseCidr(config.network.adminCidr)!;
  if (contains(admin, routerIp)) return routerIp;
  const used = new Set([...heldVips(config).map((vip) => vip.address), ...config.nodes.map((n) => n.privateIp)]);
  const size = 2 ** (32 - admin.prefix);
  const first = admin.prefix >= 31 ? 0 : 1;
  for (let n = first; n < Math.min(size - first, first + 16); n++) {
    const address = nthAddress(admin, n);
    if (!used.has(address)) return address;
  }
  throw new LabError(
    `adminCidr ${config.network.adminCidr} has no address the lab's ssh can come from: its first addresses are the nodes' or the HAVIP's. Fix: give adminCidr an address of its own`,
  );
}
