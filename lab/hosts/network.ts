/**
 * The lab network, isolated from the host's:
 *
 *   netns <ns> ("VPC"):  br-<ns>  routerIp/prefix   ← nspawn veths vb-<node> of every host
 *                         br-<ns>-z<i> the i-th further zone's router/prefix ← its hosts' veths (frontDoor clb)
 *                         edge0    <edge>.1/24 + eip/32, ip_forward=1 (also between the zones),
 *                         nft: eip → DNAT havip, every port, the client's address kept (as Tencent's EIP does;
 *                         the lab has no security group, so the nodes' own firewall decides); without a
 *                         HAVIP (frontDoor clb) no DNAT: the CLB's stand-in listens on the eip itself
 *   netns <ns>-client:    eth0     <edge>.2/24         (the "internet" client)
 *
 * The operator's address (adminAddress, inside the stack's adminCidr) is an address of the lab
 * netns on the bridge: the lab's ssh binds to it, and the nodes reach it through their gateway.
 *
 * No interface of either namespace is linked to the host's network and neither has a default route.
 */
import * as fs from "fs";
import { broadcastOf, Cidr, contains, isIpv4, networkOf, nthAddress, overlaps, parseCidr } from "../../config/ipv4";
import { runProcess, RunOptions, RunResult } from "../../common/process";
import { runOk, LabError } from "./exec";
import { names } from "./paths";
import type { LabNode, LabTopology, LabZone } from "./topology";

/** A CIDR the lab was given, or a LabError. */
function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new LabError(`"${text}" is not an IPv4 CIDR`);
  return c;
}
export function prefixOf(text: string): number {
  return cidr(text).prefix;
}

/** The edge ("internet") side: the eip's /24; lab netns holds .1 and the eip, the client .2. */
function edgeOf(t: LabTopology): { cidr: string; labIp: string; clientIp: string } {
  const edge = { network: networkOf({ network: t.eip, prefix: 24 }), prefix: 24 };
  return { cidr: `${edge.network}/24`, labIp: nthAddress(edge, 1), clientIp: nthAddress(edge, 2) };
}

/** A zone's subnet as the lab builds it: the bridge that plays it and the router's address on it. */
export interface LabSubnet extends LabZone {
  bridge: string;
}

/** Every zone's subnet, the first zone's (subnetCidr, routerIp, the lab's first bridge) first. */
export function labSubnets(t: LabTopology): LabSubnet[] {
  return [{ subnetCidr: t.subnetCidr, routerIp: t.routerIp }, ...(t.moreZones ?? [])].map((z, i) => ({ ...z, bridge: names.zoneBridge(i) }));
}

/** The subnet `node` sits in (the zone whose subnet holds its address), or a LabError. */
export function subnetOf(t: LabTopology, node: Pick<LabNode, "name" | "privateIp">): LabSubnet {
  const found = labSubnets(t).find((z) => {
    const c = parseCidr(z.subnetCidr);
    return c !== undefined && contains(c, node.privateIp);
  });
  if (!found)
    throw new LabError(
      `node ${node.name} (${node.privateIp}) lies in none of the lab's subnets (${labSubnets(t)
        .map((z) => z.subnetCidr)
        .join(", ")})`,
    );
  return found;
}

/**
 * Throws a LabError listing every problem the lab itself has with the topology (the stack's
 * addresses were already checked by the config loader): sizes, names and the edge network.
 */
