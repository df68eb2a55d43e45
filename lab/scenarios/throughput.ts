/**
 * What the proxy costs: Debian's wrk at a fixed concurrency through the EIP (from the client
 * namespace, where a user stands: DNAT, the VIP holder's nginx, the upstream over every node's
 * backend) and straight to one node's backend from its peer's network namespace (the host's wrk
 * in node-2's namespace: the node firewall admits the backend ports from peers only, as nginx on
 * the peer reaches them).
 *
 * wrk, the router, nginx and the backend stand-ins share the machine's cores, so requests/s is
 * CPU per request in disguise, and it moves with whatever else the machine runs. Hence: the two
 * paths alternate for `rounds` rounds (the median round of each is reported, every round kept),
 * and each run also says where the CPU went per request (nginx, backends, wrk, softirq: the
 * kernel's network work, the router's NAT included), read from /proc in the middle of the run:
 * other load moves it far less than requests/s (2026-12: nginx 38 to 50 µs per request through
 * the EIP while requests/s ranged from 7,600 to 21,000).
 */
import * as fs from "fs";
import { descendants, runProcess, RunResult } from "../../common/process";
import { LabError, sleep } from "../hosts/exec";
import { execInClient } from "../hosts/network";
import { leaderPid } from "../hosts/nodeShell";
import type { LabStack } from "../program/stack";
import { parseWrk, WrkFigures } from "./benchFigures";

export const THROUGHPUT = { connections: 16, threads: 2, seconds: 10, rounds: 3 };

/** CPU time per request (µs) during a run, by who spent it. */
export interface CpuPerRequest {
  nginx: number;
  /** The IAM stand-ins on every node. */
  backends: number;
  /** Everything else in the nodes (systemd, keepalived and its checks, MariaDB, …). */
  otherLab: number;
  wrk: number;
  /** Softirq on every core: the network stack's receive work, the router's bridge and NAT included (machine-wide, so other traffic counts too). */
  softirq: number;
  total: number;
}

export type WrkRun = WrkFigures & { cpuUsPerRequest?: CpuPerRequest };

export interface Throughput {
  connections: number;
  seconds: number;
  rounds: number;
  /** The median round of each path (by requests/s). */
  eip: WrkRun;
  direct: WrkRun & { node: string; from: string };
  /** Every round, in the order run (EIP and direct alternate). */
  runs: { eip: WrkRun[]; direct: WrkRun[] };
  /** EIP requests/s as a share of direct, and the p99 latency the path adds (ms), from the medians. */
  eipShare: number;
  p99AddedMs: number;
}

const HZ = 100; // USER_HZ: the unit of /proc/<pid>/stat and /proc/stat times on Linux

interface CpuSnapshot {
  at: number;
  /** Ticks by pid and the group it belongs to. */
  pids: Map<number, { group: keyof CpuPerRequest; ticks: number }>;
  softirq: number;
}

