import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LabError, PROJECT_ROOT, sleep, tsScript } from "./exec";
import { inNode } from "./nodeShell";
import { names, settings } from "./paths";
import type { LabTopology } from "./topology";

/** The lab's webhook receiver: on the lab router's address, where every node can post. */
const RECEIVER_PORT = 9099;
const RECEIVER_LIFETIME_S = 6 * 3600;
const files = {
  out: () => path.join(settings.stateDir, "webhook.jsonl"),
  pid: () => path.join(settings.stateDir, "webhook.pid"),
};

export interface Alert {
  node: string;
  state: string;
}

export function receiverUrl(topology: LabTopology, token: string): string {
  return `http://${topology.routerIp}:${RECEIVER_PORT}/hook?token=${token}`;
}

function running(): boolean {
  if (!fs.existsSync(files.pid())) return false;
  try {
    process.kill(Number(fs.readFileSync(files.pid(), "utf8")), 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the receiver in the lab's namespace (once; `lab down` ends it with the namespace). */
export async function startReceiver(topology: LabTopology): Promise<void> {
  if (running()) return;
  fs.mkdirSync(settings.stateDir, { recursive: true });
  const receiver = tsScript("hosts/webhookReceiver.ts", [
    "--listen",
    `${topology.routerIp}:${RECEIVER_PORT}`,
    "--out",
    files.out(),
    "--lifetime",
    String(RECEIVER_LIFETIME_S),
  ]);
  const child = spawn("nsenter", [`--net=/run/netns/${names.labNs()}`, "--", ...receiver], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  fs.writeFileSync(files.pid(), String(child.pid));
  for (let i = 0; i < 50; i++) {
    if ((await inNode(topology.nodes[0].name, `curl -s -o /dev/null --max-time 1 -X POST http://${topology.routerIp}:${RECEIVER_PORT}/ready`)).code === 0)
      return;
    await sleep(200);
  }
  throw new LabError(`the webhook receiver did not start on ${topology.routerIp}:${RECEIVER_PORT}`);
}

/** Alerts received since `since` (ms), as node and state. */
export function receivedAlerts(since: number): Alert[] {
  if (!fs.existsSync(files.out())) return [];
  return fs
    .readFileSync(files.out(), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { at: number; path: string; body: string })
    .filter((m) => m.at >= since && m.path.startsWith("/hook"))
    .map((m) => JSON.parse(m.body) as Alert)
    .map((a) => ({ node: a.node, state: a.state }));
}

/** Transitions each node's notify script logged since `since` (its lines carry node and state). */
async function loggedTransitions(topology: LabTopology, sinceLines: Record<string, number>): Promise<Alert[]> {
  const found: Alert[] = [];
  for (const node of topology.nodes) {
    const r = await inNode(node.name, `tail -n +${(sinceLines[node.name] ?? 0) + 1} /var/log/keepalived.log 2>/dev/null || true`);
    for (const m of r.stdout.matchAll(/notify_(\w+) node=(\S+)/g)) found.push({ node: m[2], state: m[1].toUpperCase() });
  }
  return found;
}

export async function logLineCounts(topology: LabTopology): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const node of topology.nodes) {
    counts[node.name] = Number((await inNode(node.name, "wc -l < /var/log/keepalived.log 2>/dev/null || echo 0")).stdout.trim()) || 0;
  }
  return counts;
}

const key = (a: Alert) => `${a.node}:${a.state}`;

/** Waits (bounded) until every logged transition arrived as an alert; returns what is missing. */
export async function awaitAlerts(
  topology: LabTopology,
  since: number,
  sinceLines: Record<string, number>,
  timeoutMs = 15_000,
): Promise<{ logged: Alert[]; missing: Alert[]; extra: Alert[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logged = await loggedTransitions(topology, sinceLines);
    const received = receivedAlerts(since).map(key);
    const missing = logged.filter((a) => {
      const i = received.indexOf(key(a));
      if (i >= 0) received.splice(i, 1);
      return i < 0;
    });
    if (missing.length === 0 || Date.now() > deadline)
      return { logged, missing, extra: received.map((k) => ({ node: k.split(":")[0], state: k.split(":")[1] })) };
    await sleep(250);
  }
}