export function validateTopology(t: LabTopology): void {
  const errs: string[] = [];
  const zones = labSubnets(t).map((z) => ({ ...z, cidr: parseCidr(z.subnetCidr) }));
  const bad = zones.filter((z) => !z.cidr);
  for (const z of bad) errs.push(`subnetCidr "${z.subnetCidr}" is not an IPv4 CIDR`);
  const subnet = zones[0].cidr;
  if (subnet && bad.length === 0) {
    const subnets = zones.map((z) => ({ ...z, cidr: z.cidr! }));
    for (const z of subnets) if (z.cidr.prefix > 29 || z.cidr.prefix < 8) errs.push(`subnetCidr ${z.subnetCidr}: prefix must be between /8 and /29`);
    subnets.forEach((a, i) =>
      subnets.slice(i + 1).forEach((b) => {
        if (overlaps(a.cidr, b.cidr)) errs.push(`zone subnets ${a.subnetCidr} and ${b.subnetCidr} overlap`);
      }),
    );
    /** An address inside `where` (default: any zone's subnet), not its network or broadcast address. */
    const hostAddr = (what: string, ip: string, where: typeof subnets = subnets) => {
      const zone = isIpv4(ip) ? where.find((z) => contains(z.cidr, ip)) : undefined;
      if (!zone) errs.push(`${what} ${ip} is not inside ${where.length === 1 ? "subnetCidr " : "any of "}${where.map((z) => z.subnetCidr).join(", ")}`);
      else if (ip === networkOf(zone.cidr) || ip === broadcastOf(zone.cidr))
        errs.push(`${what} ${ip} is the network or broadcast address of ${zone.subnetCidr}`);
    };
    for (const z of subnets) hostAddr("routerIp", z.routerIp, [z]);
    // keepalived moves the HAVIP within the first zone's subnet, where every front door is.
    if (t.havip !== undefined) hostAddr("havip", t.havip, subnets.slice(0, 1));
    if (!Array.isArray(t.nodes) || t.nodes.length < 2) errs.push(`nodes: need at least 2, got ${t.nodes?.length ?? 0}`);
    const seenIp = new Map<string, string>([
      ...subnets.map((z): [string, string] => [z.routerIp, "routerIp"]),
      ...(t.havip !== undefined ? [[t.havip, "havip"] as [string, string]] : []),
    ]);
    const seenName = new Set<string>();
    for (const n of t.nodes ?? []) {
      if (!/^[a-z][a-z0-9-]{0,11}$/.test(n.name)) errs.push(`node name "${n.name}" must match [a-z][a-z0-9-]{0,11} (hostname, machine and interface name)`);
      if (seenName.has(n.name)) errs.push(`node name "${n.name}" is used twice`);
      seenName.add(n.name);
      hostAddr(`node ${n.name} privateIp`, n.privateIp);
      if (seenIp.has(n.privateIp)) errs.push(`node ${n.name} privateIp ${n.privateIp} is already used by ${seenIp.get(n.privateIp)}`);
      seenIp.set(n.privateIp, `node ${n.name}`);
    }
    if (t.routerIp === t.havip) errs.push(`havip ${t.havip} equals routerIp`);
    if (t.adminAddress !== undefined) {
      if (!isIpv4(t.adminAddress)) errs.push(`adminAddress "${t.adminAddress}" is not an IPv4 address`);
      else if (seenIp.has(t.adminAddress)) errs.push(`adminAddress ${t.adminAddress} is already used by ${seenIp.get(t.adminAddress)}`);
    }
    if (!isIpv4(t.eip)) {
      errs.push(`eip "${t.eip}" is not an IPv4 address`);
    } else {
      const e = edgeOf(t);
      for (const z of subnets) if (overlaps(cidr(e.cidr), z.cidr)) errs.push(`eip ${t.eip}: its edge network ${e.cidr} overlaps subnetCidr ${z.subnetCidr}`);
      if (t.eip === e.labIp || t.eip === e.clientIp) errs.push(`eip ${t.eip} must not be .1 or .2 of ${e.cidr} (lab gateway / client)`);
      if (t.eip === networkOf(cidr(e.cidr)) || t.eip === broadcastOf(cidr(e.cidr))) errs.push(`eip ${t.eip} is the network or broadcast address of ${e.cidr}`);
      if (t.adminAddress && isIpv4(t.adminAddress) && contains(cidr(e.cidr), t.adminAddress))
        errs.push(`adminAddress ${t.adminAddress} lies in the lab's edge network ${e.cidr}: give adminCidr an address outside it`);
    }
  }
  if (errs.length) throw new LabError(`invalid lab topology:\n  - ${errs.join("\n  - ")}`);
}