function processTicks(pid: number): { comm: string; ticks: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime (fields 14 and 15): a process's own threads included.
    return { comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

function snapshot(leaders: number[]): CpuSnapshot {
  const pids = new Map<number, { group: keyof CpuPerRequest; ticks: number }>();
  for (const pid of leaders.flatMap((leader) => [leader, ...descendants(leader)])) {
    const p = processTicks(pid);
    if (p) pids.set(pid, { group: p.comm === "nginx" ? "nginx" : p.comm.startsWith("python") ? "backends" : "otherLab", ticks: p.ticks });
  }
  for (const pid of descendants(process.pid)) {
    const p = processTicks(pid);
    if (p?.comm === "wrk") pids.set(pid, { group: "wrk", ticks: p.ticks });
  }
  const softirq = fs
    .readFileSync("/proc/stat", "utf8")
    .split("\n")
    .filter((l) => /^cpu\d/.test(l))
    .reduce((sum, l) => sum + Number(l.split(/\s+/)[7]), 0);
  return { at: Date.now(), pids, softirq };
}

/** µs of CPU per request between two snapshots, at `requestsPerSecond`. */
function perRequest(a: CpuSnapshot, b: CpuSnapshot, requestsPerSecond: number): CpuPerRequest {
  const requests = (requestsPerSecond * (b.at - a.at)) / 1000;
  const us = (ticks: number) => Math.round(((ticks / HZ) * 1e6 * 10) / requests) / 10;
  const by: Record<keyof CpuPerRequest, number> = { nginx: 0, backends: 0, otherLab: 0, wrk: 0, softirq: b.softirq - a.softirq, total: 0 };
  for (const [pid, { group, ticks }] of b.pids) by[group] += ticks - (a.pids.get(pid)?.ticks ?? 0);
  by.total = by.nginx + by.backends + by.otherLab + by.wrk + by.softirq;
  return { nginx: us(by.nginx), backends: us(by.backends), otherLab: us(by.otherLab), wrk: us(by.wrk), softirq: us(by.softirq), total: us(by.total) };
}

async function wrk(
  where: string,
  run: (cmd: string[], timeoutMs: number) => Promise<RunResult>,
  url: string,
  host: string,
  leaders: number[],
): Promise<WrkRun> {
  const { connections, threads, seconds } = THROUGHPUT;
  const running = run(
    ["wrk", `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "2s", "--latency", "-H", `Host: ${host}`, url],
    (seconds + 30) * 1000,
  );
  // CPU from the 2nd second to the one before the last: the steady state, not wrk's start or end.
  let cpu: [CpuSnapshot, CpuSnapshot] | undefined;
  if (seconds >= 4) {
    await sleep(2000);
    const first = snapshot(leaders);
    await sleep((seconds - 3) * 1000);
    cpu = [first, snapshot(leaders)];
  }
  const r = await running;
  if (r.notFound) throw new LabError("wrk is not installed: apt-get install wrk (scripts/setup.sh installs it)");
  if (r.code !== 0) throw new LabError(`wrk in ${where} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const figures = parseWrk(r.stdout);
  return cpu ? { ...figures, cpuUsPerRequest: perRequest(cpu[0], cpu[1], figures.requestsPerSecond) } : figures;
}

/** The run with the median requests/s (the lower middle one for an even count). */
function median<T extends WrkFigures>(runs: T[]): T {
  return [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor((runs.length - 1) / 2)];
}

export async function measureThroughput(stack: LabStack): Promise<Throughput> {
  const site = stack.config.sites[0];
  const node = stack.topology.nodes[0];
  const peer = stack.topology.nodes[1];
  const leaders = stack.topology.nodes.map((n) => leaderPid(n.name));
  const runs: Throughput["runs"] = { eip: [], direct: [] };
  for (let round = 0; round < THROUGHPUT.rounds; round++) {
    runs.eip.push(
      await wrk("the client namespace", (cmd, timeoutMs) => execInClient(cmd, { timeoutMs }), `http://${stack.topology.eip}/healthz`, site.serverName, leaders),
    );
    runs.direct.push(
      await wrk(
        `${peer.name}'s network namespace`,
        (cmd, timeoutMs) => runProcess(["nsenter", "-t", String(leaderPid(peer.name)), "-n", "--", ...cmd], { timeoutMs }),
        `http://${node.privateIp}:${site.port}/healthz`,
        site.serverName,
        leaders,
      ),
    );
  }
  const eip = median(runs.eip);
  const direct = median(runs.direct);
  return {
    connections: THROUGHPUT.connections,
    seconds: THROUGHPUT.seconds,
    rounds: THROUGHPUT.rounds,
    eip,
    direct: { ...direct, node: node.name, from: peer.name },
    runs,
    eipShare: eip.requestsPerSecond / direct.requestsPerSecond,
    p99AddedMs: eip.p99Ms - direct.p99Ms,
  };
}
