import { PATHS } from "../render/osFacts";
import { describeStates, NodeState } from "./checks";
import { shQuote } from "./shell";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A planned switchover, the same for a deployed stack (over SSH) and the lab. VRRP moves the VIP
 * only when its holder stops advertising; the BACKUP then waits its skew time, (256 − priority)/256 s
 * (VRRPv2), before it takes over, and for that long no node answers for the VIP. So:
 * 1. the target is promoted (its priority raised to 254: a skew of 8 ms, not 0.8 s at 50);
 * 2. the holder keeps answering what still reaches it in the handover (new connections until the
 *    target's gratuitous ARP lands, requests in progress): every node has the VIP standing on
 *    `lo`, answered by ARP only where keepalived puts it on the NIC (render/firewall.ts);
 * 3. the target forwards to the holder what belongs to the holder's connections: once the
 *    target's gratuitous ARP lands, a connection the holder opened in those milliseconds still
 *    sends its next packets through the target, which has no socket for them;
 * 4. the holder goes into maintenance (FAULT: a priority-0 advert, and the VIP leaves its NIC);
 * 5. once the target is MASTER with the VIP: a grace for connections in progress, then the
 *    forwarding and the promotion end (nopreempt keeps the target MASTER).
 * The old holder stays in maintenance, also across a reboot, until released.
 */

/** The marks a switchover writes on a node, each a keepalived `track_file` (templates/keepalived.conf.mustache). */
export type Mark = "maintenance" | "promote";

const MARK_FILES: Record<Mark, string> = { maintenance: PATHS.maintenanceFile, promote: PATHS.promoteFile };

/** The shell line that sets a mark (1) or clears it (0), as root. */
export function markCommand(mark: Mark, on: boolean): string {
  return `printf '%s\\n' ${on ? 1 : 0} > ${MARK_FILES[mark]}`;
}

/** The nftables table the target forwards the old holder's connections with, for the handover only. */
const FORWARD_TABLE = "ip iam_ha_handover";

/**
 * The shell line that makes the target send the old holder what reaches the VIP without a SYN
 * and without a connection here (conntrack sees it new or invalid): the rest of the holder's
 * connections. `dup to` sends it to the holder's address on the link with the VIP still its
 * destination, which stands on lo there; the original is dropped. Off: the table goes.
 */
export function forwardCommand(on: boolean, vip: { havip: string; vrrpInterface: string; holderIp: string }): string {
  const table = `table ${FORWARD_TABLE}`;
  if (!on) return `if nft list ${table} >/dev/null 2>&1; then nft delete ${table}; fi`;
  const rules = [
    table,
    `delete ${table}`,
    `${table} {`,
    "  chain prerouting {",
    // mangle (-150): after conntrack (-200) has looked the packet up.
    "    type filter hook prerouting priority mangle; policy accept;",
    `    ip daddr ${vip.havip} tcp flags & syn == 0 ct state new,invalid counter dup to ${vip.holderIp} device "${vip.vrrpInterface}" drop`,
    "  }",
    "}",
  ];
  return `printf '%s\n' ${rules.map(shQuote).join(" ")} | nft -f -`;
}

/** What a switchover needs of a stack: shared by the verifier (over SSH) and the lab. */
export interface SwitchoverTarget {
  /** The front doors: the nodes that may hold the VIP. */
  nodes: { name: string; privateIp: string }[];
  havip: string;
  vrrpInterface: string;
  nodeStates(): Promise<NodeState[]>;
  /** Runs a shell line as root on `node`; rejects with its exit code and stderr. */
  runAsRoot(node: string, command: string): Promise<void>;
}

export interface SwitchoverResult {
  from: string;
  to: string;
  /** From the maintenance mark to the new holder reporting MASTER with the VIP, polled. */
  seconds: number;
}

const POLL_MS = 100;
/** How long the old holder still answers for the VIP after the target has it: its requests in progress. */
export const DRAIN_GRACE_MS = 2000;

/** How a target reports a command that failed on a node: its exit code and what it said. */
export function commandFailed(r: { code: number; stderr: string }): Error {
  return new Error(`exit ${r.code}: ${r.stderr.trim()}`);
}

/** Runs one step of the switchover; a failure names the step and the node. */
async function step(target: SwitchoverTarget, node: string, what: string, command: string): Promise<void> {
  try {
    await target.runAsRoot(node, command);
  } catch (error) {
    throw new Error(`${what} on ${node} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Moves the VIP off its holder to `to`, or else to the first ready BACKUP in the stack's order
 * (the order priorities default to). Exactly one node is promoted: two at 254 would share one
 * skew time, both take the VIP at once, and only then settle by address.
 */
export async function switchover(target: SwitchoverTarget, to?: string, { timeoutMs = 30_000, graceMs = DRAIN_GRACE_MS } = {}): Promise<SwitchoverResult> {
  const names = target.nodes.map((n) => n.name);
  const states = await target.nodeStates();
  const holder = states.find((s) => s.state === "MASTER" && s.holdsVip)?.name;
  if (!holder) throw new Error(`no node holds the VIP (${describeStates(states)}): nothing to switch over; run the verifier`);
  if (to !== undefined && !names.includes(to)) throw new Error(`--to ${to} is not a front door of this stack (${names.join(", ")})`);
  if (to === holder) throw new Error(`${to} already holds the VIP`);
  const candidates = states.filter((s) => s.name !== holder && s.state === "BACKUP").map((s) => s.name);
  const next = to ?? candidates[0];
  if (!next) throw new Error(`no BACKUP is ready to take the VIP (${describeStates(states)}); bring one back first`);
  if (!candidates.includes(next))
    throw new Error(`${next} is not a BACKUP ready to take the VIP (${describeStates(states)}); fix it, or pick another with --to`);
  const vip = { havip: target.havip, vrrpInterface: target.vrrpInterface, holderIp: target.nodes.find((n) => n.name === holder)!.privateIp };
  let seconds = 0;
  let settled = false;
  // Each step is undone, last first, whatever happens after it; the first failure is the one reported.
  const undo: (() => Promise<void>)[] = [];
  let failure: unknown;
  try {
    await step(target, next, "promoting", markCommand("promote", true));
    undo.push(() => step(target, next, "clearing the promotion", markCommand("promote", false)));
    await step(target, next, "forwarding the holder's connections", forwardCommand(true, vip));
    undo.push(() => step(target, next, "ending the forwarding", forwardCommand(false, vip)));
    const started = Date.now();
    await step(target, holder, "putting in maintenance", markCommand("maintenance", true));
    settled = await waitFor(target, (s) => s.some((n) => n.name === next && n.state === "MASTER" && n.holdsVip), timeoutMs);
    seconds = (Date.now() - started) / 1000;
    if (settled) await sleep(graceMs);
  } catch (error) {
    failure = error;
  }
  for (const undoStep of undo.reverse()) await undoStep().catch((error: unknown) => (failure ??= error));
  if (failure) throw failure;
  if (!settled)
    throw new Error(`${next} did not take the VIP within ${timeoutMs / 1000} s; ${holder} stays in maintenance: release it with --release ${holder}`);
  return { from: holder, to: next, seconds };
}

/** Takes `node` out of maintenance: it comes back as BACKUP (nopreempt: the VIP stays where it is). */
export async function release(target: SwitchoverTarget, node: string): Promise<void> {
  const names = target.nodes.map((n) => n.name);
  if (!names.includes(node)) throw new Error(`${node} is not a front door of this stack (${names.join(", ")})`);
  await step(target, node, "releasing", markCommand("maintenance", false));
}

async function waitFor(target: SwitchoverTarget, done: (states: NodeState[]) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done(await target.nodeStates())) return true;
    await sleep(POLL_MS);
  }
  return false;
}
