import { PATHS } from "../render/osFacts";
import { describeStates, NodeState } from "./checks";

/**
 * A planned switchover, the same for a deployed stack (over SSH) and the lab: the VIP holder is
 * put in maintenance (1 in the file keepalived tracks with weight 0, so it goes to FAULT and hands
 * the VIP over with a priority-0 advert), and stays there, also across a reboot, until released.
 */

/** Where keepalived reads a node's maintenance mark (a `track_file` with weight 0). */
export const MAINTENANCE_FILE = PATHS.maintenanceFile;

/** The shell line that marks a node (1: out of the way) or releases it (0), as root. */
export function maintenanceCommand(on: boolean): string {
  return `printf '%s\\n' ${on ? 1 : 0} > ${MAINTENANCE_FILE}`;
}

export interface SwitchoverTarget {
  nodes: string[];
  nodeStates(): Promise<NodeState[]>;
  /** Runs `maintenanceCommand(on)` on `node`; rejects with what went wrong. */
  setMaintenance(node: string, on: boolean): Promise<void>;
}

export interface SwitchoverResult {
  from: string;
  to: string;
  /** From the mark to the new holder reporting MASTER with the VIP, polled. */
  seconds: number;
}

const POLL_MS = 100;

/**
 * Moves the VIP off its holder, to `to` when given (the other nodes are marked too while it
 * moves, so the choice is `to`'s, then released), and leaves the old holder in maintenance.
 */
export async function switchover(target: SwitchoverTarget, to?: string, timeoutMs = 30_000): Promise<SwitchoverResult> {
  const states = await target.nodeStates();
  const holder = states.find((s) => s.state === "MASTER" && s.holdsVip)?.name;
  if (!holder) throw new Error(`no node holds the VIP (${describeStates(states)}): nothing to switch over; run the verifier`);
  if (to !== undefined && !target.nodes.includes(to)) throw new Error(`--to ${to} is not a node of this stack (${target.nodes.join(", ")})`);
  if (to === holder) throw new Error(`${to} already holds the VIP`);
  const candidates = states.filter((s) => s.name !== holder && s.state === "BACKUP").map((s) => s.name);
  const next = to ?? candidates[0];
  if (!next) throw new Error(`no BACKUP is ready to take the VIP (${describeStates(states)}); bring one back first`);
  if (!candidates.includes(next))
    throw new Error(`${next} is not a BACKUP ready to take the VIP (${describeStates(states)}); fix it, or pick another with --to`);
  const bystanders = candidates.filter((n) => n !== next);
  for (const node of bystanders) await target.setMaintenance(node, true);
  const started = Date.now();
  await target.setMaintenance(holder, true);
  const settled = await waitFor(target, (s) => s.some((n) => n.name === next && n.state === "MASTER" && n.holdsVip), timeoutMs);
  const seconds = (Date.now() - started) / 1000;
  for (const node of bystanders) await target.setMaintenance(node, false);
  if (!settled)
    throw new Error(`${next} did not take the VIP within ${timeoutMs / 1000} s; ${holder} stays in maintenance: release it with --release ${holder}`);
  return { from: holder, to: next, seconds };
}

/** Takes `node` out of maintenance: it comes back as BACKUP (nopreempt: the VIP stays where it is). */
export async function release(target: SwitchoverTarget, node: string): Promise<void> {
  if (!target.nodes.includes(node)) throw new Error(`${node} is not a node of this stack (${target.nodes.join(", ")})`);
  await target.setMaintenance(node, false);
}

async function waitFor(target: SwitchoverTarget, done: (states: NodeState[]) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done(await target.nodeStates())) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return false;
}
