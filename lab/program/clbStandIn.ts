/**
 * The CLB's stand-in (frontDoor clb): HAProxy from Debian, one process in the lab's namespace,
 * listening on the lab's EIP address, configured from the CLB resources the program declares (its
 * registrations under mocks), as Tencent would configure the CLB from them:
 *
 *   Clb/listener:Listener          → a frontend on its port
 *   Clb/listenerRule:ListenerRule  → a backend chosen by the request's Host (the rule's domain), with
 *                                    the rule's health check (GET path, Host, interval, thresholds,
 *                                    timeout, healthy codes) and its scheduler (WRR: round robin)
 *   Clb/attachment:Attachment      → that backend's servers: each target's CVM (instanceId → the
 *                                    node's private address) on the target's port, with its weight
 *
 * What the real CLB does beyond its rules is played as Tencent documents it (CLB health check overview, 214/6097): a failed
 * forward is retried on another target (the HTTP listener's passive check: `option redispatch 1`,
 * `retries 2`), the backend sees the client in X-Forwarded-For (`option forwardfor`), and a Host
 * that no rule names goes to the listener's default domain, its first rule's. Not played: the
 * "probing" state of a new target (HAProxy counts it up until its first failed check), and
 * "all dead, all alive" (HAProxy answers 503 when every target is down).
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { spawn } from "child_process";
import { TargetHealth } from "../../common/checks";
import { runProcess } from "../../common/process";
import { TYPES } from "../../tencentcloud/tokens";
import { LabError, log, tail, waitFor } from "../hosts/exec";
import { names, settings } from "../hosts/paths";
import type { LabTopology } from "../hosts/topology";
import { machineId } from "./machines";
import { Registration, unwrap } from "./programUnderMocks";

/** One rule's health check, as the ListenerRule declares it. */
export interface ClbHealthCheck {
  path: string;
  /** The probe's Host header (healthCheckHttpDomain). */
  host: string;
  method: string;
  intervalS: number;
  healthyNum: number;
  unhealthyNum: number;
  timeoutS: number;
  /** healthCheckHttpCode, a bit mask: 1 1xx, 2 2xx, 4 3xx, 8 4xx, 16 5xx. */
  httpCode: number;
}

/** One target of a rule: a node's private address and port. */
export interface ClbTarget {
  node: string;
  address: string;
  port: number;
  weight: number;
}

export interface ClbRule {
  domain: string;
  url: string;
  scheduler: string;
  health: ClbHealthCheck;
  targets: ClbTarget[];
}

export interface ClbListener {
  name: string;
  port: number;
  protocol: string;
  /** In the order the program declares them: the first is the listener's default domain. */
  rules: ClbRule[];
}

/** The node behind a target's instance id, where the lab has one. */
export type NodeOfInstance = (instanceId: string) => { name: string; privateIp: string } | undefined;

const ofType = (registrations: Registration[], type: string) => registrations.filter((r) => r.type === type);

/**
 * The registration of `type` that `r` belongs to: the one among its dependencies (its listenerId or
 * ruleId input came from it), else the one `byName` picks. Under mocks an output the fake cloud
 * leaves unset (say, the listener's listenerId) is no dependency at all, hence the contract's names
 * (components/loadBalancer.ts names them) as the fallback. A LabError when neither finds exactly one.
 */
function ownerOf(registrations: Registration[], r: Registration, type: string, byName: (owner: Registration) => boolean): Registration {
  const candidates = ofType(registrations, type);
  const byDependency = candidates.filter((d) => r.dependencies.includes(d.urn));
  const found = byDependency.length > 0 ? byDependency : candidates.filter(byName);
  if (found.length !== 1)
    throw new LabError(`the program's ${r.name} belongs to ${found.length} ${type} resources, not one: the CLB's stand-in cannot place it`);
  return found[0];
}

const num = (value: unknown, what: string): number => {
  if (typeof value !== "number") throw new LabError(`the program declares ${what} as ${JSON.stringify(value)}, not a number`);
  return value;
};

/**
 * The CLB as the program declares it: each listener with its rules and their targets. An empty list
 * when the program declares no CLB (a stack behind a VIP). Throws when a target names a CVM the lab
 * has no node for, or a rule has no attachment.
 */
