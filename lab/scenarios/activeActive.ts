/**
 * Active-active (Pulumi.yaml `vips`): every VIP on its preferred front door while all are up; a
 * front door's failure puts its VIPs on the others while requests through every EIP are still
 * answered; its recovery gives them back after the calm period (preemptDelay), or not at all when
 * the VIP is non-preemptive. A request stream runs through each EIP; the figures are per VIP.
 */
import { IamHaConfig } from "../../config/types";
import { allVipNames } from "../../render/vips";
import { LabError, log, sleep } from "../hosts/exec";
import { allVips } from "../hosts/network";
import { inNode } from "../hosts/nodeShell";
import type { LabStack } from "../program/stack";
import { vipHolders } from "../program/status";
import { requestFigures, RequestEvent, RequestFigures } from "./benchFigures";
import { baseline, runLoadgen } from "./failover";
import { keepalivedJournals } from "./nodeRecords";
import { stateEntriesOf } from "./masters";

const STREAM_INTERVAL_MS = 20;
const FAULT_AFTER_MS = 2_000;
const POLL_MS = 100;
/** How long the VIPs may take to move after a failure. */
const MOVE_DEADLINE_MS = 10_000;
/** How long after the calm period a recovered node may take to take its VIP back. */
const PREEMPT_SLACK_MS = 10_000;
/** How long a non-preemptive VIP is watched for staying where it is after a recovery. */
const STAY_MS = 5_000;

/** One VIP's figures in a scenario. */
export interface VipFigures extends RequestFigures {
  vip: string;
  eip: string;
  preferred: string | null;
  /** Who held it before the fault and after the scenario. */
  holderBefore: string | null;
  holderAfter: string | null;
  /** From the fault to the node that holds it at the end entering MASTER for its instance (its journal); null when it never moved. */
  masterAtMs: number | null;
}

export interface ActiveActiveResult {
  name: string;
  expectation: string;
  held: boolean;
  detail: string;
  vips: VipFigures[];
}

/** Each VIP's holder (its address on the node's VRRP interface), by VIP address: null for none, "split" for two. */
async function holders(stack: LabStack): Promise<Map<string, string | null>> {
  return vipHolders(stack.config, stack.topology);
}

/** Polls until every VIP's holder is what `want` says (or the deadline): when, in ms after `since`, or null. */
async function holdersBecome(
  stack: LabStack,
  want: (vip: string, holder: string | null) => boolean,
  since: number,
  deadlineMs: number,
): Promise<number | null> {
  while (Date.now() - since < deadlineMs) {
    const now = await holders(stack);
    if ([...now].every(([vip, holder]) => want(vip, holder))) return Date.now() - since;
    await sleep(POLL_MS);
  }
  return null;
}

/** Every VIP on its preferred node, as the stack runs with every front door up. */
const placed = (config: IamHaConfig) => (vip: string, holder: string | null) => holder === config.vips.find((v) => v.address === vip)?.preferred;

/** A stream of requests to the first site through every EIP at once, for `durationMs`. */
export function streamsThroughEveryEip(stack: LabStack, durationMs: number): Promise<RequestEvent[]>[] {
  const site = stack.config.sites[0].serverName;
  return allVips(stack.topology).map(({ eip }) => {
    const args = ["--url", `http://${eip}/healthz`, "--host", site, "--interval", String(STREAM_INTERVAL_MS), "--duration", String(durationMs)];
    return runLoadgen("client", args, durationMs + 30_000) as Promise<RequestEvent[]>;
  });
}

/** When `node` entered MASTER for `instance` at or after `since` (its journal), the first time. */
async function enteredMaster(stack: LabStack, node: string | null, instance: string, since: number): Promise<number | null> {
  if (!node || node === "split") return null;
  const journal = (await keepalivedJournals(stack, since)).get(node) ?? [];
  return stateEntriesOf(journal, since, instance).find((e) => e.state === "MASTER")?.t ?? null;
}

interface Phase {
  name: string;
  expectation: string;
  /** Breaks or mends `node` at `fault`; returns whether the VIPs went where they should, and what was seen. */
  act(stack: LabStack, node: string, fault: number): Promise<{ held: boolean; detail: string }>;
  streamMs: number;
}

const setLink = (stack: LabStack, node: string, state: "up" | "down") => inNode(node, `ip link set ${stack.config.vrrp.interface} ${state}`);

/** The front door fails (its link down): every VIP ends on the others. */
function failure(): Phase {
  return {
    name: "a front door fails (its network link down)",
    expectation: "its VIP moves to the other front door, which then holds both; requests through both EIPs are answered",
    streamMs: 10_000,
    async act(stack, node, fault) {
      const r = await setLink(stack, node, "down");
      if (r.code !== 0) throw new LabError(`taking ${node}'s link down failed: ${r.stderr.trim()}`);
      const moved = await holdersBecome(stack, (_vip, holder) => holder !== null && holder !== "split" && holder !== node, fault, MOVE_DEADLINE_MS);
      return {
        held: moved !== null,
        detail: moved === null ? `a VIP stayed on ${node} or found no holder` : `every VIP off ${node} after ${(moved / 1000).toFixed(2)} s`,
      };
    },
  };
}

