import { frontDoors, runsKeepalived, runsNginx } from "../../config/lists";
import { IamHaConfig } from "../../config/types";
import { NodeState } from "../../common/checks";
import { LabError, log, PROJECT_ROOT, sleep, tsScript, waitFor } from "../hosts/exec";
import { execInClient, execInLabNs } from "../hosts/network";
import { awaitAlerts, logLineCounts, receivedAlerts } from "../hosts/alerts";
import { eipAddress, getThroughEip } from "../program/labTarget";
import { inNode } from "../hosts/nodeShell";
import type { LabStack } from "../program/stack";
import { standInUnit, standInUnits } from "../program/standins";
import { nodeStates } from "../program/status";
import { LINK_DOWN } from "./scenarioNames";
import { garpAfter, RequestEvent, requestFigures, spuriousTransitions, Timeline } from "./benchFigures";
import { instanceLines, masterEntries, masterIntervals } from "./masters";
import { allVipNames } from "../../render/vips";
import { keepalivedJournals, nodeMacs, watchNeighbours } from "./nodeRecords";

/**
 * The article's failure scenarios, and two more, under a steady bounded stream of requests
 * through the EIP: what broke, and what it cost. The VIP's move is timed on the nodes, not by
 * polling: the new holder's "Entering MASTER" journal line, and the router's ARP entry for the VIP
 * taking the new holder's address (its gratuitous ARP) on the lab's bridge. Polling remains only
 * where a scenario must wait for a state before it goes on.
 */

