import { NodeState } from "../../common/checks";
import { commandFailed, release, switchover, SwitchoverResult, SwitchoverTarget } from "../../common/switchover";
import { LabError, sleep } from "../hosts/exec";
import { inNode } from "../hosts/nodeShell";
import { sshExec } from "../hosts/ssh";
import type { LabStack } from "../program/stack";
import { nodeStates } from "../program/status";
import { startStream } from "./failover";

/** The lab as the switchover sees a stack: its nodes' states, and commands over SSH. */
export function labSwitchoverTarget(stack: LabStack): SwitchoverTarget {
  return {
    nodes: stack.topology.nodes.map((n) => ({ name: n.name, privateIp: n.privateIp })),
    havip: stack.topology.havip,
    vrrpInterface: stack.config.vrrp.interface,
    nodeStates: () => nodeStates(stack.config, stack.topology),
    runAsRoot: async (name, command) => {
      const node = stack.topology.nodes.find((n) => n.name === name)!;
      const r = await sshExec(node, command, undefined, { timeoutMs: 15_000 });
      if (r.code !== 0) throw commandFailed(r);
    },
  };
}

/** One keepalived state change, as the node's journal has it. */
export interface Transition {
  node: string;
  /** Microseconds since the epoch (short-iso-precise timestamps). */
  us: number;
  state: string;
}

const ENTERING = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})([+-]\d\d:?\d\d) .*?(?:Entering (MASTER|BACKUP|FAULT) STATE|(Stopping|Stopped) )/;

/** keepalived's state changes in `journalctl -u keepalived -o short-iso-precise` output. */
export function parseTransitions(node: string, journal: string): Transition[] {
  return journal.split("\n").flatMap((line) => {
    const m = ENTERING.exec(line);
    if (!m) return [];
    const us = Date.parse(`${m[1]}${m[3]}`) * 1000 + Number(m[2]);
    return [{ node, us, state: m[4] ?? "STOPPED" }];
  });
}

export interface MasterOverlap {
  /** The most nodes MASTER at the same instant. */
  mostMasters: number;
  /** The longest time no node was MASTER after one had been, in ms (the VIP's handover gap). */
  longestGapMs: number;
}

/**
 * Replays every node's transitions in time order from the states they started in: exact where
 * a poll would miss an overlap shorter than its interval.
 */
export function masterOverlap(start: NodeState[], transitions: Transition[]): MasterOverlap {
  const state = new Map(start.map((s) => [s.name, s.state]));
  const masters = () => [...state.values()].filter((s) => s === "MASTER").length;
  let mostMasters = masters();
  let longestGapMs = 0;
  let noneSince: number | null = null;
  for (const t of [...transitions].sort((a, b) => a.us - b.us)) {
    const before = masters();
    state.set(t.node, t.state);
    const now = masters();
    mostMasters = Math.max(mostMasters, now);
    if (before > 0 && now === 0) noneSince = t.us;
    if (now > 0 && noneSince !== null) {
      longestGapMs = Math.max(longestGapMs, (t.us - noneSince) / 1000);
      noneSince = null;
    }
  }
  return { mostMasters, longestGapMs };
}

async function journalSince(node: string, sinceMs: number): Promise<string> {
  const r = await inNode(node, `journalctl -u keepalived -o short-iso-precise --no-pager --since @${Math.floor(sinceMs / 1000)}`);
  if (r.code !== 0) throw new LabError(`reading ${node}'s keepalived journal failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface SwitchoverRun extends SwitchoverResult, MasterOverlap {
  /** Requests of the steady stream through the EIP, and those that failed. */
  requests: number;
  failed: number;
}

const STREAM_MS = 10_000;

/** A planned switchover under a steady stream of requests through the EIP, counted. */
export async function runSwitchover(stack: LabStack, to?: string): Promise<SwitchoverRun> {
  const start = await nodeStates(stack.config, stack.topology);
  // Journal timestamps have whole-second --since: transitions before this second replay harmlessly.
  const since = Date.now();
  const stream = startStream(stack, stack.config.sites[0].serverName, STREAM_MS);
  await sleep(2000);
  const result = await switchover(labSwitchoverTarget(stack), to);
  const events = await stream;
  const journals = await Promise.all(stack.topology.nodes.map(async (n) => parseTransitions(n.name, await journalSince(n.name, since))));
  const after = journals.flat().filter((t) => t.us >= since * 1000);
  return { ...result, ...masterOverlap(start, after), requests: events.length, failed: events.filter((e) => !e.ok).length };
}

export function releaseNode(stack: LabStack, node: string): Promise<void> {
  return release(labSwitchoverTarget(stack), node);
}
