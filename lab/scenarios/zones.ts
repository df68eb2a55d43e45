/**
 * Behind a CLB across zones (frontDoor clb): a front door fails, a whole zone fails, the zone comes
 * back, each under a steady stream of requests through the CLB's stand-in on the EIP. What a
 * failure costs is bounded by the CLB's health checks (interval × unhealthy threshold), during which
 * a request that meets a dead front door is retried on another (the passive check); once the
 * stand-in has marked the dead ones down, nothing may fail. The marks are timed from the stand-in's
 * own log (HAProxy's "Server <site>/<node> is DOWN|UP" lines, to the microsecond), as Tencent's
 * getTargetHealth would tell them for the real CLB.
 */
import { zoneOf } from "../../config/lists";
import { IamHaConfig } from "../../config/types";
import { LabError, log, sleep, waitFor } from "../hosts/exec";
import { inNode } from "../hosts/nodeShell";
import { backendName, clbTargetHealth, playedListeners, standInLog, targetChanges, TargetChange, targetStats } from "../program/clbStandIn";
import type { LabStack } from "../program/stack";
import { ZONE_SCENARIOS } from "./scenarioNames";
import { RequestEvent, requestFigures, RequestFigures } from "./benchFigures";
import { everyBackendAnswers, everythingUp, startStream } from "./failover";

const FAULT_AFTER_MS = 2_000;
/** How long the stream runs on once the stand-in has marked every affected node, to show nothing fails then. */
const STEADY_MS = 5_000;
const POLL_MS = 100;

export interface ZoneScenarioResult extends RequestFigures {
  name: string;
  expectation: string;
  held: boolean;
  /** The front doors the scenario takes down or brings back. */
  nodes: string[];
  /** From the fault to the stand-in marking the last of them DOWN (or UP) in every site's backend (its log); null when it never did. */
  markedMs: number | null;
  /** Requests started after that mark that got no 200 within 1 s (must be 0). */
  failedAfterMark: number;
  /** Each failed request from the fault on: when it started (ms from the fault), its status (0: none), how long it took. */
  failures: { at: number; status: number; ms: number }[];
  /** Connections the stand-in gave each front door for the streamed site from the mark to the stream's end (HAProxy's stot). */
  sentAfterMark: Record<string, number>;
  detail: string;
}

/** The CLB's health settings as the stand-in plays them (the first rule's: every rule has the stack's). */
function health(): { intervalS: number; unhealthyNum: number; healthyNum: number; timeoutS: number } {
  const rule = playedListeners()[0]?.rules[0];
  if (!rule) throw new LabError("the CLB's stand-in does not run: npm run lab -- up --stack <a frontDoor clb stack>");
  return rule.health;
}

/** The longest the stand-in may take to mark a target: `checks` checks, a check's timeout and one interval of phase. */
const markWindowMs = (checks: number) => {
  const h = health();
  return (h.intervalS * (checks + 1) + h.timeoutS) * 1000;
};

/** Every node up, the stand-in counting every target healthy, every node's backend answering through it. */
export async function clbBaseline(stack: LabStack): Promise<void> {
  await everythingUp(stack);
  const allUp = await waitFor(async () => (await clbTargetHealth()).every((t) => t.healthy), markWindowMs(health().healthyNum) + 5_000, POLL_MS);
  if (!allUp) throw new LabError(`the CLB's stand-in does not count every front door healthy: ${JSON.stringify(await clbTargetHealth())}`);
  await everyBackendAnswers(stack);
}

/** The front doors of the stack's second zone (the one a zone failure takes down). */
export function secondZone(config: IamHaConfig): string[] {
  const zone = config.network.zones[1];
  if (!zone) throw new LabError("the stack has one zone: the zone scenarios need moreZones");
  return config.nodes.filter((n) => zoneOf(config, n) === zone).map((n) => n.name);
}