export function clbListeners(registrations: Registration[], nodeOf: NodeOfInstance): ClbListener[] {
  const rules = ofType(registrations, TYPES.clbListenerRule);
  const attachments = ofType(registrations, TYPES.clbAttachment);
  return ofType(registrations, TYPES.clbListener).map((listener) => ({
    name: String(listener.inputs.listenerName ?? listener.name),
    port: num(listener.inputs.port, `${listener.name}'s port`),
    protocol: String(listener.inputs.protocol),
    rules: rules
      // A rule of the CLB's only listener, when nothing else says.
      .filter((rule) => ownerOf(registrations, rule, TYPES.clbListener, () => ofType(registrations, TYPES.clbListener).length === 1) === listener)
      .map((rule) => {
        const inputs = unwrap(rule.inputs) as Record<string, unknown>;
        // "<rule>-targets" (components/loadBalancer.ts) when nothing else says.
        const attached = attachments.filter((a) => ownerOf(registrations, a, TYPES.clbListenerRule, (r) => a.name === `${r.name}-targets`) === rule);
        if (attached.length === 0) throw new LabError(`the program's rule ${rule.name} has no attachment: the CLB would send its requests nowhere`);
        return {
          domain: String(inputs.domain),
          url: String(inputs.url ?? "/"),
          scheduler: String(inputs.scheduler ?? "WRR"),
          health: {
            path: String(inputs.healthCheckHttpPath ?? "/"),
            host: String(inputs.healthCheckHttpDomain ?? inputs.domain),
            method: String(inputs.healthCheckHttpMethod ?? "HEAD"),
            // Tencent's defaults where the rule sets none (its API's HealthCheck).
            intervalS: Number(inputs.healthCheckIntervalTime ?? 5),
            healthyNum: Number(inputs.healthCheckHealthNum ?? 3),
            unhealthyNum: Number(inputs.healthCheckUnhealthNum ?? 3),
            timeoutS: Number(inputs.healthCheckTimeOut ?? 2),
            httpCode: Number(inputs.healthCheckHttpCode ?? 31),
          },
          targets: attached.flatMap((a) =>
            (unwrap(a.inputs.targets) as { instanceId?: string; port: number; weight?: number }[]).map((t) => {
              const node = t.instanceId ? nodeOf(t.instanceId) : undefined;
              if (!node) throw new LabError(`${a.name} attaches ${t.instanceId ?? "an ENI address"}, which is no lab node's CVM`);
              return { node: node.name, address: node.privateIp, port: num(t.port, `${a.name}'s target port`), weight: t.weight ?? 10 };
            }),
          ),
        };
      }),
  }));
}

/** The lab's nodes by their CVMs' instance ids (lab/program/machines.ts), as the program's targets name them. */
export const labNodeOf =
  (topology: LabTopology): NodeOfInstance =>
  (instanceId) =>
    topology.nodes.find((n) => machineId(n.name) === instanceId);

/** HAProxy's scheduler for Tencent's: WRR is weighted round robin, LEAST_CONN least connections, IP_HASH the source address. */
const BALANCE: Record<string, string> = { WRR: "roundrobin", LEAST_CONN: "leastconn", IP_HASH: "source" };

/** healthCheckHttpCode's bits as a regular expression on the status: 2 → ^[2], 6 → ^[23]. */
export function statusPattern(httpCode: number): string {
  const digits = [1, 2, 3, 4, 5].filter((_, i) => httpCode & (1 << i)).join("");
  if (!digits) throw new LabError(`healthCheckHttpCode ${httpCode} names no status class (1-31)`);
  return `^[${digits}]`;
}

/** A backend's name for a rule: its domain (HAProxy takes letters, digits, '.', '-', '_' and ':'). */
export const backendName = (listener: ClbListener, rule: ClbRule) => `${listener.name}_${rule.domain}`;

/**
 * How long HAProxy waits for a target's TCP handshake before it retries elsewhere. Tencent does not
 * publish the CLB's; the lab takes nginx's own (render's proxy_connect_timeout), so a request that
 * meets a dead front door is retried within the client's 1 s.
 */
const CONNECT_TIMEOUT = "300ms";

