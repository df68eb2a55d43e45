/**
 * The bench's summaries and its text report, from each setting's rounds (pure:
 * tests/benchFigures.test.ts). Medians and worst cases per scenario; article ÷ ours per scenario.
 */
import { medianRound, speedup, Spread, spread } from "./benchFigures";
import type { ActiveActiveResult } from "./activeActive";
import type { ScenarioResult } from "./failover";
import type { ZoneScenarioResult } from "./zones";
import { LINK_DOWN, ZONE_SCENARIOS } from "./scenarioNames";
import type { CpuPerRequest, Throughput } from "./throughput";
import type { FlapRun } from "./flap";

/** One bench setting's run: every round's results in scenario order, or why it was skipped. */
export interface SettingRun {
  name: string;
  overrides: Record<string, unknown>;
  skipped?: string;
  rounds: ScenarioResult[][];
}

type Figure = "firstSuccessMs" | "failed" | "slow" | "masterAtMs" | "garpMs" | "spurious";
const FIGURES: Figure[] = ["firstSuccessMs", "failed", "slow", "masterAtMs", "garpMs", "spurious"];

export type ScenarioSummary = { name: string; held: number; rounds: number; pictureRound: number } & Record<Figure, Spread>;

/** Per scenario (by name, in the first round's order): each figure's median and worst, rounds held, and the round to picture. */
export function summarize(rounds: ScenarioResult[][]): ScenarioSummary[] {
  const names = rounds[0]?.map((r) => r.name) ?? [];
  return names.map((name) => {
    const runs = rounds.map((round) => round.find((r) => r.name === name)).filter((r): r is ScenarioResult => r !== undefined);
    const figures = Object.fromEntries(FIGURES.map((f) => [f, spread(runs.map((r) => r[f]))])) as Record<Figure, Spread>;
    return { name, held: runs.filter((r) => r.held).length, rounds: runs.length, pictureRound: medianRound(runs), ...figures };
  });
}

const secs = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)}`);
const pair = (s: Spread, f: (n: number | null) => string) => `${f(s.median)}/${f(s.worst)}${s.missing ? ` (${s.missing} never)` : ""}`;
const count = (n: number | null) => (n === null ? "—" : String(n));
const times = (x: number | null) => (x === null ? "—" : `${x.toFixed(1)}×`);

function settingLine(name: string, s: ScenarioSummary): string {
  return (
    `  ${name.padEnd(18)} first ok ${`${pair(s.firstSuccessMs, secs)} s`.padEnd(13)} failed ${pair(s.failed, count).padEnd(7)} (slow ${pair(s.slow, count)})  ` +
    `new MASTER ${`${pair(s.masterAtMs, secs)} s`.padEnd(13)} GARP ${`${pair(s.garpMs, secs)} s`.padEnd(13)} spurious ${pair(s.spurious, count)}  held ${s.held}/${s.rounds}`
  );
}

/** The failover table: per scenario a line per setting, then how many times faster than the article's each of ours is. */
export function failoverReport(runs: SettingRun[]): string {
  const measured = runs.filter((r) => !r.skipped);
  const summaries = new Map(measured.map((r) => [r.name, summarize(r.rounds)]));
  const article = summaries.get("article");
  const names = measured[0] ? summarize(measured[0].rounds).map((s) => s.name) : [];
  const blocks = names.map((name) => {
    const lines = [name];
    for (const run of measured) {
      const s = summaries.get(run.name)!.find((x) => x.name === name);
      if (s) lines.push(settingLine(run.name, s));
    }
    const a = article?.find((x) => x.name === name);
    for (const run of measured.filter((r) => r.name !== "article")) {
      const o = summaries.get(run.name)!.find((x) => x.name === name);
      if (a && o)
        lines.push(
          `  ${`${run.name} vs article`.padEnd(18)} first success ${times(speedup(a.firstSuccessMs.median, o.firstSuccessMs.median))} faster, new MASTER ${times(speedup(a.masterAtMs.median, o.masterAtMs.median))} faster, failed ${count(a.failed.median)} → ${count(o.failed.median)}`,
        );
    }
    return lines.join("\n");
  });
  const skipped = runs.filter((r) => r.skipped).map((r) => `${r.name}: skipped (${r.skipped})`);
  return [
    "each figure median/worst over the rounds; times in s from the fault. failed: no 200 within 1 s (slow: of those, a 200 that came later, ≤ 5 s).",
    "first ok: the first good request after the last failed one (0: none failed). new MASTER: the new holder's journal line. GARP: the router's ARP entry names the new holder.",
    'spurious: "Entering MASTER" entries beyond those the scenario needs (1 move; n−1 for adverts blocked; 0 for backends stopped), flaps after recovery included.',
    ...blocks,
    ...skipped,
  ].join("\n");
}

export function throughputReport(t: Throughput): string {
  const row = (what: string, f: { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }) =>
    `  ${what.padEnd(34)} ${f.requestsPerSecond.toFixed(0).padStart(7)} req/s   p50 ${f.p50Ms.toFixed(2)} ms   p99 ${f.p99Ms.toFixed(2)} ms   errors ${f.errors}`;
  const cpu = (what: string, c?: CpuPerRequest) =>
    c
      ? [
          `  CPU per request ${what.padEnd(7)} ${c.total} µs (nginx ${c.nginx}, backends ${c.backends}, wrk ${c.wrk}, softirq ${c.softirq}, other ${c.otherLab})`,
        ]
      : [];
  return [
    `Throughput (wrk, ${t.connections} connections, ${t.seconds} s, GET /healthz; the median of ${t.rounds} alternating rounds):`,
    row("through the EIP (client namespace)", t.eip),
    row(`direct to ${t.direct.node}'s backend (from ${t.direct.from})`, t.direct),
    `  EIP ÷ direct: ${(t.eipShare * 100).toFixed(0)} % of the requests/s; p99 added by the EIP path: ${t.p99AddedMs.toFixed(2)} ms`,
    ...cpu("EIP", t.eip.cpuUsPerRequest),
    ...cpu("direct", t.direct.cpuUsPerRequest),
  ].join("\n");
}

