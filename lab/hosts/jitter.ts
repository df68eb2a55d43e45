/**
 * netem's `delay 20ms 10ms` on every port of a bridge, for kernels without sch_netem: each node's
 * port P is taken off the bridge and joined to it again through assets/jitter.py and a veth pair,
 *
 *   node ── P ══ jitter.py ══ jr<i> ── jb<i> ── bridge
 *
 * which delays every frame towards the node by a uniform 10–30 ms (so a frame between two nodes
 * is delayed once, on the port it leaves by, as with netem on every port) and passes the rest at
 * once. Everything is undone when the caller's function ends, however it ends.
 */
import * as path from "path";
import { runProcess, RunResult } from "../../common/process";
import { shellWords } from "../../common/shell";
import { LabError, log } from "./exec";
import { names } from "./paths";

/** The namespace and the bridge whose ports get the delay. */
export interface BridgeSite {
  netns: string;
  bridge: string;
}
export const labBridge = (): BridgeSite => ({ netns: names.labNs(), bridge: names.bridge() });

/** netem's `delay 20ms 10ms` (uniform jitter): what every frame waits on its way out of the bridge. */
export const JITTER_MS = { min: 10, max: 30 };
const SCRIPT = path.join(__dirname, "assets", "jitter.py");
const READY_TIMEOUT_MS = 10_000;
/** The relays outlast the caller's limit by this much, then end by themselves. */
const RELAY_MARGIN_S = 30;

const inNetns = (site: BridgeSite, cmd: readonly string[], input?: string) =>
  runProcess(["ip", "netns", "exec", site.netns, ...cmd], { timeoutMs: 30_000, input });

async function must(site: BridgeSite, cmd: string[], input?: string): Promise<RunResult> {
  const r = await inNetns(site, cmd, input);
  if (r.code !== 0)
    throw new LabError(`jitter: \`${shellWords(cmd)}\` failed in netns ${site.netns}: ${r.stderr.trim()}${input ? ` (input: ${input.trim()})` : ""}`);
  return r;
}

/** The bridge's ports (the nodes' veths), by name. */
export async function bridgePorts(site: BridgeSite): Promise<string[]> {
  const r = await must(site, ["ip", "-j", "link", "show", "master", site.bridge]);
  return (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

/**
 * A bridge takes the lowest MAC among its ports unless it was given one: set its own address
 * explicitly, or the new veth ends could change the router's MAC under the nodes' ARP caches.
 */
async function pinBridgeMac(site: BridgeSite): Promise<void> {
  const r = await must(site, ["ip", "-j", "link", "show", "dev", site.bridge]);
  const [{ address }] = JSON.parse(r.stdout) as { address: string }[];
  await must(site, ["ip", "link", "set", "dev", site.bridge, "address", address]);
}

/** Starts jitter.py between `port` and `relayEnd`; resolves once its sockets are bound. */
async function startRelay(site: BridgeSite, port: string, relayEnd: string, limitS: number): Promise<() => Promise<string>> {
  let ready: (pid: number) => void = () => undefined;
  const pidOf = new Promise<number>((resolve) => (ready = resolve));
  const cmd = [
    "python3",
    SCRIPT,
    "--node",
    port,
    "--bridge",
    relayEnd,
    "--min-ms",
    `${JITTER_MS.min}`,
    "--max-ms",
    `${JITTER_MS.max}`,
    "--seconds",
    `${limitS}`,
  ];
  const running = runProcess(["ip", "netns", "exec", site.netns, ...cmd], {
    timeoutMs: (limitS + RELAY_MARGIN_S) * 1000,
    onLine: (line) => {
      const m = /^ready pid (\d+)$/.exec(line);
      if (m) ready(Number(m[1]));
    },
  });
  const early = (r: RunResult) => new LabError(`jitter: the relay on ${port} ended before it was ready (exit ${r.code}): ${r.stderr.trim()}`);
  const late = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new LabError(`jitter: the relay on ${port} was not ready in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS).unref(),
  );
  const pid = await Promise.race([pidOf, running.then((r) => Promise.reject(early(r))), late]);
  return async () => {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* ended by itself (--seconds) */
    }
    const r = await running;
    return (r.stdout.split("\n").find((l) => l.startsWith("jitter ")) ?? `relay on ${port} exited ${r.code}: ${r.stderr.trim()}`).trim();
  };
}

/**
 * Puts the relay on one port; pushes onto `undo` (run last first) what takes each step back.
 * The swap at the end is one `ip -batch`, so the node is off the bridge for milliseconds only.
 */
async function jitterPort(site: BridgeSite, port: string, i: number, limitS: number, undo: (() => Promise<void>)[]): Promise<void> {
  const bridgeEnd = `jb${i}`;
  const relayEnd = `jr${i}`;
  const mtu = String((JSON.parse((await must(site, ["ip", "-j", "link", "show", "dev", port])).stdout) as { mtu: number }[])[0].mtu);
  await must(site, ["ip", "link", "add", bridgeEnd, "mtu", mtu, "type", "veth", "peer", "name", relayEnd, "mtu", mtu]);
  undo.push(async () => void (await must(site, ["ip", "link", "del", bridgeEnd])));
  // The lab namespace must never answer ARP on the relay's interfaces: its router address would get their MACs.
  await must(site, ["ip", "link", "set", relayEnd, "arp", "off", "up"]);
  const stop = await startRelay(site, port, relayEnd, limitS);
  undo.push(async () => log(`jitter: ${await stop()}`));
  await must(site, ["ip", "-batch", "-"], `link set ${port} nomaster arp off\nlink set ${bridgeEnd} master ${site.bridge} up\n`);
  undo.push(async () => void (await must(site, ["ip", "-batch", "-"], `link set ${bridgeEnd} down nomaster\nlink set ${port} master ${site.bridge} arp on\n`)));
  log(`jitter: ${port} is off ${site.bridge}, relayed through ${relayEnd}/${bridgeEnd}, frames towards it delayed ${JITTER_MS.min}–${JITTER_MS.max} ms`);
}

/**
 * Runs `fn` with every port of the bridge delayed (see the top of this file), for at most `limitS`
 * seconds (the relays end by themselves then); restores the bridge afterwards, even when `fn` or
 * the setup throws. `fn` gets a description of the delay applied.
 */
export async function withJitter<T>(site: BridgeSite, limitS: number, fn: (applied: string) => Promise<T>): Promise<T> {
  const ports = await bridgePorts(site);
  if (ports.length === 0) throw new LabError(`jitter: ${site.bridge} in netns ${site.netns} has no ports`);
  const undo: (() => Promise<void>)[] = [];
  const outcome = await (async () => {
    await pinBridgeMac(site);
    for (const [i, port] of ports.entries()) await jitterPort(site, port, i, limitS, undo);
    return fn(`${JITTER_MS.min}–${JITTER_MS.max} ms uniform delay (netem's delay 20ms 10ms, in userspace: jitter.py) on ${ports.join(", ")}`);
  })().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const errors: string[] = [];
  for (const step of undo.reverse()) await step().catch((e: Error) => errors.push(e.message));
  log(`jitter: ${ports.join(", ")} back on ${site.bridge} without delay${errors.length ? `, except: ${errors.join("; ")}` : ""}`);
  if (!outcome.ok) throw outcome.error;
  if (errors.length) throw new LabError(`jitter: restoring ${site.bridge} failed: ${errors.join("; ")}`);
  return outcome.value;
}