/** Refuse when the lab's networks collide with a route or an address of the host's own network namespace. */
export async function checkHostCollisions(t: LabTopology): Promise<void> {
  const ours = [...labSubnets(t).map((z) => z.subnetCidr), edgeOf(t).cidr];
  const routes = await runOk(["ip", "-4", "route", "show"], { what: "ip -4 route (host)", timeoutMs: 10_000 });
  const addrs = await runOk(["ip", "-4", "-o", "addr", "show"], { what: "ip -4 addr (host)", timeoutMs: 10_000 });
  const problems: string[] = [];
  for (const line of routes.stdout.split("\n")) {
    const dst = line.trim().split(/\s+/)[0];
    if (!dst || dst === "default" || !/^\d/.test(dst)) continue;
    for (const o of ours)
      if (overlaps(cidr(dst.includes("/") ? dst : `${dst}/32`), cidr(o))) problems.push(`host route "${line.trim()}" overlaps lab network ${o}`);
  }
  for (const line of addrs.stdout.split("\n")) {
    const m = /inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
    if (!m || m[1].startsWith("127.")) continue;
    for (const o of ours) if (overlaps(cidr(m[1]), cidr(o))) problems.push(`host address ${m[1]} (${line.trim().split(/\s+/)[1]}) overlaps lab network ${o}`);
  }
  if (problems.length) {
    throw new LabError(
      `lab networks collide with the host's network namespace:\n  - ${problems.join("\n  - ")}\n` +
        `fix: choose a topology whose subnetCidr and eip /24 are unused on this host (see \`ip -4 route\`), e.g. 10.0.4.0/24 and 10.255.0.10`,
    );
  }
}

// ---------- namespaces ----------
export function netnsExists(name: string): boolean {
  return fs.existsSync(`/run/netns/${name}`);
}

/** Run a command inside a named netns (nsenter --net only: mounts, /sys and cgroups stay the host's). */
function execInNetns(ns: string, cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!netnsExists(ns)) return Promise.reject(new LabError(`netns ${ns} does not exist (/run/netns/${ns}) — run labUp first`));
  return runProcess(["nsenter", `--net=/run/netns/${ns}`, "--", ...cmd], { timeoutMs: 60_000, ...opts });
}
/** Run a command in the lab ("VPC") netns, where the bridge and every node address are reachable. */
export function execInLabNs(cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return execInNetns(names.labNs(), cmd, opts);
}
/** Run a command in the client ("internet") netns, which reaches only the eip. */
export function execInClient(cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return execInNetns(names.clientNs(), cmd, opts);
}

async function inNs(ns: string, cmd: string[], what: string, input?: string): Promise<void> {
  const r = await execInNetns(ns, cmd, { input, timeoutMs: 30_000 });
  if (r.code !== 0) throw new LabError(`network: ${what} in netns ${ns} failed: \`${cmd.join(" ")}\` (code ${r.code}): ${r.stderr.trim()}`);
}

/** Create both namespaces, the bridge, the edge veth, addresses, forwarding and NAT. Fails if they exist. */

