/**
 * labUp / labDown: the whole lab in one call each.
 */
import * as fs from "fs";
import * as path from "path";
import { runProcess } from "../../common/process";
import { log, LabError } from "./exec";
import { settings, paths, names } from "./paths";
import { ensureRootfs } from "./rootfs";
import { ensureRepo, LAB_PACKAGES } from "./repo";
import { ensureSshKey } from "./ssh";
import { allVips, bindEips, labSubnets, validateTopology, checkHostCollisions, netUp, netDown, netnsExists } from "./network";
import { nodeRunning, prepareNode, startNode, waitForSsh, waitForBoot, stopNode, removeNode, nodesOnDisk, removeEmptyCgroupParents } from "./containers";
import type { LabNode, LabTopology } from "./topology";

export interface LabUpOptions {
  /** Packages the local repo must offer (default LAB_PACKAGES). */
  packages?: readonly string[];
  /** Each node's user data (cloud-config), by node name: its SSH host keys are in place before it boots. */
  userData?: Record<string, string>;
}

async function have(cmd: string): Promise<boolean> {
  return (await runProcess(["sh", "-c", `command -v ${cmd}`], { timeoutMs: 10_000 })).code === 0;
}

/** Refuse clearly when the lab cannot run on this machine: not Linux, not root, tools missing. */
export async function checkHost(): Promise<void> {
  if (process.platform !== "linux")
    throw new LabError(`the lab needs Linux (network namespaces, systemd-nspawn); this is ${process.platform} — run it on a Linux machine or VM`);
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    throw new LabError("the lab needs root (netns, mounts, systemd-nspawn) — run it as root, e.g. `sudo bash scripts/lab.sh`");
  const tools: [string, string][] = [
    ["systemd-nspawn", "systemd-container"],
    ["debootstrap", "debootstrap"],
    ["nsenter", "util-linux"],
    ["ip", "iproute2"],
    ["nft", "nftables"],
    ["ssh", "openssh-client"],
    ["ssh-keygen", "openssh-client"],
    ["apt-get", "apt"],
    ["mount", "mount"],
  ];
  const missing: string[] = [];
  for (const [c, pkg] of tools) if (!(await have(c))) missing.push(`${c} (package ${pkg})`);
  if (missing.length)
    throw new LabError(
      `missing on this host: ${missing.join(", ")} — install with: apt-get install -y ${[...new Set(missing.map((m) => /package (\S+)\)/.exec(m)![1]))].join(" ")}`,
    );
  if (!fs.existsSync("/sys/fs/cgroup")) throw new LabError("no /sys/fs/cgroup on this host — systemd-nspawn needs cgroups mounted");
}

/** Refuse clearly when the lab cannot run here, or this topology would collide with the machine's network. */
async function preflight(t: LabTopology): Promise<void> {
  await checkHost();
  validateTopology(t);
  await checkHostCollisions(t);
}

function anythingLeft(t: LabTopology): boolean {
  return netnsExists(names.labNs()) || netnsExists(names.clientNs()) || nodesOnDisk().length > 0 || t.nodes.some((n) => fs.existsSync(paths.nodeDir(n.name)));
}

/** The topology the running hosts were made for: hosts made for another stack are not this one's, even with the same node names. */
const BUILT_FOR = () => path.join(settings.stateDir, "hosts-topology.json");

function builtFor(): LabTopology | undefined {
  return fs.existsSync(BUILT_FOR()) ? (JSON.parse(fs.readFileSync(BUILT_FOR(), "utf8")) as LabTopology) : undefined;
}

/** The names of the hosts the lab records as running (hosts-topology.json). */
export function recordedHosts(): string[] {
  return builtFor()?.nodes.map((n) => n.name) ?? [];
}

/** Records the hosts that run now (the topology's network, these nodes). */
function recordHosts(t: LabTopology, nodes: LabNode[]): void {
  fs.writeFileSync(BUILT_FOR(), JSON.stringify({ ...t, nodes }));
}

/** What the running hosts lack for a topology, and what they have that it no longer names. */
export interface HostChanges {
  added: LabNode[];
  removed: LabNode[];
}

