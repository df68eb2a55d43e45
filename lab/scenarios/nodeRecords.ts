/**
 * What the nodes and the lab's bridge record while a scenario runs, for figures timed where they
 * happen (the containers share the host's clock): keepalived's journal on each node, and the
 * router's neighbour entry for the VIP (the lab namespace's bridge, network.ts), which a new
 * holder's gratuitous ARP rewrites.
 */
import { descendants, RunOptions, RunResult } from "../../common/process";
import { shellWords } from "../../common/shell";
import { LabError, sleep } from "../hosts/exec";
import { execInLabNs } from "../hosts/network";
import { inNode } from "../hosts/nodeShell";
import { names } from "../hosts/paths";
import type { LabStack } from "../program/stack";
import { neighbourUpdates } from "./benchFigures";

/** Each node's keepalived journal lines since `sinceMs` (journalctl's --since is whole seconds: callers filter by time). */
export async function keepalivedJournals(stack: LabStack, sinceMs: number): Promise<Map<string, string[]>> {
  const entries = await Promise.all(
    stack.topology.nodes.map(async (node) => {
      const r = await inNode(node.name, `journalctl -u keepalived -o short-iso-precise --no-pager --since @${Math.floor(sinceMs / 1000)}`);
      if (r.code !== 0) throw new LabError(`reading ${node.name}'s keepalived journal failed (exit ${r.code}): ${r.stderr.trim()}`);
      return [node.name, r.stdout.split("\n")] as const;
    }),
  );
  return new Map(entries);
}

/** Each node's MAC on its VRRP interface, lower case: whose address the router's entry names. */
export async function nodeMacs(stack: LabStack): Promise<Map<string, string>> {
  const iface = stack.config.vrrp.interface;
  const entries = await Promise.all(
    stack.topology.nodes.map(async (node) => {
      const r = await inNode(node.name, `cat /sys/class/net/${iface}/address`);
      if (r.code !== 0) throw new LabError(`reading ${node.name}'s MAC on ${iface} failed: ${r.stderr.trim()}`);
      return [node.name, r.stdout.trim().toLowerCase()] as const;
    }),
  );
  return new Map(entries);
}

const WATCH_LIMIT_MS = 180_000;

type Runner = (cmd: readonly string[], opts: RunOptions) => Promise<RunResult>;

/**
 * Starts `cmd` with `run` (a namespace's runner) in the background, for at most `limitMs`;
 * `stop` ends it and whatever it started (by the pid it printed first), and returns what it said.
 */
export function inBackground(run: Runner, cmd: string[], limitMs: number): { stop(): Promise<RunResult> } {
  let pid: number | undefined;
  const running = run(["sh", "-c", `${shellWords(cmd)} & echo "pid $!"; wait`], {
    timeoutMs: limitMs,
    onLine: (line) => {
      const m = /^pid (\d+)$/.exec(line);
      if (m) pid = Number(m[1]);
    },
  });
  return {
    async stop() {
      for (let i = 0; pid === undefined && i < 50; i++) await sleep(100);
      for (const p of pid === undefined ? [] : [pid, ...descendants(pid)]) {
        try {
          process.kill(p, "SIGTERM");
        } catch {
          /* gone */
        }
      }
      return running;
    },
  };
}

/** The lab's (primary) VIP, for what only a stack behind a VIP has: a refusal behind a CLB. */
export function labVip(stack: LabStack): string {
  const { havip } = stack.topology;
  if (!havip)
    throw new LabError(
      `stack ${stack.name} stands behind a CLB (frontDoor clb): it has no VIP to fail over or move; its scenarios are the zone ones (npm run lab -- failover)`,
    );
  return havip;
}

/** Starts `ip -ts monitor neigh` on the lab's bridge; `stop` returns every update of the VIP's entry. */
export function watchNeighbours(stack: LabStack): { stop(): Promise<{ t: number; lladdr: string }[]> } {
  const havip = labVip(stack);
  const monitor = inBackground(execInLabNs, ["ip", "-ts", "monitor", "neigh", "dev", names.bridge()], WATCH_LIMIT_MS);
  return { stop: async () => neighbourUpdates((await monitor.stop()).stdout, havip) };
}
