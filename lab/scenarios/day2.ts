import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PROJECT, readDeclaredKeys } from "../../config/declaredKeys";
import { readStackFile, stackFilePath } from "../../config/stackFile";
import { log, sleep } from "../hosts/exec";
import { inNode } from "../hosts/nodeShell";
import { sshExec } from "../hosts/ssh";
import { paths, settings } from "../hosts/paths";
import { recordedHosts } from "../hosts/lab";
import { labPlan } from "../program/apply";
import { declaredCommands } from "../program/declaredCommands";
import { formatPlan } from "../program/plan";
import { down, labChecks, replace, up } from "../program/session";
import { LabStack, loadLabStack, randomSecret } from "../program/stack";
import { nodeStates, vipHolders } from "../program/status";
import { allVipNames } from "../../render/vips";
import { startStream } from "./failover";
import { instanceMasterIntervals, mostAtOnce } from "./masters";
import { releaseNode, runSwitchover } from "./switchover";

/**
 * Day 2 on the lab stack: each change an operator makes to a running stack, made as they would (a
 * changed stack file, then `up`), under a steady stream of requests through the EIP, with what it
 * cost: failed requests, the most MASTERs at once (from the nodes' keepalived journals, to the
 * microsecond), which nodes reloaded or restarted nginx and keepalived, and whether the VIP moved.
 */

/** A stack as the operator edits it: the stack file's `iam-ha:` values and the rest, and the secrets they set with `pulumi config set --secret`. */
export interface StackSettings {
  values: Record<string, unknown>;
  others: Record<string, unknown>;
  secrets: Record<string, string>;
}

type Nodes = { name: string; privateIp: string; priority?: number; role?: string }[];
type Sites = { serverName: string; port: number; clientMaxBodySize?: string }[];

export interface Day2Change {
  name: string;
  /** The stack's settings after the change. */
  edit?: (before: StackSettings) => StackSettings;
  /** What the operator runs: `up` (default); a CVM replaced (the node not holding the VIP), then `up`; or a planned switchover. */
  how?: "up" | "replace" | "switchover";
  /** What the nodes that stay must do, if anything: reload (every one of them) or nothing. */
  reloads?: { nginx: "every node" | "none"; keepalived: "every node" | "none" };
  vipMoves: boolean;
}