export async function netUp(t: LabTopology): Promise<void> {
  const ns = names.labNs();
  const cns = names.clientNs();
  const br = names.bridge();
  const e = edgeOf(t);
  for (const n of [ns, cns]) {
    if (netnsExists(n)) throw new LabError(`network: netns ${n} already exists — run labDown first (or \`ip netns del ${n}\`)`);
    await runOk(["ip", "netns", "add", n], { what: `ip netns add ${n}`, timeoutMs: 10_000, hint: "needs root and a kernel with network namespaces" });
  }
  await inNs(ns, ["ip", "link", "set", "lo", "up"], "lo up");
  await inNs(cns, ["ip", "link", "set", "lo", "up"], "lo up");
  // The "VPC subnet" of each zone; the lab netns routes between them, as the VPC does.
  for (const z of labSubnets(t)) {
    await inNs(ns, ["ip", "link", "add", z.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"], `create bridge ${z.bridge}`);
    await inNs(ns, ["ip", "addr", "add", `${z.routerIp}/${prefixOf(z.subnetCidr)}`, "dev", z.bridge], `address ${z.routerIp} on ${z.bridge}`);
    await inNs(ns, ["ip", "link", "set", z.bridge, "up"], `${z.bridge} up`);
  }
  // Where the operator stands: the nodes' firewall admits SSH only from adminCidr.
  if (t.adminAddress) await inNs(ns, ["ip", "addr", "add", `${t.adminAddress}/32`, "dev", br], `operator address ${t.adminAddress} on ${br}`);
  // The edge: a veth between the lab netns and the client netns.
  await inNs(ns, ["ip", "link", "add", names.edgeLab(), "type", "veth", "peer", "name", names.edgeClient(), "netns", cns], "create edge veth");
  await inNs(ns, ["ip", "addr", "add", `${e.labIp}/24`, "dev", names.edgeLab()], `address ${e.labIp} on ${names.edgeLab()}`);
  await inNs(ns, ["ip", "link", "set", names.edgeLab(), "up"], "edge up");
  await inNs(cns, ["ip", "addr", "add", `${e.clientIp}/24`, "dev", names.edgeClient()], `address ${e.clientIp} on client ${names.edgeClient()}`);
  await inNs(cns, ["ip", "link", "set", names.edgeClient(), "up"], "client eth0 up");
  // Routing only inside the lab netns (these sysctls are per network namespace).
  await inNs(ns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], "ip_forward=1");
  // Make the bridge a plain L2 switch, like a VPC: bridged frames skip the lab netns' netfilter.
  // (br_netfilter sysctls are per-netns since Linux 5.3; only touch them inside our own netns.)
  if (fs.existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables")) {
    await execInNetns(ns, ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-arptables=0"], { timeoutMs: 10_000 });
  }
  await bindEips(t);
}

/**
 * Each EIP on the edge, DNATed to its HAVIP as Tencent's EIP is (every port, the client's address
 * kept), and no other: at netUp, and again when the stack's VIPs change (a VIP added or removed,
 * as pulumi up makes or deletes its EIP and binding). The table is replaced whole in one transaction.
 * Without a HAVIP (frontDoor clb) the EIP is the CLB's address: on the edge, DNATed nowhere.
 */
export async function bindEips(t: LabTopology): Promise<void> {
  const ns = names.labNs();
  const edge = names.edgeLab();
  const wanted = [t.eip, ...(t.moreVips ?? []).map((v) => v.eip)].map((eip) => `${eip}/32`);
  const r = await execInNetns(ns, ["ip", "-4", "-o", "address", "show", "dev", edge], { timeoutMs: 10_000 });
  const present = [...r.stdout.matchAll(/ inet (\S+\/32) /g)].map((m) => m[1]);
  for (const address of present.filter((a) => !wanted.includes(a))) await inNs(ns, ["ip", "addr", "del", address, "dev", edge], `remove eip ${address}`);
  for (const address of wanted.filter((a) => !present.includes(a))) await inNs(ns, ["ip", "addr", "add", address, "dev", edge], `eip ${address} on ${edge}`);
  const table = names.nftTable();
  const dnat = allVips(t)
    .map(({ eip, havip }) => `ip daddr ${eip} dnat to ${havip}`)
    .join("\n    ");
  const rules = `
table ip ${table}
delete table ip ${table}
table ip ${table} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ${dnat}
  }
  chain output {
    type nat hook output priority -100; policy accept;
    ${dnat}
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${edge}" oifname "${names.bridge()}" ct status dnat accept
    iifname "${edge}" oifname "br-*" drop
  }
}
`;
  await inNs(ns, ["nft", "-f", "-"], "nft EIP DNAT rules (is nftables installed? apt-get install -y nftables)", rules);
}

/** Every VIP of the lab and its EIP, the primary first; none without a HAVIP (frontDoor clb). */
export function allVips(t: LabTopology): { havip: string; eip: string }[] {
  return t.havip === undefined ? [] : [{ havip: t.havip, eip: t.eip }, ...(t.moreVips ?? [])];
}

/** Delete both namespaces (and with them every interface in them). Fine if they do not exist. */
export async function netDown(): Promise<void> {
  for (const n of [names.clientNs(), names.labNs()]) {
    if (!netnsExists(n)) continue;
    const r = await runProcess(["ip", "netns", "del", n], { timeoutMs: 30_000 });
    if (r.code !== 0 && netnsExists(n))
      throw new LabError(`network: \`ip netns del ${n}\` failed: ${r.stderr.trim()} — are processes still inside it? (ip netns pids ${n})`);
  }
}
