import { commandFailed, release, switchover, SwitchoverResult, SwitchoverTarget } from "../../common/switchover";
import { sleep } from "../hosts/exec";
import { sshExec } from "../hosts/ssh";
import type { LabStack } from "../program/stack";
import { nodeStates } from "../program/status";
import { startStream } from "./failover";
import { longestGap, masterIntervals, mostAtOnce } from "./masters";
import { frontDoors } from "../../config/lists";
import { keepalivedJournals, labVip } from "./nodeRecords";

/** The lab as the switchover sees a stack: its front doors' states, and commands over SSH. */
export function labSwitchoverTarget(stack: LabStack): SwitchoverTarget {
  return {
    nodes: frontDoors(stack.config.nodes).map((n) => ({ name: n.name, privateIp: n.privateIp })),
    havip: labVip(stack),
    vrrpInterface: stack.config.vrrp.interface,
    nodeStates: () => nodeStates(stack.config, stack.topology),
    runAsRoot: async (name, command) => {
      const node = stack.topology.nodes.find((n) => n.name === name)!;
      const r = await sshExec(node, command, undefined, { timeoutMs: 15_000 });
      if (r.code !== 0) throw commandFailed(r);
    },
  };
}

export interface MasterOverlap {
  /** The most nodes MASTER at the same instant. */
  mostMasters: number;
  /** The longest time no node was MASTER after one had been, in ms (the VIP's handover gap). */
  longestGapMs: number;
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
  // journalctl's --since is whole seconds: masterIntervals skips what came before `since`.
  const since = Date.now();
  const stream = startStream(stack, stack.config.sites[0].serverName, STREAM_MS);
  await sleep(2000);
  const result = await switchover(labSwitchoverTarget(stack), to);
  const events = await stream;
  const until = Date.now();
  const journals = await keepalivedJournals(stack, since);
  const masters = start.flatMap((s) => masterIntervals(journals.get(s.name) ?? [], s.state === "MASTER", since, until));
  return {
    ...result,
    mostMasters: mostAtOnce(masters),
    longestGapMs: longestGap(masters),
    requests: events.length,
    failed: events.filter((e) => !e.ok).length,
  };
}

export function releaseNode(stack: LabStack, node: string): Promise<void> {
  return release(labSwitchoverTarget(stack), node);
}