const THIRD_SITE = "iam.pump.marmotedu.com";
const SECOND_VIP = "10.0.4.98";
/** A key's value as the stack has it: its own, or Pulumi.yaml's default. */
const setting = (s: StackSettings, key: string) => s.values[key] ?? readDeclaredKeys().find((k) => k.name === key)!.default;
const withValues = (s: StackSettings, values: Record<string, unknown>): StackSettings => ({ ...s, values: { ...s.values, ...values } });
const withoutKeys = <T>(values: Record<string, T>, keys: string[]) => Object.fromEntries(Object.entries(values).filter(([k]) => !keys.includes(k)));
const sites = (s: StackSettings) => s.values.sites as Sites;
const nodes = (s: StackSettings) => s.values.nodes as Nodes;
/** The changes, in order, each from the state the previous one left. */
export const DAY2_CHANGES: Day2Change[] = [
  {
    name: "add a site",
    edit: (s) => withValues(s, { sites: [...sites(s), { serverName: THIRD_SITE, port: 7070, clientMaxBodySize: "5m" }] }),
    reloads: { nginx: "every node", keepalived: "none" },
    vipMoves: false,
  },
  {
    name: "change a backend port",
    edit: (s) => withValues(s, { sites: sites(s).map((site) => (site.serverName === THIRD_SITE ? { ...site, port: 7071 } : site)) }),
    reloads: { nginx: "every node", keepalived: "none" },
    vipMoves: false,
  },
  {
    name: "rotate vrrpAuthPass",
    edit: (s) => ({ ...s, secrets: { ...s.secrets, vrrpAuthPass: randomSecret(8) } }),
    reloads: { nginx: "none", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "change advertInt 1 → 2",
    edit: (s) => withValues(s, { advertInt: 2 }),
    reloads: { nginx: "none", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "VRRPv3, advertInt 2 → 0.3",
    // VRRPv3 has no password: the operator removes it too (pulumi config rm vrrpAuthPass).
    edit: (s) => ({ ...withValues(s, { vrrpVersion: 3, advertInt: "0.3" }), secrets: withoutKeys(s.secrets, ["vrrpAuthPass"]) }),
    reloads: { nginx: "none", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "change priorities 250/240 → 230/220",
    edit: (s) => withValues(s, { nodes: nodes(s).map((n, i) => ({ ...n, priority: [230, 220][i] })) }),
    reloads: { nginx: "none", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "add node-3 (10.0.4.22)",
    edit: (s) => withValues(s, { nodes: [...nodes(s), { name: "node-3", privateIp: "10.0.4.22", priority: 90 }] }),
    reloads: { nginx: "every node", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "remove node-3",
    edit: (s) => withValues(s, { nodes: nodes(s).filter((n) => n.name !== "node-3") }),
    reloads: { nginx: "every node", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "add backend-only node-4 (10.0.4.23)",
    edit: (s) => withValues(s, { nodes: [...nodes(s), { name: "node-4", privateIp: "10.0.4.23", role: "backend" }] }),
    reloads: { nginx: "every node", keepalived: "none" },
    vipMoves: false,
  },
  {
    name: "remove backend-only node-4",
    edit: (s) => withValues(s, { nodes: nodes(s).filter((n) => n.name !== "node-4") }),
    reloads: { nginx: "every node", keepalived: "none" },
    vipMoves: false,
  },
  {
    // Non-preemptive, as the article's: the new VIP starts where the roll leaves it (with the
    // primary's holder, as the other front door is held out meanwhile) and stays there. A
    // preemptive one would then move to node-2, a planned handover the active-active lab scenario measures.
    name: "add a second VIP (active-active: 10.0.4.98, router id 52)",
    edit: (s) => {
      const primary = { address: setting(s, "havip"), virtualRouterId: setting(s, "virtualRouterId"), preferred: "node-1" };
      const values = withoutKeys(s.values, ["havip", "virtualRouterId"]);
      return { ...s, values: { ...values, vips: [primary, { address: SECOND_VIP, virtualRouterId: 52, preferred: "node-2" }] } };
    },
    reloads: { nginx: "every node", keepalived: "every node" },
    vipMoves: false,
  },
  {
    name: "remove the second VIP",
    edit: (s) => {
      const [primary] = s.values.vips as { address: string; virtualRouterId: number }[];
      return withValues({ ...s, values: withoutKeys(s.values, ["vips"]) }, { havip: primary.address, virtualRouterId: primary.virtualRouterId });
    },
    reloads: { nginx: "every node", keepalived: "every node" },
    vipMoves: false,
  },
  { name: "replace a node's CVM", how: "replace", reloads: { nginx: "none", keepalived: "none" }, vipMoves: false },
  { name: "planned switchover", how: "switchover", vipMoves: true },
];

/** What one change did. */
export interface Day2Result {
  name: string;
  /** `npm run lab -- preview` before the change. */
  plan: string;
  /** The commands that ran. */
  ran: string[];
  requests: number;
  failed: number;
  /** When each failed request started (ms from the change's start) and its status (0: no answer within 1 s). */
  failedAt: { at: number; status: number }[];
  /** What nginx logged about its backends during the change (connects refused or timed out, …), node by node. */
  upstreamErrors: string[];
  /** The most nodes in MASTER state of one VIP at one moment, from their keepalived journals. */
  mostMasters: number;
  /** Each MASTER interval of each VIP's VRRP instance, ms from the change's start (end null: still MASTER at its end). */
  masters: { node: string; instance: string; from: number; to: number | null }[];
  /** The nodes that stayed (same host before and after) and reloaded each service. */
  reloaded: { nginx: string[]; keepalived: string[] };
  /** "node unit" whose main process changed on a node that stayed: a restart. */
  restarted: string[];
  /** The fleet after the change, as each node and the lab's state see it. */
  after: FleetFacts;
  /** Nodes on the same host before and after, and those whose host is new (added or replaced). */
  stayed: string[];
  newHosts: string[];
  vipBefore: string | null;
  vipAfter: string | null;
  vipMoved: boolean;
  /** The lab's checks that failed after the change (and, for the switchover, the old holder's release). */
  checksFailed: string[];
  seconds: number;
  error?: string;
}

const STACK = "lab";
const UNITS = ["nginx", "keepalived", "mariadb"] as const;
const JOURNAL_PID = "/run/iam-ha-day2-journal.pid";
/** The stream: a chunk at a time, the next started before the last ends, from LEAD before the change until TAIL after it. */
const CHUNK_MS = 8_000;
const OVERLAP_MS = 3_000;
const LEAD_MS = 2_000;
const TAIL_MS = 3_000;

/** Writes the stack file for `s` into `dir` and loads it as the lab runs it. */
export async function stackOf(s: StackSettings, dir: string): Promise<LabStack> {
  const config = { ...s.others, ...Object.fromEntries(Object.entries(s.values).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
  fs.writeFileSync(stackFilePath(STACK, dir), YAML.stringify({ config }), { mode: 0o600 });
  return loadLabStack(STACK, s.secrets, dir);
}

/** The plan `npm run lab -- preview` prints for `stack`. */
export async function previewOf(stack: LabStack): Promise<string> {
  return formatPlan(labPlan(await declaredCommands(stack)));
}

interface NodeFacts {
  host: string;
  pids: Record<string, string>;
}

/** Each node's host identity (its machine id: a new host has a new one) and its services' main processes. */
async function nodeFacts(stack: LabStack): Promise<Map<string, NodeFacts>> {
  const facts = await Promise.all(
    stack.topology.nodes.map(async (n) => {
      const r = await inNode(n.name, `cat /etc/machine-id; systemctl show -p MainPID --value ${UNITS.join(" ")}`);
      const [host, ...pids] = r.stdout.trim().split("\n");
      return [n.name, { host, pids: Object.fromEntries(UNITS.map((u, i) => [u, pids[i]])) }] as const;
    }),
  );
  return new Map(facts);
}

/** What scale out and in must keep right: who lists whom, who may log in, what the lab's state records. */
export interface FleetFacts {
  /** Per node, the other nodes whose address its keepalived.conf (unicast peers) and its nginx sites (upstreams) name. */
  peers: Record<string, string[]>;
  upstreams: Record<string, string[]>;
  /** The database user's accounts on the database node (user@host). */
  dbAccounts: string[];
  /** The hosts the lab records as running, and the host keys it keeps (as Pulumi's state would). */
  hosts: string[];
  hostKeys: string[];
}

async function fleetFacts(stack: LabStack): Promise<FleetFacts> {
  const { config, topology } = stack;
  const named = async (node: string, files: string, suffix: string) => {
    const others = topology.nodes.filter((n) => n.name !== node);
    const probe = others.map((o) => `grep -qsF '${o.privateIp}${suffix}' ${files} && echo ${o.name}`).join("; ");
    return (await inNode(node, `${probe}; true`)).stdout.split("\n").filter(Boolean);
  };
  const lists = await Promise.all(
    topology.nodes.map(
      async (n) => [n.name, await named(n.name, "/etc/keepalived/keepalived.conf", ""), await named(n.name, "/etc/nginx/iam-ha.d/*.conf", ":")] as const,
    ),
  );
  const accounts = await inNode(
    config.database.node,
    `mariadb -N -e "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User = '${config.database.user}' ORDER BY Host"`,
  );
  return {
    peers: Object.fromEntries(lists.map(([n, peers]) => [n, peers])),
    upstreams: Object.fromEntries(lists.map(([n, , upstreams]) => [n, upstreams])),
    dbAccounts: accounts.stdout.split("\n").filter(Boolean),
    hosts: recordedHosts(),
    hostKeys: fs.existsSync(paths.hostKeys()) ? Object.keys(JSON.parse(fs.readFileSync(paths.hostKeys(), "utf8"))).sort() : [],
  };
}

const holder = async (stack: LabStack) => (await nodeStates(stack.config, stack.topology)).find((s) => s.holdsVip)?.name ?? null;

const journalCommand = (sinceMs: number) => `journalctl -q -o short-iso-precise -u keepalived -u nginx -u mariadb --since @${Math.floor(sinceMs / 1000)}`;

/**
 * Follows each node's journal from `since` over SSH, so that a host that goes during the change
 * (removed, replaced) leaves its lines too: its follow ends with its sshd. `stop` ends the others
 * (by the pid each one wrote) and returns every node's lines, those of a host that went and of the
 * one there now. It never throws: a journal it could not read is an empty one, said in the log.
 */
function followJournals(stack: LabStack, since: number): { stop: (now: LabStack) => Promise<Map<string, string[]>> } {
  const follows = new Map(
    stack.topology.nodes.map((node) => {
      let ended = false;
      const follow = sshExec(node, `echo $$ > ${JOURNAL_PID}; exec timeout 600 ${journalCommand(since)} -f`, undefined, { timeoutMs: 610_000 })
        .catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }))
        .finally(() => (ended = true));
      return [node.name, { follow, ended: () => ended }] as const;
    }),
  );
  const read = async (what: string, command: () => Promise<{ stdout: string }>) =>
    command().then(
      (r) => r.stdout,
      (e: Error) => {
        log(`day 2: could not read ${what}: ${e.message}`);
        return "";
      },
    );
  return {
    stop: async (now) => {
      const lines = new Map<string, string[]>();
      for (const name of new Set([...follows.keys(), ...now.topology.nodes.map((n) => n.name)])) {
        const f = follows.get(name);
        const node = now.topology.nodes.find((n) => n.name === name);
        const hostWent = !f || f.ended();
        if (f && !hostWent && node) await read(`${name}'s journal follow`, () => sshExec(node, `kill $(cat ${JOURNAL_PID})`));
        const followed = f ? await read(`${name}'s followed journal`, () => f.follow) : "";
        // A host that went, or is new, left only part of it in the follow: the one there now tells the rest.
        const current = hostWent && node ? await read(`${name}'s journal`, () => sshExec(node, journalCommand(since))) : "";
        lines.set(name, `${followed}\n${current}`.split("\n").filter(Boolean));
      }
      return lines;
    },
  };
}

/** nginx's error log lines about upstreams since `since` (its clock is the host's: one kernel), on every node there now. */
async function upstreamErrors(stack: LabStack, since: number): Promise<string[]> {
  const lines = await Promise.all(
    stack.topology.nodes.map(async (n) => {
      const text = (await inNode(n.name, "grep -h upstream /var/log/nginx/error.log || true")).stdout.split("\n").filter(Boolean);
      return text
        .filter((l) => Date.parse(l.slice(0, 19).replace(/\//g, "-").replace(" ", "T") + "Z") >= Math.floor(since / 1000) * 1000)
        .map((l) => `${n.name}: ${l}`);
    }),
  );
  return lines.flat();
}

const reloadedIn = (lines: string[], unit: string) => lines.some((l) => l.includes(`Reloaded ${unit}.service`));

/**
 * A steady stream through the EIP from LEAD_MS before `work` until TAIL_MS after it, in
 * overlapping chunks (a stream's length is fixed when it starts); returns every answer, and the error `work` threw.
 */
async function underStream(stack: LabStack, work: () => Promise<void>): Promise<{ events: Awaited<ReturnType<typeof startStream>>; error?: Error }> {
  const site = stack.config.sites[0].serverName;
  const chunks: ReturnType<typeof startStream>[] = [];
  let coveredUntil = 0;
  const more = () => {
    chunks.push(startStream(stack, site, CHUNK_MS));
    coveredUntil = Date.now() + CHUNK_MS;
  };
  more();
  await sleep(LEAD_MS);
  let doneAt: number | undefined;
  const outcome = work().then(
    () => undefined,
    (error: Error) => error,
  );
  void outcome.then(() => (doneAt = Date.now()));
  while (doneAt === undefined || coveredUntil < doneAt + TAIL_MS) {
    if (coveredUntil - Date.now() < OVERLAP_MS) more();
    await sleep(200);
  }
  return { events: (await Promise.all(chunks)).flat(), error: await outcome };
}

/** Runs one change on the running lab, from the stack as it stands (`before`), and measures it; `after` is the stack it leaves. */
export async function runChange(change: Day2Change, before: StackSettings, dir: string): Promise<{ result: Day2Result; after: StackSettings }> {
  const after = change.edit ? change.edit(before) : before;
  const old = await stackOf(before, dir);
  const stack = await stackOf(after, dir);
  const how = change.how ?? "up";
  log(`day 2: ${change.name}`);
  const factsBefore = await nodeFacts(old);
  const vipBefore = await holder(old);
  const holdersBefore = await vipHolders(old.config, old.topology);
  const since = Date.now();
  const journals = followJournals(old, since);
  const ran: string[] = [];
  let plan = "";
  const run = await underStream(stack, async () => {
    if (how === "switchover") {
      plan = await previewOf(stack);
      return void (await runSwitchover(stack));
    }
    if (how === "replace") await replace(stack, old.topology.nodes.find((n) => n.name !== vipBefore)!.name);
    const result = await up(stack);
    plan = result.plan;
    ran.push(...result.applied.map((a) => a.name));
  });
  const until = Date.now();
  const lines = await journals.stop(stack);
  const factsAfter = await nodeFacts(stack);
  const stayed = [...factsAfter].filter(([name, f]) => factsBefore.get(name)?.host === f.host).map(([name]) => name);
  // Per VIP (its VRRP instance), those before the change and those after it: two MASTERs of one VIP is a split brain, of two VIPs is active-active.
  const instances = new Map([...allVipNames(old.config), ...allVipNames(stack.config)].map((v) => [v.instanceName, v.vip.address]));
  const masters = [...instances].flatMap(([instance, address]) =>
    instanceMasterIntervals(lines, instance, (node) => holdersBefore.get(address) === node, since, until).map(({ node, interval: [from, to] }) => ({
      node,
      instance,
      from: from - since,
      to: to === until ? null : to - since,
    })),
  );
  const primary = allVipNames(old.config)[0].instanceName;
  const vipAfter = await holder(stack);
  const result: Day2Result = {
    name: change.name,
    plan,
    ran,
    requests: run.events.length,
    failed: run.events.filter((e) => !e.ok).length,
    failedAt: run.events.filter((e) => !e.ok).map((e) => ({ at: e.t - since, status: e.status })),
    upstreamErrors: await upstreamErrors(stack, since),
    mostMasters: Math.max(
      0,
      ...[...instances.keys()].map((instance) => mostAtOnce(masters.filter((m) => m.instance === instance).map((m) => [m.from, m.to ?? until - since]))),
    ),
    masters,
    reloaded: {
      nginx: stayed.filter((n) => reloadedIn(lines.get(n) ?? [], "nginx")),
      keepalived: stayed.filter((n) => reloadedIn(lines.get(n) ?? [], "keepalived")),
    },
    restarted: stayed.flatMap((n) => UNITS.filter((u) => factsBefore.get(n)!.pids[u] !== factsAfter.get(n)!.pids[u]).map((u) => `${n} ${u}`)),
    after: await fleetFacts(stack),
    stayed,
    newHosts: [...factsAfter.keys()].filter((n) => !stayed.includes(n)),
    vipBefore,
    vipAfter,
    // The primary VIP: the one the stream asks through its EIP.
    vipMoved: vipAfter !== vipBefore || masters.some((m) => m.instance === primary && m.node !== vipBefore),
    checksFailed: [],
    seconds: (until - since) / 1000,
    ...(run.error ? { error: run.error.message } : {}),
  };
  if (how === "switchover" && vipBefore) await releaseNode(stack, vipBefore);
  // Once the stream has stopped: the balance check counts where its own requests land, which
  // other traffic through the same upstream would skew (up's own checks ran under the stream).
  result.checksFailed = (await labChecks(stack)).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  return { result, after };
}

/** A change whose measuring itself failed: the error, and no figures. */
function failedChange(change: Day2Change, error: Error): Day2Result {
  log(`day 2: ${change.name} failed: ${error.message}`);
  return {
    name: change.name,
    plan: "",
    ran: [],
    requests: 0,
    failed: 0,
    failedAt: [],
    upstreamErrors: [],
    mostMasters: 0,
    masters: [],
    reloaded: { nginx: [], keepalived: [] },
    restarted: [],
    after: { peers: {}, upstreams: {}, dbAccounts: [], hosts: [], hostKeys: [] },
    stayed: [],
    newHosts: [],
    vipBefore: null,
    vipAfter: null,
    vipMoved: false,
    checksFailed: [],
    seconds: 0,
    error: error.message,
  };
}

/** The lab stack as committed, with the lab's own secrets. */
export function labStackSettings(): StackSettings {
  const file = readStackFile(STACK)!;
  return { values: file.values, others: file.others, secrets: {} };
}

/**
 * Every change in `changes`, in order, on a new lab of the lab stack (its files generated in a
 * temp dir, never Pulumi.lab.yaml), then the lab down. A change that fails is reported and the
 * next one goes on from the stack as it now stands, as an operator's next `up` would.
 */
export async function runDay2(changes: Day2Change[] = DAY2_CHANGES): Promise<{ results: Day2Result[]; labSeconds: number; report: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iam-ha-day2-"));
  const started = Date.now();
  let current = labStackSettings();
  const base = await stackOf(current, dir);
  try {
    await down(base);
    await up(base);
    log(`day 2: the lab is up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const results: Day2Result[] = [];
    for (const change of changes) {
      const { result, after } = await runChange(change, current, dir).catch((e: Error) => ({ result: failedChange(change, e), after: current }));
      results.push(result);
      current = after;
    }
    const labSeconds = (Date.now() - started) / 1000;
    const report = path.join(settings.stateDir, "day2-report.json");
    fs.writeFileSync(report, JSON.stringify({ labSeconds, results }, null, 2));
    process.stdout.write(`${formatDay2(results)}\nlab time ${labSeconds.toFixed(0)} s; JSON: ${report}\n`);
    return { results, labSeconds, report };
  } finally {
    // The lab's state names what was applied and which hosts run, whatever the stack now says.
    await down(base);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per change. */
export function formatDay2(results: Day2Result[]): string {
  const count = (plan: string, symbol: string) => plan.split("\n").filter((l) => l.startsWith(`  ${symbol} `)).length;
  const rows = results.map((r) => [
    r.name,
    `+${count(r.plan, "+ ")} ~${count(r.plan, "~ ")} +-${count(r.plan, "+-")} -${count(r.plan, "- ")}`,
    `${r.failed}/${r.requests}`,
    String(r.mostMasters),
    r.reloaded.nginx.join(",") || "-",
    r.reloaded.keepalived.join(",") || "-",
    r.restarted.join(",") || "-",
    `${r.vipBefore}→${r.vipAfter}${r.vipMoved ? " moved" : ""}`,
    r.seconds.toFixed(1),
    r.error ? `ERROR ${r.error.split("\n")[0]}` : r.checksFailed.length ? `checks failed: ${r.checksFailed.length}` : "",
  ]);
  const header = ["change", "plan", "failed", "MASTERs", "nginx reloaded", "keepalived reloaded", "restarted", "VIP", "s", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