/** The front door comes back: preemptive VIPs return to it after their calm period, non-preemptive ones stay. */
function recovery(config: IamHaConfig): Phase {
  const calmMs = Math.max(0, ...config.vips.map((v) => (v.preemptDelay ?? 0) * 1000));
  return {
    name: "the front door comes back (link up)",
    expectation: "each preemptive VIP returns to its preferred node once the calm period is over, not before; a non-preemptive one stays",
    streamMs: calmMs + PREEMPT_SLACK_MS + 4_000,
    async act(stack, node, fault) {
      const before = await holders(stack);
      const r = await setLink(stack, node, "up");
      if (r.code !== 0) throw new LabError(`bringing ${node}'s link up failed: ${r.stderr.trim()}`);
      const want = (vip: string, holder: string | null) => {
        const v = config.vips.find((x) => x.address === vip)!;
        return v.preemptDelay === undefined || v.preferred !== node ? holder === before.get(vip) : holder === node;
      };
      const back = await holdersBecome(stack, want, fault, calmMs + PREEMPT_SLACK_MS);
      await sleep(STAY_MS);
      const after = await holders(stack);
      const settled = [...after].every(([vip, holder]) => want(vip, holder));
      return {
        held: back !== null && settled,
        detail:
          back === null
            ? `holders after ${((calmMs + PREEMPT_SLACK_MS) / 1000).toFixed(0)} s: ${describe(after)}`
            : `settled after ${(back / 1000).toFixed(2)} s: ${describe(after)}`,
      };
    },
  };
}

const describe = (byVip: Map<string, string | null>) => [...byVip].map(([vip, holder]) => `${vip} on ${holder ?? "no node"}`).join(", ");

async function runPhase(stack: LabStack, phase: Phase, node: string): Promise<ActiveActiveResult> {
  const before = await holders(stack);
  const start = Date.now();
  const running = streamsThroughEveryEip(stack, phase.streamMs);
  await sleep(FAULT_AFTER_MS);
  const fault = Date.now();
  const outcome = await phase.act(stack, node, fault);
  const events = await Promise.all(running);
  const after = await holders(stack);
  const names = allVipNames(stack.config);
  const vips = await Promise.all(
    allVips(stack.topology).map(async ({ havip, eip }, i) => {
      const holderAfter = after.get(havip) ?? null;
      const moved = holderAfter !== before.get(havip);
      const at = moved ? await enteredMaster(stack, holderAfter, names[i].instanceName, start) : null;
      return {
        vip: havip,
        eip,
        preferred: names[i].vip.preferred ?? null,
        holderBefore: before.get(havip) ?? null,
        holderAfter,
        masterAtMs: at === null ? null : at - fault,
        ...requestFigures(events[i], fault),
      };
    }),
  );
  const answered = vips.every((v) => v.firstSuccessMs !== null);
  const held = outcome.held && answered;
  const result = { name: phase.name, expectation: phase.expectation, held, detail: outcome.detail, vips };
  log(`${held ? "HELD" : "BROKE"}  ${phase.name} (${node}): ${outcome.detail}; ${vips.map(vipLine).join("; ")}`);
  return result;
}

const fmt = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
const vipLine = (v: VipFigures) =>
  `${v.vip} (EIP ${v.eip}): ${v.holderBefore ?? "none"} → ${v.holderAfter ?? "none"}, ${v.failed}/${v.requests} failed, new MASTER ${fmt(v.masterAtMs)}`;

/**
 * The active-active round: every VIP placed on its preferred node, then `node` fails and comes
 * back, each under a request stream through every EIP. Throws when the VIPs never reach their
 * preferred nodes in the first place.
 */
export async function runActiveActive(stack: LabStack, node: string): Promise<ActiveActiveResult[]> {
  await baseline(stack);
  const calm = Math.max(0, ...stack.config.vips.map((v) => v.preemptDelay ?? 0));
  const at = await holdersBecome(stack, placed(stack.config), Date.now(), (calm + 20) * 1000);
  if (at === null) throw new LabError(`the VIPs are not each on their preferred node: ${describe(await holders(stack))}`);
  const results = [await runPhase(stack, failure(), node), await runPhase(stack, recovery(stack.config), node)];
  process.stdout.write(`${formatActiveActive(results)}\n`);
  return results;
}

/** The front door the active-active round fails: the last VIP's preferred node (not the primary's holder, which other scenarios fail). */
export function lastPreferred(config: IamHaConfig): string {
  const preferred = config.vips[config.vips.length - 1].preferred;
  if (!preferred) throw new LabError("the stack's VIPs name no preferred node: the active-active round needs vips with preferred");
  return preferred;
}

export function formatActiveActive(results: ActiveActiveResult[]): string {
  return results
    .map((r) =>
      [`${r.held ? "HELD " : "BROKE"}  ${r.name}: ${r.detail}`, ...r.vips.map((v) => `         ${vipLine(v)}, first success ${fmt(v.firstSuccessMs)}`)].join(
        "\n",
      ),
    )
    .join("\n");
}