/** When the stand-in had marked every one of `nodes` `state` in every site's backend, from its log; null if not (yet). */
function markedAt(changes: TargetChange[], nodes: string[], state: "UP" | "DOWN"): number | null {
  const backends = playedListeners().flatMap((l) => l.rules.map((r) => backendName(l, r)));
  const times = backends.flatMap((b) => nodes.map((n) => changes.find((c) => c.backend === b && c.node === n && c.state === state)?.t ?? null));
  return times.some((t) => t === null) ? null : Math.max(...(times as number[]));
}

/** Each front door's connections from the stand-in for `site`, every POLL_MS until `stop` is set: a poll is {t, sent by node}. */
function pollSent(site: string): { stop: () => Promise<{ t: number; sent: Record<string, number> }[]> } {
  const polls: { t: number; sent: Record<string, number> }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const stats = await targetStats().catch(() => []);
      polls.push({ t, sent: Object.fromEntries(stats.filter((s) => s.site === site).map((s) => [s.node, s.sent])) });
      await sleep(POLL_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return polls;
    },
  };
}

/** What each front door got between the first poll at or after `from` and the last poll. */
function sentSince(polls: { t: number; sent: Record<string, number> }[], from: number): Record<string, number> {
  const first = polls.find((p) => p.t >= from);
  const last = polls[polls.length - 1];
  if (!first || !last) return {};
  return Object.fromEntries(Object.entries(last.sent).map(([node, n]) => [node, n - (first.sent[node] ?? 0)]));
}

const setLinks = async (stack: LabStack, nodes: string[], state: "up" | "down") => {
  for (const node of nodes) {
    const r = await inNode(node, `ip link set ${stack.config.vrrp.interface} ${state}`);
    if (r.code !== 0) throw new LabError(`${node}: ip link set ${state} failed: ${r.stderr.trim()}`);
  }
};

interface ZoneScenario {
  name: string;
  expectation: string;
  nodes: (config: IamHaConfig) => string[];
  /** The state the stand-in must give the nodes, and in how many checks. */
  marks: "DOWN" | "UP";
  checks: () => number;
  fault: (stack: LabStack, nodes: string[]) => Promise<void>;
  /** Whether the scenario starts from the baseline (every front door up), or from where the last one left. */
  fromBaseline: boolean;
}

/** The scenarios, in the order they run: the last starts where the one before it left (the zone down). */
export function zoneScenarios(): ZoneScenario[] {
  return [
    {
      name: ZONE_SCENARIOS.frontDoorDown,
      expectation: "the CLB stops sending to it once its checks fail; until then a request that meets it is retried on another; none fails after",
      nodes: (config) => [config.nodes[0].name],
      marks: "DOWN",
      checks: () => health().unhealthyNum,
      fault: (stack, nodes) => setLinks(stack, nodes, "down"),
      fromBaseline: true,
    },
    {
      name: ZONE_SCENARIOS.zoneDown,
      expectation: "the CLB serves from the other zone once its checks fail; none fails after",
      nodes: secondZone,
      marks: "DOWN",
      checks: () => health().unhealthyNum,
      fault: (stack, nodes) => setLinks(stack, nodes, "down"),
      fromBaseline: true,
    },
    {
      name: ZONE_SCENARIOS.zoneBack,
      expectation: "its front doors are back in rotation after healthy threshold × interval, with no request failing",
      nodes: secondZone,
      marks: "UP",
      checks: () => health().healthyNum,
      fault: (stack, nodes) => setLinks(stack, nodes, "up"),
      fromBaseline: false,
    },
  ];
}