export function flapReport(f: FlapRun, settings: string): string {
  return [
    `Flap safety (${settings}; ${f.minutes} min, ${f.stressed}'s CPU saturated by stress-ng on every core, ${f.delay}):`,
    `  ${f.transitions} keepalived transitions (${f.masterEntries} into MASTER), each spurious; by minute (cumulative): ${f.byMinute.join(", ") || "—"}`,
    `  light stream through the EIP (one request every 200 ms): ${f.failed}/${f.requests} failed`,
  ].join("\n");
}

/** One VIP in one active-active scenario over the rounds: its medians and worst cases. */
export interface VipSummary {
  scenario: string;
  vip: string;
  eip: string;
  held: number;
  rounds: number;
  failed: Spread;
  firstSuccessMs: Spread;
  masterAtMs: Spread;
}

/** Per active-active scenario and VIP (in the first round's order): failed requests, first success and new MASTER over the rounds. */
export function summarizeVips(rounds: ActiveActiveResult[][]): VipSummary[] {
  return (rounds[0] ?? []).flatMap((first, i) =>
    first.vips.map((v, j) => {
      const runs = rounds.map((round) => round[i]);
      const figures = runs.map((r) => r.vips[j]);
      return {
        scenario: first.name,
        vip: v.vip,
        eip: v.eip,
        held: runs.filter((r) => r.held).length,
        rounds: runs.length,
        failed: spread(figures.map((f) => f.failed)),
        firstSuccessMs: spread(figures.map((f) => f.firstSuccessMs)),
        masterAtMs: spread(figures.map((f) => f.masterAtMs)),
      };
    }),
  );
}

export function activeActiveReport(rounds: ActiveActiveResult[][], node: string): string {
  const lines = summarizeVips(rounds).map(
    (s) =>
      `  ${`${s.scenario}, ${s.vip} (EIP ${s.eip})`.padEnd(64)} failed ${pair(s.failed, count).padEnd(7)} first ok ${`${pair(s.firstSuccessMs, secs)} s`.padEnd(13)} new MASTER ${`${pair(s.masterAtMs, secs)} s`.padEnd(13)} held ${s.held}/${s.rounds}`,
  );
  return [
    `Active-active, per VIP (${node} fails and comes back; a request every 20 ms through each EIP; median/worst over the rounds; new MASTER: the VIP's new holder's journal, — when it did not move):`,
    ...lines,
  ].join("\n");
}

/** One CLB zone scenario over the rounds: when the CLB marked the nodes, failed requests, first success. */
export interface ZoneSummary {
  name: string;
  held: number;
  rounds: number;
  markedMs: Spread;
  failed: Spread;
  firstSuccessMs: Spread;
  failedAfterMark: Spread;
}

