import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BridgeSite, withJitter } from "../lab/hosts/jitter";
import { requireTools, run, runAsync, tempDir } from "./fixtures/tools";

/**
 * The userspace netem the flap run puts on the lab's bridge, on a real kernel: private network
 * namespaces play the bridge (with a router address, as the lab's has) and two nodes on it.
 */

requireTools("ip", "curl", "python3");
jest.setTimeout(60_000);

const tag = `iamj${process.pid}`;
const site: BridgeSite = { netns: `${tag}-lan`, bridge: "br0" };
const ROUTER = "10.9.0.254";
const hosts = { a: { ns: `${tag}-a`, ip: "10.9.0.1", port: "v-a" }, b: { ns: `${tag}-b`, ip: "10.9.0.2", port: "v-b" } };
/** What a busy 2-core machine adds to a round trip now and then (seen up to 12 ms on top of the delay). */
const SCHEDULING_MS = 15;
const BIG_BYTES = 4 * 1024 * 1024;
const ECHO_PORT = 7;
const servers: ChildProcess[] = [];
/** A UDP echo server on `ip`:7 (this machine has no ping). */
const ECHO = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], ${ECHO_PORT}))
while True:
    data, peer = s.recvfrom(2048); s.sendto(data, peer)`;
/** 30 probes 50 ms apart to argv[1]:7 after one that fills the ARP caches; prints each round trip in ms, or "lost". */
const PROBE = `import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(b"warm-up", (sys.argv[1], ${ECHO_PORT})); s.recv(2048)
for i in range(30):
    t = time.monotonic(); s.sendto(b"%d" % i, (sys.argv[1], ${ECHO_PORT}))
    try:
        while s.recv(2048) != b"%d" % i: pass
        print((time.monotonic() - t) * 1000)
    except socket.timeout:
        print("lost")
    time.sleep(0.05)`;

function must(r: { code: number; stderr: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what}: ${r.stderr}`);
}
const lan = (...args: string[]) => run("ip", ["-n", site.netns, ...args]);

/** Round trips of 30 UDP probes 50 ms apart from host a: min/avg/max in ms and how many came back. */
async function ping(to: string): Promise<{ min: number; avg: number; max: number; received: number }> {
  const r = await runAsync("ip", ["netns", "exec", hosts.a.ns, "python3", "-c", PROBE, to]);
  if (r.code !== 0) throw new Error(`probing ${to} failed: ${r.stderr}`);
  const rtts = r.stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "lost")
    .map(Number);
  return { min: Math.min(...rtts), avg: rtts.reduce((a, b) => a + b, 0) / rtts.length, max: Math.max(...rtts), received: rtts.length };
}

const portsOnBridge = () => JSON.parse(lan("-j", "link", "show", "master", site.bridge).stdout || "[]").map((l: { ifname: string }) => l.ifname);
const bridgeMac = () => JSON.parse(lan("-j", "link", "show", "dev", site.bridge).stdout)[0].address;