export async function runZoneScenario(stack: LabStack, scenario: ZoneScenario): Promise<ZoneScenarioResult> {
  if (scenario.fromBaseline) await clbBaseline(stack);
  const nodes = scenario.nodes(stack.config);
  const window = markWindowMs(scenario.checks());
  const logFrom = Date.now();
  const site = stack.config.sites[0].serverName;
  const sent = pollSent(site);
  const stream = startStream(stack, site, FAULT_AFTER_MS + window + STEADY_MS);
  await sleep(FAULT_AFTER_MS);
  const fault = Date.now();
  await scenario.fault(stack, nodes).catch(async (e: Error) => {
    await Promise.all([stream, sent.stop()]);
    throw e;
  });
  const events: RequestEvent[] = await stream;
  const polls = await sent.stop();
  const mark = markedAt(targetChanges(standInLog(), logFrom), nodes, scenario.marks);
  const figures = requestFigures(events, fault);
  const afterMark = mark === null ? [] : events.filter((e) => e.t >= mark);
  const failedAfterMark = afterMark.filter((e) => !e.ok).length;
  // A poll lands within POLL_MS of the mark: a connection given just before it may show after (the next poll's).
  const sentAfterMark = mark === null ? {} : sentSince(polls, mark + POLL_MS);
  const served = (n: string) => (sentAfterMark[n] ?? 0) > 0;
  // Down: none of them answers once marked; back: each of them answers again.
  const rotation = scenario.marks === "DOWN" ? nodes.every((n) => !served(n)) : nodes.every(served);
  const held = mark !== null && failedAfterMark === 0 && rotation && (scenario.marks === "DOWN" || figures.failed === 0);
  const result: ZoneScenarioResult = {
    name: scenario.name,
    expectation: scenario.expectation,
    held,
    nodes,
    markedMs: mark === null ? null : mark - fault,
    failedAfterMark,
    failures: events.filter((e) => e.t >= fault && !e.ok).map((e) => ({ at: e.t - fault, status: e.status, ms: e.ms })),
    sentAfterMark,
    ...figures,
    detail: [
      mark === null ? `the stand-in did not mark ${nodes.join(", ")} ${scenario.marks} within the stream` : "",
      rotation ? "" : `connections after the mark: ${JSON.stringify(sentAfterMark)}`,
      failedAfterMark > 0 ? `${failedAfterMark} failed after the mark` : "",
    ]
      .filter(Boolean)
      .join("; "),
  };
  log(`${held ? "HELD" : "BROKE"}  ${scenario.name}: ${zoneLine(result)}`);
  return result;
}

const fmt = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
const zoneLine = (r: ZoneScenarioResult) =>
  `${r.nodes.join(", ")} marked ${fmt(r.markedMs)} after the fault; ${r.failed}/${r.requests} failed (${r.slow} slow), first success ${fmt(r.firstSuccessMs)}, ${r.failedAfterMark} failed after the mark${r.detail ? `; ${r.detail}` : ""}`;

/** Every zone scenario in order, then every node back; prints the table. `npm run lab -- failover` for a frontDoor clb stack. */
export async function runZones(stack: LabStack): Promise<ZoneScenarioResult[]> {
  if (stack.config.frontDoor !== "clb")
    throw new LabError(`the zone scenarios are for frontDoor clb; stack ${stack.name} has frontDoor ${stack.config.frontDoor}`);
  const results: ZoneScenarioResult[] = [];
  try {
    for (const scenario of zoneScenarios()) {
      log(`scenario: ${scenario.name} (expect: ${scenario.expectation})…`);
      results.push(await runZoneScenario(stack, scenario));
    }
  } finally {
    await everythingUp(stack);
  }
  process.stdout.write(`${formatZones(results)}\n`);
  return results;
}

export function formatZones(results: ZoneScenarioResult[]): string {
  return [
    `RESULT ${"SCENARIO".padEnd(66)} ${"MARKED".padStart(8)} ${"FAILED".padStart(9)} ${"FIRST OK".padStart(9)} ${"AFTER MARK".padStart(10)}`,
    ...results.map(
      (r) =>
        `${r.held ? "HELD " : "BROKE"}  ${r.name.padEnd(66)} ${fmt(r.markedMs).padStart(8)} ${`${r.failed}/${r.requests}`.padStart(9)} ${fmt(r.firstSuccessMs).padStart(9)} ${String(r.failedAfterMark).padStart(10)}  ${r.detail}`,
    ),
    "MARKED: from the fault to the CLB's stand-in marking the nodes DOWN (or UP) for every site (its log); FAILED: no 200 within 1 s; AFTER MARK: failed after that",
  ].join("\n");
}
