import { commandFailed, release, switchover, SwitchoverRequest, SwitchoverResult, SwitchoverTarget } from "../../common/switchover";
import { sleep } from "../hosts/exec";
import { sshExec } from "../hosts/ssh";
import type { LabStack } from "../program/stack";
import { nodeStates } from "../program/status";
import { streamsThroughEveryEip } from "./activeActive";
import { instanceMasterIntervals, longestGap, mostAtOnce } from "./masters";
import { holdingsOf } from "../../common/checks";
import { allVipNames } from "../../render/vips";
import { frontDoors } from "../../config/lists";
import { keepalivedJournals, labVip } from "./nodeRecords";

/** The lab as the switchover sees a stack: its front doors' states, and commands over SSH. */
export function labSwitchoverTarget(stack: LabStack): SwitchoverTarget {
  return {
    nodes: frontDoors(stack.config.nodes).map((n) => ({ name: n.name, privateIp: n.privateIp })),
    // The primary (labVip refuses a stack without one, behind a CLB), then the others as the probe names them.
    vips: [labVip(stack), ...stack.config.vips.slice(1).map((vip) => vip.address)],
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
  /** The most nodes MASTER of one VIP at the same instant. */
  mostMasters: number;
  /** The longest time no node was MASTER of a VIP after one had been, in ms (the VIPs' longest handover gap). */
  longestGapMs: number;
}

export interface SwitchoverRun extends SwitchoverResult, MasterOverlap {
  /** Requests of the steady streams through every EIP, and those that failed. */
  requests: number;
  failed: number;
}

const STREAM_MS = 10_000;

/** A planned switchover under a steady stream of requests through every EIP, counted; MASTERs per VIP (its VRRP instance). */
export async function runSwitchover(stack: LabStack, request: SwitchoverRequest = {}): Promise<SwitchoverRun> {
  const start = await nodeStates(stack.config, stack.topology);
  // journalctl's --since is whole seconds: masterIntervals skips what came before `since`.
  const since = Date.now();
  const streams = streamsThroughEveryEip(stack, STREAM_MS);
  await sleep(2000);
  const result = await switchover(labSwitchoverTarget(stack), request);
  const events = (await Promise.all(streams)).flat();
  const until = Date.now();
  const journals = await keepalivedJournals(stack, since);
  const perVip = allVipNames(stack.config).map(({ instanceName, vip }, i) => {
    const masterAtStart = holdingsOf(start, vip.address, i === 0)
      .filter((h) => h.state === "MASTER")
      .map((h) => h.name);
    return instanceMasterIntervals(journals, instanceName, (node) => masterAtStart.includes(node), since, until).map((m) => m.interval);
  });
  return {
    ...result,
    mostMasters: Math.max(...perVip.map(mostAtOnce)),
    longestGapMs: Math.max(...perVip.map(longestGap)),
    requests: events.length,
    failed: events.filter((e) => !e.ok).length,
  };
}

export function releaseNode(stack: LabStack, node: string): Promise<void> {
  return release(labSwitchoverTarget(stack), node);
}