/** Everything but the nodes: what a new VPC, subnet, HAVIP or EIP would change. */
// The VIPs beyond the first come and go with the stack (bindEips), as nodes do: not the network's.
const networkPart = (t: LabTopology) => JSON.stringify({ ...t, nodes: [], moreVips: [] });
const sameNode = (a: LabNode, b: LabNode) => JSON.stringify(a) === JSON.stringify(b);

/**
 * How the running hosts stand to `topology`, as the cloud would take a changed node list: the same
 * network with nodes added or removed is the same lab (new CVMs boot, removed ones go at the end
 * of the run). Undefined when they cannot serve it and a new lab is needed: no lab running, another
 * network, a node at another address or port, or an added node at a removed one's address.
 */
export function hostChanges(topology: LabTopology): HostChanges | undefined {
  const built = builtFor();
  if (!built || networkPart(built) !== networkPart(topology) || !netnsExists(names.labNs())) return undefined;
  if (!built.nodes.every((n) => nodeRunning(n.name))) return undefined;
  const before = new Map(built.nodes.map((n) => [n.name, n]));
  if (topology.nodes.some((n) => before.has(n.name) && !sameNode(before.get(n.name)!, n))) return undefined;
  const added = topology.nodes.filter((n) => !before.has(n.name));
  const removed = built.nodes.filter((n) => !topology.nodes.some((m) => m.name === n.name));
  if (added.some((n) => removed.some((r) => r.privateIp === n.privateIp))) return undefined;
  return { added, removed };
}

/** Whether exactly this topology's hosts are up from an earlier run (then `up` takes the update path). */
export function hostsRunning(topology: LabTopology): boolean {
  const changes = hostChanges(topology);
  return changes !== undefined && changes.added.length === 0 && changes.removed.length === 0;
}

/**
 * Bring the lab up: rootfs + repo (cached), key, network, one booted container per node,
 * each answering ssh. Tears down any previous lab of the same names first.
 */
export async function labUp(t: LabTopology, opts: LabUpOptions = {}): Promise<void> {
  const t0 = Date.now();
  await preflight(t);
  if (anythingLeft(t)) {
    log("up: removing a previous lab first…");
    await labDown(t);
  }
  const rf = await ensureRootfs();
  const repo = await ensureRepo(opts.packages ?? LAB_PACKAGES);
  await ensureSshKey();
  try {
    const bridges = labSubnets(t).map((z) => `bridge ${z.bridge} ${z.routerIp}`);
    log(`up: network: netns ${names.labNs()} (${bridges.join(", ")}), client netns ${names.clientNs()}, eip ${t.eip}${t.havip ? ` → ${t.havip}` : ""}`);
    await netUp(t);
    const tb = Date.now();
    for (const n of t.nodes) await prepareNode(n, t, opts.userData?.[n.name]);
    const pids = t.nodes.map((n) => startNode(n, t));
    log(`up: booting ${t.nodes.map((n, i) => `${n.name} (${n.privateIp}, pid ${pids[i]})`).join(", ")}…`);
    await Promise.all(t.nodes.map((n, i) => waitForSsh(n, pids[i])));
    const bootSeconds = (Date.now() - tb) / 1000;
    const states = await Promise.all(t.nodes.map((n) => waitForBoot(n)));
    t.nodes.forEach((n, i) => {
      const s = states[i];
      log(`up: ${n.name} ssh ready, systemd: ${s.state}${s.failed ? ` (failed units: ${s.failed.replace(/\n/g, "; ")})` : ""}`);
    });
    const built = [rf.built && `rootfs built in ${rf.seconds.toFixed(0)} s`, repo.built && `repo built in ${repo.seconds.toFixed(0)} s`].filter(Boolean);
    recordHosts(t, t.nodes);
    log(`up: hosts ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (booting ${bootSeconds.toFixed(1)} s${built.length ? `; ${built.join(", ")}` : ""})`);
  } catch (e) {
    log(`up failed; tearing the lab down (console logs stay in ${settings.stateDir})…`);
    await labDown(t).catch((e2) => log(`down after failure also failed: ${(e2 as Error).message}`));
    throw e;
  }
}

/**
 * Boots new hosts into the running lab of `t`, as new CVMs join a VPC: each from its user data (its
 * host keys), on the same network. The hosts that run keep running untouched.
 */