export interface ScenarioResult {
  name: string;
  expectation: string;
  held: boolean;
  /** From the fault to the first good request after the last failed one; 0 when none failed, null when none came. */
  firstSuccessMs: number | null;
  /** Requests from the fault on without a 200 within 1 s, and of those the 200s that came late. */
  failed: number;
  slow: number;
  requests: number;
  /** From the fault to the new holder's "Entering MASTER" (its journal); null when no other node became MASTER. */
  masterAtMs: number | null;
  /** From the fault to the router's ARP entry for the VIP naming the new holder (its gratuitous ARP on the bridge). */
  garpMs: number | null;
  /** "Entering MASTER" entries on any node during the scenario, those it needs, and the rest (spurious). */
  masterEntries: number;
  neededMoves: number;
  spurious: number;
  /** keepalived transitions logged during the scenario, and those the webhook did not get. */
  transitions: number;
  alertsMissing: string[];
  detail: string;
  /** Raw material for pictures, times in ms from the fault: every request, and each node's MASTER intervals (from its journal). */
  timeline: Timeline;
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

/** Requests from where a user stands (the site's port with frontDoor vipOnly), in the background; resolves with every answer. */
export function startStream(stack: LabStack, site: string, durationMs = STREAM_MS, intervalMs = STREAM_INTERVAL_MS): Promise<RequestEvent[]> {
  const url = `http://${eipAddress(stack.config, stack.topology, site)}/healthz`;
  const args = ["--url", url, "--host", site, "--interval", String(intervalMs), "--duration", String(durationMs)];
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

/** Every node's link up and its backends running; on a front door nginx (where it runs) and keepalived (where it runs). */
export async function everythingUp(stack: LabStack): Promise<void> {
  const { config, topology } = stack;
  const ports = standInUnits(config);
  const doors = frontDoors(config.nodes).map((n) => n.name);
  const units = [runsNginx(config.frontDoor) && "nginx", runsKeepalived(config.frontDoor) && "keepalived"].filter(Boolean);
  for (const node of topology.nodes) {
    const frontDoor = doors.includes(node.name) ? units.map((u) => ` && systemctl start ${u}`).join("") : "";
    await sh(node.name, `ip link set ${config.vrrp.interface} up && systemctl start ${ports}${frontDoor}`);
  }
}

/**
 * Every node's backend answers through the EIP again (nginx skips a backend for fail_timeout after
 * a failure), so each scenario starts from the same place.
 */
export async function everyBackendAnswers(stack: LabStack): Promise<void> {
  const { config, topology } = stack;
  const seen = new Set<string>();
  const deadline = Date.now() + 5_000 + config.upstream.failTimeout * 1000 * 2;
  while (seen.size < topology.nodes.length && Date.now() < deadline) {
    const answer = await getThroughEip(config, topology, config.sites[0].serverName, "/healthz");
    if (answer.node) seen.add(answer.node);
    else await sleep(POLL_MS);
  }
  if (seen.size < topology.nodes.length) throw new LabError(`not every node's backend answers through the EIP (seen: ${[...seen].join(", ") || "none"})`);
}

/** All nodes healthy and exactly one holding the VIP, as every scenario starts; returns the holder. */
export async function baseline(stack: LabStack): Promise<string> {
  const { config, topology } = stack;
  await everythingUp(stack);
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
  const holder = holderOf(await nodeStates(config, topology))!;
  if (config.frontDoor === "vipOnly") {
    // Only the holder serves, each site on its port: every site must answer from it.
    for (const site of config.sites) {
      const answer = await getThroughEip(config, topology, site.serverName, "/healthz");
      if (answer.node !== holder)
        throw new LabError(`${site.serverName} does not answer from ${holder}, the VIP's holder, on port ${site.port}: ${JSON.stringify(answer)}`);
    }
    return holder;
  }
  await everyBackendAnswers(stack);
  return holder;
}

interface Scenario {
  name: string;
  expectation: string;
  /** Breaks something on `master`; returns what proves the scenario held. */
  run(stack: LabStack, master: string, fault: number): Promise<{ held: boolean; detail: string }>;
  expectFailures: boolean;
  /** The "Entering MASTER" entries the scenario needs with `nodes` front doors; any more are spurious. */
  neededMoves(nodes: number): number;
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

/** `unit` killed on the master by `kill`: the VIP must move, and stay (nopreempt) once `unit` is started again. */
function diesThenStarts(config: IamHaConfig, name: string, unit: string, kill: string): Scenario {
  return {
    name: `${name}, then started again`,
    expectation: `the VIP moves, and stays where it is once ${unit} is back (non-preemptive)`,
    expectFailures: true,
    neededMoves: () => 1,
    async run(stack, master, fault) {
      await sh(master, kill);
      const moved = await movesAway(config, stack, master, fault);
      if (moved === null) return { held: false, detail: `the VIP stayed on the node without ${unit}` };
      const holder = holderOf(await nodeStates(config, stack.topology))!;
      await sh(master, `systemctl start ${unit}`);
      const seen = await watchHolders(config, stack, STEADY_MS);
      const stayed = seen.length === 1 && seen[0] === holder;
      return { held: stayed, detail: stayed ? `stayed on ${holder} after ${unit} came back` : `holders after ${unit} came back: ${seen.join(" → ")}` };
    },
  };
}

/**
 * The scenarios that apply to the stack's front door, by construction: with frontDoor vipOnly the
 * master's service dies where nginx would (no nginx), and there are no upstreams to fail over
 * between nodes (no "backends stopped", no backend-only nodes).
 */
export function scenarios(config: IamHaConfig): Scenario[] {
  const ports = standInUnits(config);
  const iface = config.vrrp.interface;
  const nginx = config.frontDoor === "havip";
  // The service the request stream asks (sites[0]), as the IAM installation runs it.
  const service = standInUnit(config.sites[0].port);
  const frontDoorDies = nginx
    ? diesThenStarts(config, "nginx killed on the master", "nginx", "systemctl kill --signal=SIGKILL nginx")
    : // SIGKILL, and no restart (its unit would restart it at once): the service stays dead until
      // keepalived's check notices.
      diesThenStarts(config, "the master's service killed", service, `systemctl kill --signal=SIGKILL ${service} && systemctl stop ${service}`);
  return [
    {
      name: "keepalived stopped on the master",
      expectation: "the VIP moves to a backup",
      expectFailures: true,
      neededMoves: () => 1,
      async run(stack, master, fault) {
        await sh(master, "systemctl stop keepalived");
        const moved = await movesAway(config, stack, master, fault);
        return { held: moved !== null, detail: moved === null ? "the VIP stayed" : "" };
      },
    },
    frontDoorDies,
    {
      name: LINK_DOWN,
      expectation: "the VIP moves; once the link is back, exactly one master and no flapping",
      expectFailures: true,
      neededMoves: () => 1,
      async run(stack, master, fault) {
        await sh(master, `ip link set ${iface} down`);
        const moved = await movesAway(config, stack, master, fault);
        await sh(master, `ip link set ${iface} up`);
        const seen = await watchHolders(config, stack, STEADY_MS);
        const steady = seen.length === 1 && seen[0] !== "split" && seen[0] !== "none";
        return { held: moved !== null && steady, detail: `holders after the link came back: ${seen.join(" → ")}` };
      },
    },
    {
      name: "VRRP adverts blocked between the nodes",
      expectation: "both become MASTER (split brain), the VIP watch reports it, and one master is left once adverts flow again",
      expectFailures: true,
      neededMoves: (nodes) => nodes - 1,
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
          return { held: split !== null && reported && steady, detail };
        } finally {
          await unblockVrrp();
        }
      },
    },
    // nginx's upstreams carry a node's requests to the others' backends; without nginx only the
    // holder serves (its service dying is frontDoorDies).
    ...(nginx
      ? [
          {
            name: "the master's app backends stopped",
            expectation: "every request still succeeds, through the other node's backend",
            expectFailures: false,
            neededMoves: () => 0,
            async run(_stack: LabStack, master: string) {
              await sh(master, `systemctl stop ${ports}`);
              return { held: true, detail: "" };
            },
          },
        ]
      : []),
    ...config.nodes
      .filter((node) => node.role === "backend")
      .slice(0, 1)
      .map((backend): Scenario => ({
        name: `backend-only ${backend.name} stopped`,
        expectation: "every request still succeeds, through the other nodes' backends; the VIP stays",
        expectFailures: false,
        neededMoves: () => 0,
        async run(_stack, master, fault) {
          await sh(backend.name, `systemctl stop ${ports}`);
          const seen = await watchHolders(config, _stack, STEADY_MS);
          const stayed = seen.length === 1 && seen[0] === master;
          return { held: stayed, detail: stayed ? "" : `holders after ${fmt(Date.now() - fault)}: ${seen.join(" → ")}` };
        },
      })),
  ];
}

export async function runScenario(stack: LabStack, scenario: Scenario): Promise<ScenarioResult> {
  const master = await baseline(stack);
  const site = stack.config.sites[0].serverName;
  const logLines = await logLineCounts(stack.topology);
  const macs = await nodeMacs(stack);
  const neighbours = watchNeighbours(stack);
  const start = Date.now();
  const stream = startStream(stack, site);
  await sleep(FAULT_AFTER_MS);
  const fault = Date.now();
  const outcome = await scenario.run(stack, master, fault).catch(async (e: Error) => {
    await Promise.all([stream, neighbours.stop()]);
    throw e;
  });
  const events = await stream;
  const until = Date.now();
  const updates = await neighbours.stop();
  // The primary VIP's instance only: with several VIPs, another VIP's moves are not this scenario's.
  const primary = allVipNames(stack.config)[0].instanceName;
  const journals = new Map([...(await keepalivedJournals(stack, start))].map(([node, lines]) => [node, instanceLines(lines, primary)]));
  const figures = requestFigures(events, fault);
  const newMaster = firstNewMaster(journals, master, start, fault);
  const entries = [...journals.values()].reduce((n, lines) => n + masterEntries(lines, start).length, 0);
  const neededMoves = scenario.neededMoves(frontDoors(stack.config.nodes).length);
  const garpMs = newMaster ? garpAfter(updates, fault, macs.get(newMaster.node)!) : null;
  const alerts = await awaitAlerts(stack.topology, start, logLines);
  const alertsMissing = alerts.missing.map((a) => `${a.node} ${a.state}`);
  const held = outcome.held && (scenario.expectFailures || figures.failed === 0) && alertsMissing.length === 0;
  const result: ScenarioResult = {
    name: scenario.name,
    expectation: scenario.expectation,
    held,
    ...figures,
    masterAtMs: newMaster ? newMaster.at - fault : null,
    garpMs,
    masterEntries: entries,
    neededMoves,
    spurious: spuriousTransitions(entries, neededMoves),
    transitions: alerts.logged.length,
    alertsMissing,
    detail: [
      outcome.detail,
      figures.failed > 0 && !scenario.expectFailures ? `${figures.failed} requests failed` : "",
      alertsMissing.length ? `no alert for: ${alertsMissing.join(", ")}` : `${alerts.logged.length} transitions alerted`,
    ]
      .filter(Boolean)
      .join("; "),
    timeline: {
      from: start - fault,
      to: until - fault,
      requests: events.map((e) => ({ ...e, t: e.t - fault })),
      holders: [...journals].flatMap(([node, lines]) =>
        masterIntervals(lines, node === master, start, until).map(([from, to]) => ({ node, from: from - fault, to: to - fault })),
      ),
      arp: updates.map((u) => ({ ...u, t: u.t - fault })),
    },
  };
  log(
    `${held ? "HELD" : "BROKE"}  ${scenario.name}: first success ${fmt(result.firstSuccessMs)}, ${result.failed}/${result.requests} failed (${result.slow} slow), new MASTER ${fmt(result.masterAtMs)}, GARP ${fmt(result.garpMs)}, ${result.spurious} spurious${result.detail ? `; ${result.detail}` : ""}`,
  );
  return result;
}

/** The first node other than the old master to enter MASTER after the fault, and when (from the journals). */
function firstNewMaster(journals: Map<string, string[]>, master: string, start: number, fault: number): { node: string; at: number } | null {
  const firsts = [...journals]
    .filter(([node]) => node !== master)
    .flatMap(([node, lines]) =>
      masterEntries(lines, start)
        .filter((t) => t >= fault)
        .slice(0, 1)
        .map((at) => ({ node, at })),
    )
    .sort((a, b) => a.at - b.at);
  return firsts[0] ?? null;
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
      `${r.held ? "HELD " : "BROKE"}  ${r.name.padEnd(48)} ${fmt(r.firstSuccessMs).padStart(10)} ${`${r.failed}/${r.requests}`.padStart(9)} ${String(r.slow).padStart(4)} ${fmt(r.masterAtMs).padStart(10)} ${fmt(r.garpMs).padStart(8)} ${String(r.spurious).padStart(8)}  ${r.detail}`,
  );
  return [
    `RESULT ${"SCENARIO".padEnd(48)} ${"FIRST OK".padStart(10)} ${"FAILED".padStart(9)} ${"SLOW".padStart(4)} ${"NEW MASTER".padStart(10)} ${"GARP".padStart(8)} ${"SPURIOUS".padStart(8)}`,
    ...rows,
    "FAILED: no 200 within 1 s of the request (SLOW: of those, a 200 that came later, up to 5 s); FIRST OK, NEW MASTER (its journal), GARP (the router's ARP entry): from the fault",
  ].join("\n");
}