/** Per zone scenario (in the first round's order): each figure's median and worst over the rounds. */
export function summarizeZones(rounds: ZoneScenarioResult[][]): ZoneSummary[] {
  return (rounds[0] ?? []).map((first, i) => {
    const runs = rounds.map((round) => round[i]);
    return {
      name: first.name,
      held: runs.filter((r) => r.held).length,
      rounds: runs.length,
      markedMs: spread(runs.map((r) => r.markedMs)),
      failed: spread(runs.map((r) => r.failed)),
      firstSuccessMs: spread(runs.map((r) => r.firstSuccessMs)),
      failedAfterMark: spread(runs.map((r) => r.failedAfterMark)),
    };
  });
}

export function zonesReport(rounds: ZoneScenarioResult[][], health: string): string {
  return [
    `Behind the CLB (its stand-in; ${health}), median/worst over the rounds, a request every 20 ms through its address; times in s from the fault:`,
    ...summarizeZones(rounds).map(
      (s) =>
        `  ${s.name.padEnd(66)} marked ${`${pair(s.markedMs, secs)} s`.padEnd(13)} failed ${pair(s.failed, count).padEnd(7)} first ok ${`${pair(s.firstSuccessMs, secs)} s`.padEnd(13)} after the mark ${pair(s.failedAfterMark, count)}  held ${s.held}/${s.rounds}`,
    ),
    "marked: the CLB stand-in's log marks the nodes DOWN (or UP) for every site; failed: no 200 within 1 s; after the mark: failed once they were marked.",
  ].join("\n");
}

/** The CLB front door's zone scenarios as the bench ran them: its stack, its health checks in words, every round. */
export interface ZonesRun {
  stack: string;
  health: string;
  rounds: ZoneScenarioResult[][];
}

/** Where a HAVIP front door's nodes sit: one subnet, so one zone, which takes every one of them when it fails. */
export interface HavipPlacement {
  stack: string;
  zone: string;
  nodes: number;
}

const outcome = (failed: Spread, firstSuccessMs: Spread) => `failed ${pair(failed, count).padEnd(7)} first ok ${`${pair(firstSuccessMs, secs)} s`.padEnd(13)}`;

/**
 * The HAVIP's failover figures and the CLB's zone figures on the same faults: a front door's
 * machine cut off (its link down), a whole zone down, the zone back.
 */
export function frontDoorsReport(runs: SettingRun[], havip: HavipPlacement, clb: ZonesRun): string {
  const zones = new Map(summarizeZones(clb.rounds).map((s) => [s.name, s]));
  const clbLine = (name: string, mark: string) => {
    const s = zones.get(name);
    return s ? `  ${"CLB".padEnd(24)} ${outcome(s.failed, s.firstSuccessMs)} marked ${mark} ${pair(s.markedMs, secs)} s` : `  CLB: not measured`;
  };
  const linkDown = runs
    .filter((r) => !r.skipped)
    .map((r) => ({ setting: r.name, s: summarize(r.rounds).find((x) => x.name === LINK_DOWN) }))
    .filter((x): x is { setting: string; s: ScenarioSummary } => x.s !== undefined)
    .map(({ setting, s }) => `  ${`HAVIP, ${setting}`.padEnd(24)} ${outcome(s.failed, s.firstSuccessMs)} new MASTER ${pair(s.masterAtMs, secs)} s`);
  const zoneGone = `  ${"HAVIP".padEnd(24)} all ${havip.nodes} nodes sit in ${havip.zone} (the HAVIP's subnet): every request fails until the zone is back`;
  return [
    `Front doors side by side: the HAVIP's (stack ${havip.stack}) and the CLB's (stack ${clb.stack}; ${clb.health}).`,
    "Median/worst over the rounds, a request every 20 ms; failed: no 200 within 1 s; times in s from the fault.",
    "a front door's machine cut off (its link down)",
    ...linkDown,
    clbLine(ZONE_SCENARIOS.frontDoorDown, "down"),
    "a whole zone down",
    zoneGone,
    clbLine(ZONE_SCENARIOS.zoneDown, "down"),
    "the zone back",
    `  ${"HAVIP".padEnd(24)} serves again once its nodes are back (as after a full outage)`,
    clbLine(ZONE_SCENARIOS.zoneBack, "up"),
  ].join("\n");
}