/** The stand-in's haproxy.cfg for the CLB's listeners, listening on `address`. */
export function haproxyConfig(listeners: ClbListener[], address: string, files: { socket: string }): string {
  const lines = [
    "# iam-ha lab: the CLB's stand-in, made from the program's CLB listener, rules and targets (lab/program/clbStandIn.ts)",
    "global",
    // Timestamps to the microsecond: the scenarios time each target marked DOWN and UP from this log.
    "  log stdout format rfc5424 local0",
    `  stats socket ${files.socket} mode 600 level admin`,
    "",
    "defaults",
    "  mode http",
    "  log global",
    // Only what went wrong: retries, redispatches, errors; and every target's state change.
    "  option httplog",
    "  option dontlog-normal",
    `  timeout connect ${CONNECT_TIMEOUT}`,
    "  timeout client 60s",
    "  timeout server 60s",
    // The HTTP listener's passive check: a failed forward is retried on another target.
    "  option redispatch 1",
    "  retries 2",
    "  option forwardfor",
  ];
  for (const listener of listeners) {
    if (listener.protocol !== "HTTP") throw new LabError(`the lab's CLB plays HTTP listeners only; ${listener.name} is ${listener.protocol}`);
    if (listener.rules.length === 0) throw new LabError(`listener ${listener.name} has no rules: the CLB would answer nothing`);
    lines.push("", `frontend ${listener.name}`, `  bind ${address}:${listener.port}`, "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower");
    for (const rule of listener.rules) lines.push(`  use_backend ${backendName(listener, rule)} if { var(txn.host) -m str ${rule.domain.toLowerCase()} }`);
    // A Host no rule names: the listener's default domain, its first rule (Tencent: a listener keeps one).
    lines.push(`  default_backend ${backendName(listener, listener.rules[0])}`);
    for (const rule of listener.rules) lines.push("", ...backend(listener, rule));
  }
  return `${lines.join("\n")}\n`;
}

function backend(listener: ClbListener, rule: ClbRule): string[] {
  const h = rule.health;
  const balance = BALANCE[rule.scheduler];
  if (!balance) throw new LabError(`rule ${rule.domain}: scheduler ${rule.scheduler} is none of ${Object.keys(BALANCE).join(", ")}`);
  if (h.timeoutS >= h.intervalS)
    throw new LabError(
      `rule ${rule.domain}: the health check's timeout (${h.timeoutS} s) must be shorter than its interval (${h.intervalS} s), as Tencent's API requires`,
    );
  return [
    `backend ${backendName(listener, rule)}`,
    `  balance ${balance}`,
    "  option httpchk",
    `  http-check send meth ${h.method} uri ${h.path} ver HTTP/1.1 hdr Host ${h.host}`,
    `  http-check expect rstatus ${statusPattern(h.httpCode)}`,
    `  timeout check ${h.timeoutS}s`,
    `  default-server inter ${h.intervalS}s fall ${h.unhealthyNum} rise ${h.healthyNum}`,
    ...rule.targets.map((t) => `  server ${t.node} ${t.address}:${t.port} check weight ${t.weight}`),
  ];
}

// ---------- the process ----------

export const standInFiles = () => ({
  config: path.join(settings.stateDir, "clb-haproxy.cfg"),
  socket: path.join(settings.stateDir, "clb-haproxy.sock"),
  pid: path.join(settings.stateDir, "clb-haproxy.pid"),
  log: path.join(settings.stateDir, "clb-haproxy.log"),
  /** The listeners it plays (JSON): which backend is which site, for whoever reads its state later. */
  listeners: path.join(settings.stateDir, "clb-listeners.json"),
});

/** The listeners the running stand-in plays; none when it does not run. */
export function playedListeners(): ClbListener[] {
  const file = standInFiles().listeners;
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as ClbListener[]) : [];
}

