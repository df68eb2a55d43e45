import { IamHaConfig } from "../../config/types";
import { NodeState } from "../../common/checks";
import { LabError, log, PROJECT_ROOT, sleep, tsScript, waitFor } from "../hosts/exec";
import { execInClient, execInLabNs } from "../hosts/network";
import { awaitAlerts, logLineCounts, receivedAlerts } from "../hosts/alerts";
import { getThroughEip } from "../program/labTarget";
import { inNode } from "../hosts/nodeShell";
import type { LabStack } from "../program/stack";
import { standInUnits } from "../program/standins";
import { nodeStates } from "../program/status";

/**
 * The article's failure scenarios, and two more, under a steady bounded stream of requests
 * through the EIP: what broke, when the VIP moved, when requests succeeded again, how many failed.
 */

export interface ScenarioResult {
  name: string;
  expectation: string;
  held: boolean;
  /** From the fault until another node held the VIP; null when it did not move. */
  vipMovedMs: number | null;
  /** From the fault until the first successful request after the last failed one; 0 when none failed. */
  recoveredMs: number | null;
  failed: number;
  requests: number;
  /** keepalived transitions logged during the scenario, and those the webhook did not get. */
  transitions: number;
  alertsMissing: string[];
  detail: string;
}

interface RequestEvent {
  t: number;
  ok: boolean;
  status: number;
  node?: string;
}

const STREAM_MS = 12_000;
const STREAM_INTERVAL_MS = 20;
const FAULT_AFTER_MS = 2_000;
const POLL_MS = 100;
const MOVE_DEADLINE_MS = 10_000;
const STEADY_MS = 5_000;

const sh = async (node: string, command: string) => {
  const r = await inNode(node, command);
  if (r.code !== 0) throw new LabError(`on ${node}: \`${command}\` failed (exit ${r.code}): ${r.stderr.trim()}`);
};

/**
 * Runs loadgen.ts where a user stands ("client", the namespace that reaches the EIP) or inside
 * the VPC ("lab"), and returns its JSON lines.
 */
export async function runLoadgen(where: "client" | "lab", args: string[], timeoutMs: number): Promise<unknown[]> {
  const exec = where === "client" ? execInClient : execInLabNs;
  const r = await exec(tsScript("scenarios/loadgen.ts", args), { timeoutMs, cwd: PROJECT_ROOT });
  if (r.code !== 0) throw new LabError(`the request generator failed in the ${where} namespace: ${r.stderr.trim()}`);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Requests from where a user stands, in the background; resolves with every answer. */
export function startStream(stack: LabStack, site: string, durationMs = STREAM_MS): Promise<RequestEvent[]> {
  const args = ["--url", `http://${stack.topology.eip}/healthz`, "--host", site, "--interval", String(STREAM_INTERVAL_MS), "--duration", String(durationMs)];
  return runLoadgen("client", args, durationMs + 30_000) as Promise<RequestEvent[]>;
}

const holderOf = (states: NodeState[]) => {
  const holders = states.filter((s) => s.holdsVip);
  return holders.length === 1 ? holders[0].name : holders.length === 0 ? null : "split";
};

/** Polls until `until` holds (or the deadline); returns when, in ms after `since`, or null. */
async function pollUntil(config: IamHaConfig, stack: LabStack, since: number, until: (s: NodeState[]) => boolean, deadlineMs: number): Promise<number | null> {
  while (Date.now() - since < deadlineMs) {
    if (until(await nodeStates(config, stack.topology))) return Date.now() - since;
    await sleep(POLL_MS);
  }
  return null;
}

/** Watches the VIP for a while: the holders seen, in order (a flap shows as more than one). */
async function watchHolders(config: IamHaConfig, stack: LabStack, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const holder = holderOf(await nodeStates(config, stack.topology)) ?? "none";
    if (seen[seen.length - 1] !== holder) seen.push(holder);
    await sleep(POLL_MS);
  }
  return seen;
}

function requestFigures(events: RequestEvent[], fault: number): { failed: number; recoveredMs: number | null } {
  const after = events.filter((e) => e.t >= fault).sort((a, b) => a.t - b.t);
  const failures = after.filter((e) => !e.ok);
  if (failures.length === 0) return { failed: 0, recoveredMs: 0 };
  const lastFailure = failures[failures.length - 1].t;
  const recovery = after.find((e) => e.ok && e.t > lastFailure);
  return { failed: failures.length, recoveredMs: recovery ? recovery.t - fault : null };
}