export async function addHosts(t: LabTopology, nodes: LabNode[], userData: Record<string, string>): Promise<void> {
  validateTopology(t);
  const running = builtFor()!.nodes;
  try {
    for (const n of nodes) {
      // Left over by an add that failed before the node was recorded.
      if (fs.existsSync(paths.nodeDir(n.name))) await removeHost(n);
      await prepareNode(n, t, userData[n.name]);
    }
    const pids = nodes.map((n) => startNode(n, t));
    log(`add: booting ${nodes.map((n, i) => `${n.name} (${n.privateIp}, pid ${pids[i]})`).join(", ")}…`);
    await Promise.all(nodes.map((n, i) => waitForSsh(n, pids[i])));
    const states = await Promise.all(nodes.map((n) => waitForBoot(n)));
    nodes.forEach((n, i) => log(`add: ${n.name} ssh ready, systemd: ${states[i].state}`));
  } catch (e) {
    log("add failed; removing the new hosts (the running ones stay)…");
    for (const n of nodes) await removeHost(n).catch((e2) => log(`removing ${n.name} also failed: ${(e2 as Error).message}`));
    throw e;
  }
  recordHosts(t, [...running, ...nodes]);
}

/** Binds the EIPs of `t`'s VIPs in the running lab, as the run makes and deletes them, when they changed. */
export async function rebindEips(t: LabTopology): Promise<void> {
  const built = builtFor()!;
  if (JSON.stringify(built.moreVips ?? []) === JSON.stringify(t.moreVips ?? [])) return;
  log(
    `EIPs: ${allVips(t)
      .map((v) => `${v.eip} → ${v.havip}`)
      .join(", ")} (the stack's VIPs changed)`,
  );
  await bindEips(t);
  recordHosts(t, built.nodes);
}

/** Stops and discards hosts whose CVMs the run deleted; the others keep running. */
export async function removeHosts(t: LabTopology, nodes: LabNode[]): Promise<void> {
  for (const n of nodes) {
    await removeHost(n);
    log(`remove: ${n.name} (${n.privateIp}) stopped and its disk discarded`);
  }
  recordHosts(
    t,
    builtFor()!.nodes.filter((n) => !nodes.some((r) => r.name === n.name)),
  );
}

async function removeHost(node: LabNode): Promise<void> {
  await stopNode(node.name);
  await removeNode(node.name);
}

/**
 * Makes `node` anew, as a replaced CVM: its host is stopped and its disk thrown away, then a fresh
 * one boots at the same address with `userData` (its host keys). Nothing of iam-ha is on it.
 */
export async function replaceHost(t: LabTopology, node: LabNode, userData?: string): Promise<void> {
  log(`replace: stopping ${node.name} and discarding its disk…`);
  await removeHost(node);
  await prepareNode(node, t, userData);
  const pid = startNode(node, t);
  await waitForSsh(node, pid);
  const s = await waitForBoot(node);
  log(`replace: a new ${node.name} (${node.privateIp}) answers ssh, systemd: ${s.state}`);
}

/**
 * Tear the lab down: stop every container (of this topology and any other found on disk),
 * remove per-node dirs, delete both netns. Caches (rootfs, repo, key) and console logs stay.
 * Safe to run twice or when nothing exists.
 */
export async function labDown(t?: LabTopology): Promise<void> {
  fs.rmSync(BUILT_FOR(), { force: true });
  const nodes = [...new Set([...(t?.nodes.map((n) => n.name) ?? []), ...nodesOnDisk()])];
  const errors: string[] = [];
  await Promise.all(
    nodes.map(async (n) => {
      try {
        await stopNode(n);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }),
  );
  for (const n of nodes) {
    try {
      await removeNode(n);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  // Processes still inside our netns (started by the lab: ssh clients, test servers…): end them, bounded.
  for (const ns of [names.labNs(), names.clientNs()]) {
    if (!netnsExists(ns)) continue;
    const r = await runProcess(["ip", "netns", "pids", ns], { timeoutMs: 10_000 });
    const pids = r.stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => p !== process.pid);
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  try {
    await netDown();
  } catch (e) {
    errors.push((e as Error).message);
  }
  removeEmptyCgroupParents();
  if (errors.length) throw new LabError(`labDown: some things could not be removed:\n  - ${errors.join("\n  - ")}`);
}
