import { NodeState } from "../../common/checks";
import { maintenanceCommand, release, switchover, SwitchoverResult, SwitchoverTarget } from "../../common/switchover";
import { LabError, sleep } from "../hosts/exec";
import { sshExec } from "../hosts/ssh";
import type { LabStack } from "../program/stack";
import { nodeStates } from "../program/status";
import { startStream } from "./failover";

/** The lab as the switchover sees a stack: its nodes' states, and maintenance marks over SSH. */
export function labSwitchoverTarget(stack: LabStack): SwitchoverTarget {
  return {
    nodes: stack.topology.nodes.map((n) => n.name),
    nodeStates: () => nodeStates(stack.config, stack.topology),
    setMaintenance: async (name, on) => {
      const node = stack.topology.nodes.find((n) => n.name === name)!;
      const r = await sshExec(node, maintenanceCommand(on), undefined, { timeoutMs: 15_000 });
      if (r.code !== 0) throw new LabError(`marking ${name} ${on ? "in maintenance" : "in service"} failed (exit ${r.code}): ${r.stderr.trim()}`);
    },
  };
}

export interface SwitchoverRun extends SwitchoverResult {
  /** Requests of the steady stream through the EIP, and those that failed. */
  requests: number;
  failed: number;
  /** The most nodes that reported MASTER at one poll during the run. */
  mostMasters: number;
}

const STREAM_MS = 10_000;

/** A planned switchover under a steady stream of requests through the EIP, counted. */
export async function runSwitchover(stack: LabStack, to?: string): Promise<SwitchoverRun> {
  const stream = startStream(stack, stack.config.sites[0].serverName, STREAM_MS);
  let watching = true;
  let mostMasters = 0;
  const watch = (async () => {
    while (watching) {
      const states: NodeState[] = await nodeStates(stack.config, stack.topology);
      mostMasters = Math.max(mostMasters, states.filter((s) => s.state === "MASTER").length);
    }
  })();
  await sleep(2000);
  const result = await switchover(labSwitchoverTarget(stack), to);
  const events = await stream;
  watching = false;
  await watch;
  return { ...result, requests: events.length, failed: events.filter((e) => !e.ok).length, mostMasters };
}

export function releaseNode(stack: LabStack, node: string): Promise<void> {
  return release(labSwitchoverTarget(stack), node);
}