/** All nodes healthy and exactly one holding the VIP, as every scenario starts. */
async function baseline(stack: LabStack): Promise<string> {
  const { config, topology } = stack;
  const ports = standInUnits(config);
  for (const node of topology.nodes) {
    await sh(node.name, `ip link set ${config.vrrp.interface} up && systemctl start nginx ${ports} && systemctl start keepalived`);
  }
  const since = Date.now();
  const ok = await pollUntil(
    config,
    stack,
    since,
    (s) => holderOf(s) !== null && holderOf(s) !== "split" && s.every((n) => n.state === (n.holdsVip ? "MASTER" : "BACKUP")),
    30_000,
  );
  if (ok === null)
    throw new LabError(`the lab did not settle with one MASTER and the rest BACKUP within 30 s: ${JSON.stringify(await nodeStates(config, topology))}`);
  // nginx skips a backend for fail_timeout after a failure: wait until every node's backend
  // answers again, so each scenario starts from the same place.
  const seen = new Set<string>();
  const deadline = Date.now() + 5_000 + config.upstream.failTimeout * 1000 * 2;
  while (seen.size < topology.nodes.length && Date.now() < deadline) {
    const answer = await getThroughEip(topology, config.sites[0].serverName, "/healthz");
    if (answer.node) seen.add(answer.node);
    else await sleep(POLL_MS);
  }
  if (seen.size < topology.nodes.length) throw new LabError(`not every node's backend answers through the EIP (seen: ${[...seen].join(", ") || "none"})`);
  return holderOf(await nodeStates(config, topology))!;
}

interface Scenario {
  name: string;
  expectation: string;
  /** Breaks something on `master`; returns what proves the scenario held. */
  run(stack: LabStack, master: string, fault: number): Promise<{ held: boolean; vipMovedMs: number | null; detail: string }>;
  expectFailures: boolean;
}

const movesAway = (config: IamHaConfig, stack: LabStack, master: string, fault: number) =>
  pollUntil(
    config,
    stack,
    fault,
    (s) => {
      const h = holderOf(s);
      return h !== null && h !== "split" && h !== master;
    },
    MOVE_DEADLINE_MS,
  );

/**
 * Drops every VRRP advert on the lab's bridge (in the lab's own namespace), as a security group
 * without the peers' rule would. Blocking one direction is not enough: a higher priority that is
 * still heard makes the other MASTER yield, which is a failover, not a split brain.
 */
const SPLIT_TABLE = "iam_lab_split";
async function blockVrrp(): Promise<void> {
  for (const cmd of [
    `add table bridge ${SPLIT_TABLE}`,
    `add chain bridge ${SPLIT_TABLE} forward { type filter hook forward priority 0; }`,
    `add rule bridge ${SPLIT_TABLE} forward ip protocol vrrp drop`,
  ]) {
    const r = await execInLabNs(["nft", cmd]);
    if (r.code !== 0) throw new LabError(`nft ${cmd} failed in the lab's namespace: ${r.stderr.trim()}`);
  }
}
async function unblockVrrp(): Promise<void> {
  await execInLabNs(["nft", `delete table bridge ${SPLIT_TABLE}`]);
}