beforeAll(() => {
  must(run("ip", ["netns", "add", site.netns]), "netns lan");
  must(lan("link", "add", site.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"), "bridge");
  must(lan("address", "add", `${ROUTER}/24`, "dev", site.bridge), "router address");
  must(lan("link", "set", site.bridge, "up"), "bridge up");
  for (const h of Object.values(hosts)) {
    must(run("ip", ["netns", "add", h.ns]), `netns ${h.ns}`);
    must(lan("link", "add", h.port, "type", "veth", "peer", "name", "eth0", "netns", h.ns), `veth for ${h.ns}`);
    must(lan("link", "set", h.port, "master", site.bridge, "up"), `bridge port ${h.port}`);
    must(run("ip", ["-n", h.ns, "address", "add", `${h.ip}/24`, "dev", "eth0"]), `address of ${h.ns}`);
    must(run("ip", ["-n", h.ns, "link", "set", "eth0", "up"]), `eth0 of ${h.ns}`);
    must(run("ip", ["-n", h.ns, "link", "set", "lo", "up"]), `lo of ${h.ns}`);
  }
  const www = tempDir("jitter-www");
  fs.writeFileSync(path.join(www, "big"), Buffer.alloc(BIG_BYTES, 7));
  servers.push(spawn("ip", ["netns", "exec", hosts.b.ns, "python3", "-m", "http.server", "80", "--bind", hosts.b.ip, "--directory", www], { stdio: "ignore" }));
  servers.push(spawn("ip", ["netns", "exec", hosts.b.ns, "python3", "-c", ECHO, hosts.b.ip], { stdio: "ignore" }));
  servers.push(spawn("ip", ["netns", "exec", site.netns, "python3", "-c", ECHO, ROUTER], { stdio: "ignore" }));
  for (let i = 0; i < 50 && run("ip", ["netns", "exec", hosts.b.ns, "timeout", "1", "bash", "-c", `exec 3<>/dev/tcp/${hosts.b.ip}/80`]).code !== 0; i++)
    run("sleep", ["0.1"]);
});

afterAll(() => {
  for (const server of servers) server.kill("SIGKILL");
  for (const ns of [site.netns, hosts.a.ns, hosts.b.ns]) run("ip", ["netns", "del", ns]);
});

test("a frame leaving the bridge towards a node waits 10 to 30 ms (about 20 on average), as netem's delay 20ms 10ms", async () => {
  // host a → the bridge's own address passes at once; the answer leaves the bridge by a's port only.
  const r = await withJitter(site, 30, () => ping(ROUTER));
  expect(r.received).toBe(30);
  expect(r.min).toBeGreaterThanOrEqual(10);
  expect(r.max).toBeLessThanOrEqual(30 + SCHEDULING_MS);
  expect(r.avg).toBeGreaterThanOrEqual(16);
  expect(r.avg).toBeLessThanOrEqual(24);
});

test("frames between two nodes flow both ways, delayed once per crossing, and a 4 MiB TCP transfer arrives whole", async () => {
  const { pings, body } = await withJitter(site, 30, async (applied) => {
    expect(applied).toMatch(/10–30 ms uniform delay .* on v-a, v-b|on v-b, v-a/);
    const body = await runAsync("ip", [
      "netns",
      "exec",
      hosts.a.ns,
      "curl",
      "--silent",
      "--max-time",
      "20",
      "--output",
      "/dev/null",
      "--write-out",
      "%{size_download}",
      `http://${hosts.b.ip}/big`,
    ]);
    return { pings: await ping(hosts.b.ip), body };
  });
  expect(pings.received).toBe(30);
  expect(pings.min).toBeGreaterThanOrEqual(20);
  expect(pings.max).toBeLessThanOrEqual(60 + SCHEDULING_MS);
  expect(pings.avg).toBeGreaterThanOrEqual(34);
  expect(pings.avg).toBeLessThanOrEqual(46);
  expect([body.code, body.stdout]).toEqual([0, String(BIG_BYTES)]);
});

test("afterwards every port is back on the bridge, the bridge keeps its MAC, and nothing is delayed", async () => {
  const mac = bridgeMac();
  await withJitter(site, 30, async () => expect(portsOnBridge().sort()).toEqual(["jb0", "jb1"]));
  expect(portsOnBridge().sort()).toEqual(["v-a", "v-b"]);
  expect(bridgeMac()).toBe(mac);
  expect(lan("link", "show", "dev", "jr0").code).not.toBe(0);
  const r = await ping(hosts.b.ip);
  expect(r.received).toBe(30);
  expect(r.max).toBeLessThan(10);
});

test("the bridge is restored when the function run under the delay throws", async () => {
  await expect(
    withJitter(site, 30, async () => {
      throw new Error("scenario failed");
    }),
  ).rejects.toThrow("scenario failed");
  expect(portsOnBridge().sort()).toEqual(["v-a", "v-b"]);
  expect((await ping(ROUTER)).max).toBeLessThan(10);
});
