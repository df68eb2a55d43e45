import { PATHS } from "../render/osFacts";
import { describeStates, holdingsOf, NodeState } from "./checks";
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
 * The shell line that makes the target send the old holder what reaches the moving VIPs without a
 * SYN and without a connection here (conntrack sees it new or invalid): the rest of the holder's
 * connections. `dup to` sends it to the holder's address on the link with the VIP still its
 * destination, which stands on lo there; the original is dropped. Off: the table goes.
 */
export function forwardCommand(on: boolean, handover: { vips: string[]; vrrpInterface: string; holderIp: string }): string {
  const table = `table ${FORWARD_TABLE}`;
  if (!on) return `if nft list ${table} >/dev/null 2>&1; then nft delete ${table}; fi`;
  const rules = [
    table,
    `delete ${table}`,
    `${table} {`,
    "  chain prerouting {",
    // mangle (-150): after conntrack (-200) has looked the packet up.
    "    type filter hook prerouting priority mangle; policy accept;",
    ...handover.vips.map(
      (vip) => `    ip daddr ${vip} tcp flags & syn == 0 ct state new,invalid counter dup to ${handover.holderIp} device "${handover.vrrpInterface}" drop`,
    ),
    "  }",
    "}",
  ];
  return `printf '%s\n' ${rules.map(shQuote).join(" ")} | nft -f -`;
}

/** What a switchover needs of a stack: shared by the verifier (over SSH) and the lab. */
export interface SwitchoverTarget {
  /** The front doors: the nodes that may hold the VIP. */
  nodes: { name: string; privateIp: string }[];
  /** Every VIP, the primary first (a NodeState's own holding is the primary's, moreVips the others'). */
  vips: string[];
  vrrpInterface: string;
  nodeStates(): Promise<NodeState[]>;
  /** Runs a shell line as root on `node`; rejects with its exit code and stderr. */
  runAsRoot(node: string, command: string): Promise<void>;
}

/** Where the VIPs go from and to: by default the primary VIP's holder, to the first ready BACKUP. */
export interface SwitchoverRequest {
  to?: string;
  /** Active-active: the node to take out of service, with every VIP it holds. */
  from?: string;
}

export interface SwitchoverResult {
  from: string;
  to: string;
  /** The VIPs that moved: every one the old holder held. */
  vips: string[];
  /** Them in words: "VIP" on a one-VIP stack, else "VIP(s) <addresses>". */
  what: string;
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

/** Each node's state and holding of every VIP, in words; one VIP: as the verifier says it. */
function describeVips(vips: string[], states: NodeState[]): string {
  return [describeStates(states), ...vips.slice(1).map((vip) => `${vip}: ${describeStates(holdingsOf(states, vip, false))}`)].join("; ");
}

/** The VIPs `node` holds as MASTER. */
function heldBy(vips: string[], states: NodeState[], node: string): string[] {
  return vips.filter((vip, i) => holdingsOf(states, vip, i === 0).some((h) => h.name === node && h.state === "MASTER" && h.holdsVip));
}

/** Whether `node` can take `moving`: BACKUP for each of them, and MASTER or BACKUP for every other VIP (not FAULT, not stopped). */
function readyFor(vips: string[], states: NodeState[], node: string, moving: string[]): boolean {
  return vips.every((vip, i) => {
    const state = holdingsOf(states, vip, i === 0).find((h) => h.name === node)?.state;
    return moving.includes(vip) ? state === "BACKUP" : state === "BACKUP" || state === "MASTER";
  });
}

/** The old holder and its VIPs, and the node that takes them; or why there is none, before anything is marked. */
function choose(
  target: SwitchoverTarget,
  states: NodeState[],
  { to, from }: SwitchoverRequest,
): { holder: string; moving: string[]; next: string; what: string } {
  const names = target.nodes.map((n) => n.name);
  const summary = describeVips(target.vips, states);
  for (const [flag, node] of [
    ["--from", from],
    ["--to", to],
  ])
    if (node !== undefined && !names.includes(node)) throw new Error(`${flag} ${node} is not a front door of this stack (${names.join(", ")})`);
  const primary = target.vips[0];
  const holder = from ?? names.find((n) => heldBy([primary], states, n).length > 0);
  if (!holder) throw new Error(`no node holds the VIP (${summary}): nothing to switch over; run the verifier`);
  const moving = heldBy(target.vips, states, holder);
  if (moving.length === 0) throw new Error(`${holder} holds no VIP (${summary}): nothing to move off it`);
  const what = target.vips.length === 1 ? "VIP" : `${moving.length === 1 ? "VIP" : "VIPs"} ${moving.join(", ")}`;
  if (to === holder) throw new Error(`${to} already holds the ${what}`);
  const candidates = names.filter((n) => n !== holder && readyFor(target.vips, states, n, moving));
  const next = to ?? candidates[0];
  if (!next) throw new Error(`no BACKUP is ready to take the ${what} (${summary}); bring one back first`);
  if (!candidates.includes(next)) throw new Error(`${next} is not a BACKUP ready to take the ${what} (${summary}); fix it, or pick another with --to`);
  return { holder, moving, next, what };
}

/**
 * Moves every VIP its holder holds (the primary VIP's, or --from's) to `to`, or else to the first
 * node in the stack's order (the order priorities default to) ready to take them. Exactly one node
 * is promoted: two at 254 would share one skew time, both take the VIP at once, and only then
 * settle by address.
 */
export async function switchover(
  target: SwitchoverTarget,
  request: SwitchoverRequest = {},
  { timeoutMs = 30_000, graceMs = DRAIN_GRACE_MS } = {},
): Promise<SwitchoverResult> {
  const { holder, moving, next, what } = choose(target, await target.nodeStates(), request);
  const handover = { vips: moving, vrrpInterface: target.vrrpInterface, holderIp: target.nodes.find((n) => n.name === holder)!.privateIp };
  let seconds = 0;
  let settled = false;
  // Each step is undone, last first, whatever happens after it; the first failure is the one reported.
  const undo: (() => Promise<void>)[] = [];
  let failure: unknown;
  try {
    await step(target, next, "promoting", markCommand("promote", true));
    undo.push(() => step(target, next, "clearing the promotion", markCommand("promote", false)));
    await step(target, next, "forwarding the holder's connections", forwardCommand(true, handover));
    undo.push(() => step(target, next, "ending the forwarding", forwardCommand(false, handover)));
    const started = Date.now();
    await step(target, holder, "putting in maintenance", markCommand("maintenance", true));
    settled = await waitFor(target, (s) => moving.every((vip) => heldBy(target.vips, s, next).includes(vip)), timeoutMs);
    seconds = (Date.now() - started) / 1000;
    if (settled) await sleep(graceMs);
  } catch (error) {
    failure = error;
  }
  for (const undoStep of undo.reverse()) await undoStep().catch((error: unknown) => (failure ??= error));
  if (failure) throw failure;
  if (!settled)
    throw new Error(`${next} did not take the ${what} within ${timeoutMs / 1000} s; ${holder} stays in maintenance: release it with --release ${holder}`);
  return { from: holder, to: next, vips: moving, what, seconds };
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