function runningPid(): number | undefined {
  const file = standInFiles().pid;
  if (!fs.existsSync(file)) return undefined;
  const pid = Number(fs.readFileSync(file, "utf8").trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Writes the stand-in's config for the program's CLB, validates it (`haproxy -c`), and (re)starts
 * HAProxy in the lab's namespace on the EIP, as `pulumi up` ends with the CLB's targets registered.
 * Returns the listeners it plays; none (and nothing started) when the program declares no CLB.
 */
export async function startClbStandIn(registrations: Registration[], topology: LabTopology): Promise<ClbListener[]> {
  const listeners = clbListeners(registrations, labNodeOf(topology));
  if (listeners.length === 0) return [];
  const files = standInFiles();
  fs.mkdirSync(settings.stateDir, { recursive: true });
  fs.writeFileSync(files.config, haproxyConfig(listeners, topology.eip, files), { mode: 0o600 });
  const check = await runProcess(["haproxy", "-c", "-q", "-f", files.config], { timeoutMs: 30_000 });
  if (check.code !== 0)
    throw new LabError(
      `haproxy -c refused the CLB stand-in's config ${files.config}: ${tail(check.stderr || check.stdout)} (is haproxy installed? apt-get install -y haproxy)`,
    );
  await stopClbStandIn();
  const out = fs.openSync(files.log, "a");
  const child = spawn("nsenter", [`--net=/run/netns/${names.labNs()}`, "--", "haproxy", "-db", "-f", files.config], {
    detached: true,
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  if (!child.pid) throw new LabError("could not start haproxy for the CLB's stand-in");
  child.unref();
  fs.writeFileSync(files.pid, `${child.pid}\n`);
  fs.writeFileSync(files.listeners, JSON.stringify(listeners));
  if (!(await waitFor(() => fs.existsSync(files.socket) && runningPid() !== undefined, 10_000, 100)))
    throw new LabError(`the CLB's stand-in (haproxy) did not start: ${tail(fs.existsSync(files.log) ? fs.readFileSync(files.log, "utf8") : "")}`);
  const rules = listeners.flatMap((l) => l.rules.map((r) => `${r.domain} → ${r.targets.map((t) => t.node).join(", ")}`));
  log(`the CLB's stand-in (haproxy, pid ${child.pid}) listens on ${topology.eip}:${listeners.map((l) => l.port).join(",")}: ${rules.join("; ")}`);
  return listeners;
}

/** Stops the stand-in (the process this lab started, by its pid), if it runs. */
export async function stopClbStandIn(): Promise<void> {
  const pid = runningPid();
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    if (!(await waitFor(() => runningPid() === undefined, 10_000, 100))) process.kill(pid, "SIGKILL");
  }
  for (const file of [standInFiles().pid, standInFiles().socket, standInFiles().listeners]) fs.rmSync(file, { force: true });
}

/** Whether the stand-in runs. */
export const clbStandInRunning = () => runningPid() !== undefined;

/** One command on HAProxy's stats socket (a unix socket: reachable from any namespace), its answer. */
function statsCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(standInFiles().socket);
    let answer = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to "${command}" within 5 s`)));
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (d) => (answer += d.toString("utf8")));
    socket.on("end", () => resolve(answer));
    socket.on("error", (e) => reject(new LabError(`the CLB's stand-in's stats socket ${standInFiles().socket}: ${e.message}`)));
  });
}

/** One target of one site as the stand-in sees it, with the connections it has sent it so far. */
export interface TargetStat extends TargetHealth {
  /** HAProxy's stot: every connection it gave this target (retried ones included). */
  sent: number;
}

/** Every target of every site (HAProxy's `show stat`). UP (also "UP 1/2", going down) is healthy. */
export async function targetStats(listeners: ClbListener[] = playedListeners()): Promise<TargetStat[]> {
  const [header, ...rows] = (await statsCommand("show stat")).trim().split("\n");
  const columns = header.replace(/^# /, "").split(",");
  const col = (row: string[], name: string) => row[columns.indexOf(name)] ?? "";
  const sites = new Map(listeners.flatMap((l) => l.rules.map((r) => [backendName(l, r), r.domain] as const)));
  return rows
    .map((line) => line.split(","))
    .filter((row) => sites.has(col(row, "pxname")) && !["FRONTEND", "BACKEND"].includes(col(row, "svname")))
    .map((row) => {
      const status = col(row, "status");
      const check = col(row, "check_status");
      return {
        site: sites.get(col(row, "pxname"))!,
        node: col(row, "svname"),
        healthy: status.startsWith("UP"),
        status: check ? `${status} (${check})` : status,
        sent: Number(col(row, "stot")),
      };
    });
}

/** The stand-in's own view of every target, per site: what Tencent's getTargetHealth gives for the real CLB. */
export async function clbTargetHealth(listeners: ClbListener[] = playedListeners()): Promise<TargetHealth[]> {
  return (await targetStats(listeners)).map(({ site, node, healthy, status }) => ({ site, node, healthy, status }));
}

/** A target's state change in the stand-in's log: when (ms since the epoch), which site's backend, which node, UP or DOWN. */
export interface TargetChange {
  t: number;
  backend: string;
  node: string;
  state: "UP" | "DOWN";
}

/** The state changes logged from `since` on (HAProxy's "Server <backend>/<node> is DOWN|UP" lines, rfc5424 timestamps). */
export function targetChanges(logText: string, since = 0): TargetChange[] {
  return logText.split("\n").flatMap((line) => {
    const m = /^<\d+>1 (\S+) .* Server (\S+)\/(\S+) is (UP|DOWN)\b/.exec(line);
    if (!m) return [];
    const t = Date.parse(m[1]);
    return t >= since ? [{ t, backend: m[2], node: m[3], state: m[4] as "UP" | "DOWN" }] : [];
  });
}

/** The stand-in's log so far. */
export const standInLog = () => (fs.existsSync(standInFiles().log) ? fs.readFileSync(standInFiles().log, "utf8") : "");