export function scenarios(config: IamHaConfig): Scenario[] {
  const ports = standInUnits(config);
  const iface = config.vrrp.interface;
  return [
    {
      name: "keepalived stopped on the master",
      expectation: "the VIP moves to a backup",
      expectFailures: true,
      async run(stack, master, fault) {
        await sh(master, "systemctl stop keepalived");
        const moved = await movesAway(config, stack, master, fault);
        return { held: moved !== null, vipMovedMs: moved, detail: moved === null ? "the VIP stayed" : "" };
      },
    },
    {
      name: "nginx killed on the master, then started again",
      expectation: "the VIP moves, and stays where it is once nginx is back (non-preemptive)",
      expectFailures: true,
      async run(stack, master, fault) {
        await sh(master, "systemctl kill --signal=SIGKILL nginx");
        const moved = await movesAway(config, stack, master, fault);
        if (moved === null) return { held: false, vipMovedMs: null, detail: "the VIP stayed on the node without nginx" };
        const holder = holderOf(await nodeStates(config, stack.topology))!;
        await sh(master, "systemctl start nginx");
        const seen = await watchHolders(config, stack, STEADY_MS);
        const stayed = seen.length === 1 && seen[0] === holder;
        return {
          held: stayed,
          vipMovedMs: moved,
          detail: stayed ? `stayed on ${holder} after nginx came back` : `holders after nginx came back: ${seen.join(" → ")}`,
        };
      },
    },
    {
      name: "the master's network link down, then up",
      expectation: "the VIP moves; once the link is back, exactly one master and no flapping",
      expectFailures: true,
      async run(stack, master, fault) {
        await sh(master, `ip link set ${iface} down`);
        const moved = await movesAway(config, stack, master, fault);
        await sh(master, `ip link set ${iface} up`);
        const seen = await watchHolders(config, stack, STEADY_MS);
        const steady = seen.length === 1 && seen[0] !== "split" && seen[0] !== "none";
        return { held: moved !== null && steady, vipMovedMs: moved, detail: `holders after the link came back: ${seen.join(" → ")}` };
      },
    },
    {
      name: "VRRP adverts blocked between the nodes",
      expectation: "both become MASTER (split brain), the VIP watch reports it, and one master is left once adverts flow again",
      expectFailures: true,
      async run(stack, _master, fault) {
        await blockVrrp();
        try {
          const split = await pollUntil(config, stack, fault, (s) => s.filter((n) => n.state === "MASTER").length > 1, MOVE_DEADLINE_MS);
          const reported =
            split === null
              ? false
              : await waitFor(() => receivedAlerts(fault).some((a) => a.state === "SPLIT_BRAIN"), (config.alerts.vipWatchSeconds * 2 + 15) * 1000, POLL_MS);
          await unblockVrrp();
          const settled = await pollUntil(
            config,
            stack,
            Date.now(),
            (s) => s.filter((n) => n.state === "MASTER").length === 1 && holderOf(s) !== null && holderOf(s) !== "split",
            15_000,
          );
          const seen = await watchHolders(config, stack, STEADY_MS);
          const steady = settled !== null && seen.length === 1 && seen[0] !== "split" && seen[0] !== "none";
          const detail = `${split === null ? "no split brain happened" : `split brain after ${fmt(split)}`}; ${reported ? "the VIP watch alerted SPLIT_BRAIN" : "no SPLIT_BRAIN alert"}; holders once adverts flowed again: ${seen.join(" → ")}`;
          return { held: split !== null && reported && steady, vipMovedMs: null, detail };
        } finally {
          await unblockVrrp();
        }
      },
    },
    {
      name: "the master's app backends stopped",
      expectation: "every request still succeeds, through the other node's backend",
      expectFailures: false,
      async run(_stack, master) {
        await sh(master, `systemctl stop ${ports}`);
        return { held: true, vipMovedMs: null, detail: "" };
      },
    },
  ];
}

export async function runScenario(stack: LabStack, scenario: Scenario): Promise<ScenarioResult> {
  const master = await baseline(stack);
  const site = stack.config.sites[0].serverName;
  const logLines = await logLineCounts(stack.topology);
  const stream = startStream(stack, site);
  await sleep(FAULT_AFTER_MS);
  const fault = Date.now();
  const outcome = await scenario.run(stack, master, fault);
  const events = await stream;
  const figures = requestFigures(events, fault);
  const alerts = await awaitAlerts(stack.topology, fault - FAULT_AFTER_MS, logLines);
  const alertsMissing = alerts.missing.map((a) => `${a.node} ${a.state}`);
  const held = outcome.held && (scenario.expectFailures || figures.failed === 0) && alertsMissing.length === 0;
  const result: ScenarioResult = {
    name: scenario.name,
    expectation: scenario.expectation,
    held,
    vipMovedMs: outcome.vipMovedMs,
    recoveredMs: figures.recoveredMs,
    failed: figures.failed,
    requests: events.length,
    transitions: alerts.logged.length,
    alertsMissing,
    detail: [
      outcome.detail,
      figures.failed > 0 && !scenario.expectFailures ? `${figures.failed} requests failed` : "",
      alertsMissing.length ? `no alert for: ${alertsMissing.join(", ")}` : `${alerts.logged.length} transitions alerted`,
    ]
      .filter(Boolean)
      .join("; "),
  };
  log(
    `${held ? "HELD" : "BROKE"}  ${scenario.name}: VIP moved ${fmt(result.vipMovedMs)}, requests ok again ${fmt(result.recoveredMs)}, ${result.failed}/${result.requests} failed${result.detail ? `; ${result.detail}` : ""}`,
  );
  return result;
}

const fmt = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);

export async function runFailover(stack: LabStack): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios(stack.config)) {
    log(`scenario: ${scenario.name} (expect: ${scenario.expectation})…`);
    results.push(await runScenario(stack, scenario));
  }
  await baseline(stack);
  process.stdout.write(`${formatResults(results)}\n`);
  return results;
}

function formatResults(results: ScenarioResult[]): string {
  const rows = results.map(
    (r) =>
      `${r.held ? "HELD " : "BROKE"}  ${r.name.padEnd(48)} ${fmt(r.vipMovedMs).padStart(8)} ${fmt(r.recoveredMs).padStart(10)} ${`${r.failed}/${r.requests}`.padStart(9)}  ${r.detail}`,
  );
  return [`RESULT ${"SCENARIO".padEnd(48)} ${"VIP MOVED".padStart(8)} ${"REQ OK AGAIN".padStart(10)} ${"FAILED".padStart(9)}`, ...rows].join("\n");
}
