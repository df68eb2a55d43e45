/**
 * What the proxy costs: Debian's wrk at a fixed concurrency through the EIP (from the client
 * namespace, where a user stands: DNAT, the VIP holder's nginx, the upstream over every node's
 * backend) and straight to one node's backend from its peer's network namespace (the host's wrk
 * in node-2's namespace: the node firewall admits the backend ports from peers only, as nginx on
 * the peer reaches them).
 */
import { runProcess, RunResult } from "../../common/process";
import { LabError } from "../hosts/exec";
import { execInClient } from "../hosts/network";
import { leaderPid } from "../hosts/nodeShell";
import type { LabStack } from "../program/stack";
import { parseWrk, WrkFigures } from "./benchFigures";

export const THROUGHPUT = { connections: 16, threads: 2, seconds: 10 };

export interface Throughput {
  connections: number;
  seconds: number;
  eip: WrkFigures;
  direct: WrkFigures & { node: string; from: string };
  /** EIP requests/s as a share of direct, and the p99 latency the path adds (ms). */
  eipShare: number;
  p99AddedMs: number;
}

async function wrk(where: string, run: (cmd: string[], timeoutMs: number) => Promise<RunResult>, url: string, host: string): Promise<WrkFigures> {
  const { connections, threads, seconds } = THROUGHPUT;
  const r = await run(
    ["wrk", `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "2s", "--latency", "-H", `Host: ${host}`, url],
    (seconds + 30) * 1000,
  );
  if (r.notFound) throw new LabError("wrk is not installed: apt-get install wrk (scripts/setup.sh installs it)");
  if (r.code !== 0) throw new LabError(`wrk in ${where} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return parseWrk(r.stdout);
}

export async function measureThroughput(stack: LabStack): Promise<Throughput> {
  const site = stack.config.sites[0];
  const node = stack.topology.nodes[0];
  const peer = stack.topology.nodes[1];
  const eip = await wrk("the client namespace", (cmd, timeoutMs) => execInClient(cmd, { timeoutMs }), `http://${stack.topology.eip}/healthz`, site.serverName);
  const direct = await wrk(
    `${peer.name}'s network namespace`,
    (cmd, timeoutMs) => runProcess(["nsenter", "-t", String(leaderPid(peer.name)), "-n", "--", ...cmd], { timeoutMs }),
    `http://${node.privateIp}:${site.port}/healthz`,
    site.serverName,
  );
  return {
    connections: THROUGHPUT.connections,
    seconds: THROUGHPUT.seconds,
    eip,
    direct: { ...direct, node: node.name, from: peer.name },
    eipShare: eip.requestsPerSecond / direct.requestsPerSecond,
    p99AddedMs: eip.p99Ms - direct.p99Ms,
  };
}
