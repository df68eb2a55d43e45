import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { Check, formatTable, HEALTHY_BODY, HttpAnswer, NodeState, verify, VerifyTarget } from "../common/checks";
import { main } from "../verify/cli";
import { main as switchoverMain } from "../verify/switchoverCli";
import { mariadbLoginOptions } from "../common/mariadbLogin";
import { probeScript } from "../common/nodeProbe";
import { shQuote } from "../common/shell";
import { forwardCommand, markCommand } from "../common/switchover";
import { cloudTarget, httpGet } from "../verify/cloudTarget";
import { RunResult } from "../common/process";
import { knownHosts, openSshSession, sshArgs, sshConfigText, SshRunner, SshSession } from "../verify/ssh";
import { DeployedStack, deployedStack, SetupError } from "../verify/stackOutputs";
import { asPulumiConfig, readStackFile } from "../config/stackFile";
import { requireTools, run, tempDir } from "./fixtures/tools";

/**
 * `npm run verify`: the shared checks against a fake target, then the deployed-stack target and
 * CLI against real local things. Nothing here talks to any address but 127.0.0.1: SSH goes to a
 * fake runner (or to a closed port on 127.0.0.1), the "EIP" is a local HTTP server.
 */

const LOCAL = "127.0.0.1";

const scratchDirs: string[] = [];
function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => scratchDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const HAVIP = "10.0.4.99";
const SITES = ["iam.api.marmotedu.com", "iam.authz.marmotedu.com"];
const DB_PASSWORD = 'pa"ss\\word with spaces';
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----";

/** A new host public key line from the real ssh-keygen, as Pulumi's tls.PrivateKey gives one. */
function hostKey(): string {
  const dir = tempDir("verify-hostkey");
  try {
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path.join(dir, "k")]);
    return fs.readFileSync(path.join(dir, "k.pub"), "utf8").trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const HOST_KEYS = ["node-1", "node-2", "node-3", "bastion"].map(hostKey);

// ---------- the shared checks, with a fake target ----------

const healthy = (node?: string): HttpAnswer => ({ status: 200, body: HEALTHY_BODY, node });
const oneMaster: NodeState[] = [
  { name: "node-1", state: "MASTER", holdsVip: true },
  { name: "node-2", state: "BACKUP", holdsVip: false },
];

/** Two nodes, one site; `answer(i)` is the i-th GET's answer (round robin unless told otherwise). */
function fakeTarget(over: { answer?: (i: number) => HttpAnswer; states?: NodeState[]; dbOk?: boolean } = {}): VerifyTarget {
  let i = 0;
  const answer = over.answer ?? ((n: number) => healthy(`node-${(n % 2) + 1}`));
  return {
    eip: LOCAL,
    havip: HAVIP,
    sites: [SITES[0]],
    nodes: ["node-1", "node-2"],
    get: async () => answer(i++),
    nodeStates: async () => over.states ?? oneMaster,
    dbLogins: async () => [
      {
        peer: "node-2",
        ok: over.dbOk ?? true,
        detail: over.dbOk === false ? "ERROR 1045 (28000): Access denied for user 'iam'@'10.0.4.21'" : "logged in as iam@10.0.4.21",
      },
    ],
  };
}

const named = (checks: Check[], part: string) => {
  const found = checks.filter((c) => c.name.includes(part));
  expect(found).toHaveLength(1);
  return found[0];
};

describe("the shared checks (verify/checks.ts)", () => {
  test("a healthy pair passes every check, and there is one per site, balance, VIP and peer", async () => {
    const checks = await verify(fakeTarget());
    expect(checks.map((c) => c.name)).toEqual([
      `${SITES[0]} /healthz through ${LOCAL}`,
      `${SITES[0]} balances over every node's backend`,
      `exactly one node holds the HAVIP ${HAVIP}`,
      "MariaDB login from node-2",
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(named(checks, "balances").detail).toBe("node-1: 5, node-2: 5 (round robin)");
  });

  test("a site answering 502 fails, and the detail names the status", async () => {
    const checks = await verify(fakeTarget({ answer: () => ({ status: 502, body: "<html>502 Bad Gateway</html>" }) }));
    const site = named(checks, "/healthz");
    expect(site.ok).toBe(false);
    expect(site.detail).toContain("0/10 healthy");
    expect(site.detail).toContain("HTTP 502");
  });

  test("uneven balance (9/1) fails", async () => {
    const balance = named(await verify(fakeTarget({ answer: (i) => healthy(i === 0 ? "node-2" : "node-1") })), "balances");
    expect(balance.ok).toBe(false);
    expect(balance.detail).toBe("node-1: 9, node-2: 1 (uneven)");
  });

  test("a node whose backend never answers fails the balance check (the site itself still answers)", async () => {
    const checks = await verify(fakeTarget({ answer: () => healthy("node-1") }));
    expect(named(checks, "/healthz").ok).toBe(true);
    expect(named(checks, "balances")).toMatchObject({ ok: false, detail: expect.stringContaining("node-2: 0") });
  });

  test("two MASTERs are reported as split brain", async () => {
    const states = oneMaster.map((s) => ({ ...s, state: "MASTER", holdsVip: true }));
    const vip = named(await verify(fakeTarget({ states })), "HAVIP");
    expect(vip.ok).toBe(false);
    expect(vip.detail).toBe(`split brain: node-1 and node-2 both claim ${HAVIP}`);
  });

  test("nobody holding the VIP fails", async () => {
    const states = oneMaster.map((s) => ({ ...s, state: "BACKUP", holdsVip: false }));
    expect(named(await verify(fakeTarget({ states })), "HAVIP")).toEqual({
      name: `exactly one node holds the HAVIP ${HAVIP}`,
      ok: false,
      detail: `no node holds ${HAVIP}`,
    });
  });

  test("a failed database login fails with the client's error", async () => {
    const login = named(await verify(fakeTarget({ dbOk: false })), "MariaDB");
    expect(login.ok).toBe(false);
    expect(login.detail).toContain("Access denied");
  });

  const vipOnly = (answer: (i: number) => HttpAnswer, states?: NodeState[]): VerifyTarget => ({
    ...fakeTarget({ answer, states }),
    frontDoor: "vipOnly",
    sitePorts: { [SITES[0]]: 8080 },
  });

  test("VIP-only: the site on its port of the EIP, every answer from the VIP's holder, and no balance check", async () => {
    const checks = await verify(vipOnly(() => healthy("node-1")));
    expect(checks.map((c) => c.name)).toEqual([
      `${SITES[0]} /healthz through ${LOCAL}:8080`,
      `${SITES[0]} is served by the VIP's holder alone`,
      `exactly one node holds the HAVIP ${HAVIP}`,
      "MariaDB login from node-2",
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(named(checks, "holder alone").detail).toBe("10/10 from node-1");
  });

  test("VIP-only: an answer from a node that does not hold the VIP fails, naming the counts and the holder", async () => {
    const check = named(await verify(vipOnly((i) => healthy(i < 7 ? "node-1" : "node-2"))), "holder alone");
    expect(check).toMatchObject({ ok: false, detail: "node-1: 7, node-2: 3; the VIP's holder: node-1" });
    const split = oneMaster.map((s) => ({ ...s, state: "MASTER", holdsVip: true }));
    expect(named(await verify(vipOnly(() => healthy("node-1"), split)), "holder alone")).toMatchObject({
      ok: false,
      detail: "node-1: 10; the VIP's holder: node-1 and node-2",
    });
  });

  test("formatTable has a header and one PASS or FAIL line per check", async () => {
    const checks = await verify(fakeTarget({ answer: (i) => healthy(i === 0 ? "node-2" : "node-1") }));
    const lines = formatTable(checks).split("\n");
    expect(lines).toHaveLength(checks.length + 1);
    expect(lines[0]).toMatch(/^RESULT\s+CHECK\s+DETAIL$/);
    checks.forEach((c, i) => expect(lines[i + 1].startsWith(`${c.ok ? "PASS" : "FAIL"}  ${c.name}`)).toBe(true));
    expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(1);
  });
});

// ---------- active-active: every VIP checked on its own ----------

/** The second VIP of an active-active pair and its EIP (a loopback address: nothing leaves the machine). */
const HAVIP2 = "10.0.4.98";
const EIP2 = "127.0.0.2";

/** node-1 holds the primary, node-2 the second VIP: what an active-active pair looks like with both up. */
const bothPlaced: NodeState[] = [
  { name: "node-1", state: "MASTER", holdsVip: true, moreVips: { [HAVIP2]: { state: "BACKUP", holdsVip: false } } },
  { name: "node-2", state: "BACKUP", holdsVip: false, moreVips: { [HAVIP2]: { state: "MASTER", holdsVip: true } } },
];

/**
 * Two VIPs, each through its own EIP; `answer(eip, i)` is the i-th GET through that EIP (round robin
 * per EIP unless told otherwise); the cloud binds each HAVIP where `inCloud` says.
 */
function twoVipTarget(
  over: { states?: NodeState[]; answer?: (eip: string, i: number) => HttpAnswer; inCloud?: Record<string, string | null> } = {},
): VerifyTarget & { asked: string[] } {
  const count: Record<string, number> = {};
  const asked: string[] = [];
  const answer = over.answer ?? ((_eip: string, n: number) => healthy(`node-${(n % 2) + 1}`));
  return {
    ...fakeTarget({ states: over.states ?? bothPlaced }),
    vips: [
      { address: HAVIP, eip: LOCAL },
      { address: HAVIP2, eip: EIP2 },
    ],
    asked,
    get: async (_site, _path, eip) => {
      asked.push(eip);
      count[eip] = (count[eip] ?? 0) + 1;
      return answer(eip, count[eip] - 1);
    },
    vipHolderInCloud: async (havip) => (over.inCloud ?? { [HAVIP]: "node-1", [HAVIP2]: "node-2" })[havip],
  };
}

describe("the shared checks with two VIPs (active-active)", () => {
  test("each VIP held by its own node: every check passes, and each VIP has its site, balance, holder and cloud checks", async () => {
    const target = twoVipTarget();
    const checks = await verify(target);
    expect(checks.map((c) => c.name)).toEqual([
      `${SITES[0]} /healthz through ${LOCAL}`,
      `${SITES[0]} balances over every node's backend through ${LOCAL}`,
      `exactly one node holds the HAVIP ${HAVIP}`,
      `Tencent Cloud binds ${HAVIP} to keepalived's MASTER`,
      `${SITES[0]} /healthz through ${EIP2}`,
      `${SITES[0]} balances over every node's backend through ${EIP2}`,
      `exactly one node holds the HAVIP ${HAVIP2}`,
      `Tencent Cloud binds ${HAVIP2} to keepalived's MASTER`,
      "MariaDB login from node-2",
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(named(checks, `HAVIP ${HAVIP2}`).detail).toBe("node-1 BACKUP, node-2 MASTER (holds VIP)");
    expect(named(checks, `binds ${HAVIP2}`).detail).toBe("both say node-2");
    // Ten requests through each EIP, not twenty through the first.
    expect(target.asked.filter((eip) => eip === EIP2)).toHaveLength(10);
    expect(target.asked.filter((eip) => eip === LOCAL)).toHaveLength(10);
  });

  test("the second VIP on both nodes is that VIP's split brain; the primary's check still passes", async () => {
    const states = bothPlaced.map((s) => ({ ...s, moreVips: { [HAVIP2]: { state: "MASTER", holdsVip: true } } }));
    const checks = await verify(twoVipTarget({ states }));
    expect(named(checks, `HAVIP ${HAVIP2}`)).toEqual({
      name: `exactly one node holds the HAVIP ${HAVIP2}`,
      ok: false,
      detail: `split brain: node-1 and node-2 both claim ${HAVIP2}`,
    });
    expect(named(checks, `HAVIP ${HAVIP}`).ok).toBe(true);
  });

  test("no node holding the second VIP fails, naming it", async () => {
    const states = bothPlaced.map((s) => ({ ...s, moreVips: { [HAVIP2]: { state: "BACKUP", holdsVip: false } } }));
    expect(named(await verify(twoVipTarget({ states })), `HAVIP ${HAVIP2}`)).toMatchObject({ ok: false, detail: `no node holds ${HAVIP2}` });
  });

  test("Tencent Cloud binding the second HAVIP to another node than its MASTER fails, naming that HAVIP", async () => {
    const checks = await verify(twoVipTarget({ inCloud: { [HAVIP]: "node-1", [HAVIP2]: "node-1" } }));
    expect(checks.filter((c) => !c.ok)).toEqual([
      { name: `Tencent Cloud binds ${HAVIP2} to keepalived's MASTER`, ok: false, detail: "keepalived: node-2, Tencent Cloud: node-1" },
    ]);
  });

  test("a site that does not answer through the second EIP fails that EIP's check alone", async () => {
    const answer = (eip: string, n: number) => (eip === EIP2 ? { status: 0, body: "connect ETIMEDOUT" } : healthy(`node-${(n % 2) + 1}`));
    const failed = (await verify(twoVipTarget({ answer }))).filter((c) => !c.ok);
    expect(failed).toEqual([{ name: `${SITES[0]} /healthz through ${EIP2}`, ok: false, detail: "0/10 healthy; first bad: no answer (connect ETIMEDOUT)" }]);
  });

  test("a target whose probe did not ask for the second VIP fails it: the primary's holding is not taken for the second's", async () => {
    const states = bothPlaced.map((s) => ({ name: s.name, state: s.state, holdsVip: s.holdsVip }));
    const check = named(await verify(twoVipTarget({ states })), `HAVIP ${HAVIP2}`);
    expect(check).toMatchObject({ ok: false, detail: `no node holds ${HAVIP2}` });
  });
});

// ---------- local HTTP servers ----------

interface Seen {
  host?: string;
  path?: string;
}

/** Plays nginx behind the EIP: /healthz per site, round robin over node-1/node-2 (or `status`). */
async function startEip(status = 200, at: { host?: string; port?: number } = {}): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const perSite = new Map<string, number>();
  const server = http.createServer((req, res) => {
    seen.push({ host: req.headers.host, path: req.url });
    const host = req.headers.host ?? "";
    if (req.url !== "/healthz" || !SITES.includes(host) || status !== 200) {
      res.writeHead(status === 200 ? 404 : status).end("nope");
      return;
    }
    const n = perSite.get(host) ?? 0;
    perSite.set(host, n + 1);
    res.writeHead(200, { "x-iam-node": `node-${(n % 2) + 1}`, "content-type": "application/json" }).end(HEALTHY_BODY);
  });
  return listen(server, seen, at.host, at.port);
}

/** Listens on a loopback address (default 127.0.0.1) and port (default: any free one). */
async function listen<T>(server: http.Server, extra: T, host = LOCAL, wanted = 0): Promise<{ port: number; seen: T; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(wanted, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, seen: extra, close };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = await listen(http.createServer(), null);
  await s.close();
  return s.port;
}

// ---------- no VIP (frontDoor clb): the load balancer's address, and its own view of the targets ----------

/** Two front doors behind a CLB at the target's eip: no HAVIP; `health` is what the CLB says of each. */
function clbTarget(health: () => Promise<{ site: string; node: string; healthy: boolean; status: string }[]>): VerifyTarget & { probed: number } {
  const target = {
    ...fakeTarget(),
    havip: undefined,
    frontDoor: "clb" as const,
    probed: 0,
    nodeStates: async () => {
      target.probed++;
      return [];
    },
    targetHealth: health,
  };
  return target;
}
const allUp = async () => ["node-1", "node-2"].map((node) => ({ site: SITES[0], node, healthy: true, status: "UP" }));

describe("the shared checks without a VIP (frontDoor clb)", () => {
  test("sites through the CLB's address, balance, the CLB's view and the logins: no VIP holder check, keepalived not probed", async () => {
    const target = clbTarget(allUp);
    const checks = await verify(target);
    expect(checks.map((c) => c.name)).toEqual([
      `${SITES[0]} /healthz through ${LOCAL}`,
      `${SITES[0]} reaches every node's backend`,
      "the CLB sees every front door healthy",
      "MariaDB login from node-2",
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(named(checks, "CLB sees").detail).toBe(`${SITES[0]}: node-1, node-2 healthy`);
    expect(target.probed).toBe(0);
  });

  test("behind a CLB the backends are reached in no fixed order: 10 requests per node, every node reached, uneven counts pass, a node never reached fails", async () => {
    let asked = 0;
    // Three of every four to node-1: uneven, yet node-2 is reached.
    const uneven = { ...clbTarget(allUp), get: async () => healthy(asked++ % 4 === 3 ? "node-2" : "node-1") };
    const reached = named(await verify(uneven), "reaches every node's backend");
    expect([asked, reached]).toEqual([20, { name: `${SITES[0]} reaches every node's backend`, ok: true, detail: "node-1: 15, node-2: 5" }]);
    const missing = named(await verify({ ...clbTarget(allUp), get: async () => healthy("node-1") }), "reaches every node's backend");
    expect(missing).toMatchObject({ ok: false, detail: "node-1: 20, node-2: 0" });
  });

  test("a front door the CLB counts unhealthy fails the check, naming the site, the node and what the CLB says", async () => {
    const oneDown = async () => (await allUp()).map((t) => (t.node === "node-2" ? { ...t, healthy: false, status: "DOWN (L4TOUT)" } : t));
    expect(named(await verify(clbTarget(oneDown)), "CLB sees")).toMatchObject({ ok: false, detail: `${SITES[0]}: node-2 DOWN (L4TOUT)` });
  });

  test("a front door that is no target of a site (deregistered, or a replaced CVM not yet attached) fails, naming it", async () => {
    const onlyOne = async () => [{ site: SITES[0], node: "node-1", healthy: true, status: "UP" }];
    expect(named(await verify({ ...clbTarget(onlyOne), frontDoors: ["node-1", "node-2"] }), "CLB sees")).toMatchObject({
      ok: false,
      detail: `${SITES[0]}: node-2 not a target`,
    });
  });

  test("a site with no targets at all fails; a CLB that cannot be asked fails with the reason", async () => {
    const otherSite = async () => (await allUp()).map((t) => ({ ...t, site: "other.example.com" }));
    expect(named(await verify(clbTarget(otherSite)), "CLB sees")).toMatchObject({ ok: false, detail: `${SITES[0]}: no targets` });
    const broken = async () => {
      throw new Error("stats socket refused");
    };
    expect(named(await verify(clbTarget(broken)), "CLB sees")).toMatchObject({ ok: false, detail: "could not ask the CLB: stats socket refused" });
  });

  test("a VIP target that can also say its targets' health gets the check beside its VIP checks (the check depends on the method, not the front door)", async () => {
    const checks = await verify({ ...fakeTarget(), targetHealth: allUp });
    expect(checks.map((c) => c.name)).toEqual([
      `${SITES[0]} /healthz through ${LOCAL}`,
      `${SITES[0]} balances over every node's backend`,
      `exactly one node holds the HAVIP ${HAVIP}`,
      "the CLB sees every front door healthy",
      "MariaDB login from node-2",
    ]);
  });
});

describe("httpGet (the deployed target's GET)", () => {
  test("sends the site as the Host header and reads status, body and x-iam-node", async () => {
    const eip = await startEip();
    try {
      const answer = await httpGet(LOCAL, eip.port, SITES[1], "/healthz");
      expect(answer).toEqual({ status: 200, body: HEALTHY_BODY, node: "node-1" });
      expect(eip.seen).toEqual([{ host: SITES[1], path: "/healthz" }]);
      // Another Host is another site: this server knows no such site, and says so without x-iam-node.
      expect(await httpGet(LOCAL, eip.port, "other.example", "/healthz")).toEqual({ status: 404, body: "nope" });
    } finally {
      await eip.close();
    }
  });

  test("a refused connection is status 0 with the error as the body", async () => {
    const answer = await httpGet(LOCAL, await closedPort(), SITES[0], "/healthz");
    expect(answer.status).toBe(0);
    expect(answer.body).toContain("ECONNREFUSED");
  });

  test("a server that never answers is status 0 after the timeout, not a hang", async () => {
    const silent = await listen(
      http.createServer(() => undefined),
      null,
    );
    try {
      const started = Date.now();
      const answer = await httpGet(LOCAL, silent.port, SITES[0], "/healthz", 300);
      expect(answer).toEqual({ status: 0, body: "no answer within 0.3 s" });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });
});

// ---------- the deployed target over a fake SSH runner ----------

/** One VIP unless told otherwise: the primary's outputs (publicIp, havip) and its state file. */
function stack(over: Partial<DeployedStack> = {}, ssh: Partial<DeployedStack["ssh"]> = {}): DeployedStack {
  const publicIp = over.publicIp ?? LOCAL;
  const havip = over.havip ?? HAVIP;
  return {
    name: "prod",
    publicIp,
    havip,
    vips: [{ address: havip, virtualRouterId: 51, publicIp, stateFile: "/run/iam-ha/vrrp-state" }],
    providerConfig: {},
    nodes: [
      { name: "node-1", privateIp: "10.0.4.20", publicIp: "192.0.2.1", hostKey: HOST_KEYS[0] },
      { name: "node-2", privateIp: "10.0.4.21", publicIp: "192.0.2.2", hostKey: HOST_KEYS[1] },
      { name: "node-3", privateIp: "10.0.4.22", publicIp: "192.0.2.3", hostKey: HOST_KEYS[2] },
    ],
    frontDoors: ["node-1", "node-2", "node-3"],
    sites: SITES,
    frontDoor: "havip",
    sitePorts: { [SITES[0]]: 8080, [SITES[1]]: 9090 },
    ssh: { user: "ubuntu", port: 22, via: "public", privateKey: PRIVATE_KEY, ...ssh },
    db: { node: "node-1", name: "iam", user: "iam", password: DB_PASSWORD },
    vrrpInterface: "eth0",
    ...over,
  };
}

interface Call {
  host: string;
  command: string;
  stdin?: string;
}

/** Records every call and answers with `reply(call)`; nothing leaves the process. */
function fakeSsh(reply: (call: Call) => Partial<RunResult>): { run: SshRunner; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    run: async (host, command, stdin) => {
      calls.push({ host, command, stdin });
      return { code: 0, stdout: "", stderr: "", ...reply({ host, command, stdin }) };
    },
  };
}

/** What the probe prints: the primary's state and holding, and each further VIP's under its address. */
const probeOut = (keepalived: string, state: string, vip: boolean, more: Record<string, [string, boolean]> = {}) => ({
  stdout: [
    `keepalived=${keepalived}`,
    `state=${state}`,
    `vip=${vip ? "yes" : "no"}`,
    ...Object.entries(more).flatMap(([address, [s, held]]) => [`state@${address}=${s}`, `vip@${address}=${held ? "yes" : "no"}`]),
    "",
  ].join("\n"),
});

/** The second VIP's state file on the nodes (render/vips.ts: the primary's name and its router id). */
const STATE_FILE2 = "/run/iam-ha/vrrp-state-52";

/** A deployed active-active stack: the primary through 127.0.0.1, HAVIP2 through 127.0.0.2, two front doors. */
function twoVipStack(over: Partial<DeployedStack> = {}): DeployedStack {
  const base = stack({ frontDoors: ["node-1", "node-2"], nodes: stack().nodes.slice(0, 2), havipId: "havip-1" }, { via: "private" });
  return {
    ...base,
    vips: [
      { address: HAVIP, virtualRouterId: 51, havipId: "havip-1", publicIp: LOCAL, stateFile: "/run/iam-ha/vrrp-state" },
      { address: HAVIP2, virtualRouterId: 52, havipId: "havip-2", publicIp: EIP2, stateFile: STATE_FILE2 },
    ],
    ...over,
  };
}

describe("cloudTarget: each site through the EIP", () => {
  test("nginx (havip) on the EIP's port 80 by name; VIP-only on each site's own port", async () => {
    const [a, b] = [await startEip(), await startEip()];
    try {
      const ssh = fakeSsh(() => ({}));
      const vipOnly = cloudTarget(stack({ frontDoor: "vipOnly", sitePorts: { [SITES[0]]: a.port, [SITES[1]]: b.port } }), { ssh: ssh.run });
      expect([vipOnly.frontDoor, vipOnly.sitePorts]).toEqual(["vipOnly", { [SITES[0]]: a.port, [SITES[1]]: b.port }]);
      expect((await vipOnly.get(SITES[1], "/healthz", LOCAL)).status).toBe(200);
      expect([a.seen, b.seen]).toEqual([[], [{ host: SITES[1], path: "/healthz" }]]);
      const nginx = cloudTarget(stack(), { ssh: ssh.run, httpPort: a.port });
      expect(nginx.sitePorts).toBeUndefined();
      expect((await nginx.get(SITES[1], "/healthz", LOCAL)).status).toBe(200);
      expect(a.seen).toEqual([{ host: SITES[1], path: "/healthz" }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe("cloudTarget: keepalived probes and database logins over SSH", () => {
  test("reads MASTER/BACKUP/STOPPED; an unreachable node is UNREACHABLE; a refused sudo is UNKNOWN", async () => {
    const answers: Record<string, Partial<RunResult>> = {
      "192.0.2.1": probeOut("active", "MASTER", true),
      "192.0.2.2": probeOut("inactive", "STOP", false),
      "192.0.2.3": { code: 255, stderr: "ssh: connect to host 192.0.2.3 port 22: Connection timed out" },
    };
    const ssh = fakeSsh((c) => answers[c.host]);
    const states = await cloudTarget(stack(), { ssh: ssh.run }).nodeStates();
    expect(states).toEqual([
      { name: "node-1", state: "MASTER", holdsVip: true },
      { name: "node-2", state: "STOPPED", holdsVip: false },
      { name: "node-3", state: "UNREACHABLE", holdsVip: false },
    ]);
    const noSudo = fakeSsh(() => ({ code: 1, stderr: "sudo: a password is required\n" }));
    expect((await cloudTarget(stack(), { ssh: noSudo.run }).nodeStates())[0]).toEqual({
      name: "node-1",
      state: "UNKNOWN (sudo: a password is required)",
      holdsVip: false,
    });
  });

  test("probes keepalived on the front doors only: a backend node runs none, yet still logs in to MariaDB", async () => {
    const ssh = fakeSsh((c) => (c.command.includes("mariadb") ? { code: 0, stdout: "iam@10.0.4.2x\n" } : probeOut("active", "BACKUP", false)));
    const target = cloudTarget(stack({ frontDoors: ["node-1", "node-2"] }), { ssh: ssh.run });
    expect((await target.nodeStates()).map((s) => s.name)).toEqual(["node-1", "node-2"]);
    expect(ssh.calls.map((c) => c.host)).toEqual(["192.0.2.1", "192.0.2.2"]);
    expect(target.nodes).toEqual(["node-1", "node-2", "node-3"]);
    expect((await target.dbLogins()).map((l) => l.peer)).toEqual(["node-2", "node-3"]);
  });

  test("a non-root user probes through sudo -n, root without; the script goes on stdin", async () => {
    const ubuntu = fakeSsh(() => probeOut("active", "BACKUP", false));
    await cloudTarget(stack(), { ssh: ubuntu.run }).nodeStates();
    expect(ubuntu.calls.map((c) => c.command)).toEqual(["sudo -n sh -s", "sudo -n sh -s", "sudo -n sh -s"]);
    expect(ubuntu.calls[0].stdin).toBe(probeScript("eth0", HAVIP));
    const root = fakeSsh(() => probeOut("active", "BACKUP", false));
    await cloudTarget(stack({}, { user: "root" }), { ssh: root.run }).nodeStates();
    expect(root.calls.map((c) => c.command)).toEqual(["sh -s", "sh -s", "sh -s"]);
  });

  test.each([
    ["public", ["192.0.2.1", "192.0.2.2", "192.0.2.3"]],
    ["private", ["10.0.4.20", "10.0.4.21", "10.0.4.22"]],
    ["bastion", ["10.0.4.20", "10.0.4.21", "10.0.4.22"]],
  ] as const)("sshVia %s reaches the nodes at %j", async (via, hosts) => {
    const ssh = fakeSsh(() => probeOut("active", "BACKUP", false));
    await cloudTarget(stack({}, { via }), { ssh: ssh.run }).nodeStates();
    expect(ssh.calls.map((c) => c.host)).toEqual(hosts);
  });

  test("the probe script, run by a real sh with stand-in systemctl and ip, finds the VIP only when it is there", async () => {
    expect(fs.existsSync("/run/iam-ha/vrrp-state")).toBe(false); // so the script's answer for the state file is known
    const bin = scratch("verify-probe");
    fs.writeFileSync(path.join(bin, "systemctl"), "#!/bin/sh\n[ \"$*\" = 'is-active --quiet keepalived' ]\n", { mode: 0o755 });
    fs.writeFileSync(
      path.join(bin, "ip"),
      `#!/bin/sh\n[ "$*" = '-4 -o addr show dev eth0' ] || exit 1\necho '2: eth0    inet 10.0.4.20/24 brd 10.0.4.255 scope global eth0'\necho '2: eth0    inet ${HAVIP}/32 scope global eth0'\n`,
      { mode: 0o755 },
    );
    const localSh: SshRunner = async (_host, command, stdin) =>
      run("sh", ["-c", command], { input: stdin, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const holder = await cloudTarget(stack({}, { user: "root" }), { ssh: localSh }).nodeStates();
    expect(holder[0]).toEqual({ name: "node-1", state: "NONE", holdsVip: true });
    // 10.0.4.9 is a prefix of the held 10.0.4.99: it must not count as held.
    const other = await cloudTarget(stack({ havip: "10.0.4.9" }, { user: "root" }), { ssh: localSh }).nodeStates();
    expect(other[0].holdsVip).toBe(false);
  });

  test("two VIPs: one probe run per node asks for both, each VIP's state file and address; an unreachable node is unreachable for both", async () => {
    const ssh = fakeSsh((c) =>
      c.host === "10.0.4.20"
        ? probeOut("active", "MASTER", true, { [HAVIP2]: ["BACKUP", false] })
        : { code: 255, stderr: "ssh: connect to host 10.0.4.21 port 22: Connection timed out" },
    );
    const states = await cloudTarget(twoVipStack(), { ssh: ssh.run }).nodeStates();
    expect(states).toEqual([
      { name: "node-1", state: "MASTER", holdsVip: true, moreVips: { [HAVIP2]: { state: "BACKUP", holdsVip: false } } },
      { name: "node-2", state: "UNREACHABLE", holdsVip: false, moreVips: { [HAVIP2]: { state: "UNREACHABLE", holdsVip: false } } },
    ]);
    expect(ssh.calls.map((c) => c.stdin)).toEqual(Array(2).fill(probeScript("eth0", HAVIP, [{ address: HAVIP2, stateFile: STATE_FILE2 }])));
  });

  test("two VIPs, the probe run by a real sh: each VIP's own state file and address, keepalived stopped is STOPPED for both", async () => {
    expect(fs.existsSync("/run/iam-ha/vrrp-state")).toBe(false); // so the script's answer for the primary's state file is known
    const bin = scratch("verify-probe2");
    const active = path.join(bin, "active");
    fs.writeFileSync(
      path.join(bin, "systemctl"),
      `#!/bin/sh
[ "$*" = 'is-active --quiet keepalived' ] && [ -e '${active}' ]
`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, "ip"),
      `#!/bin/sh
[ "$*" = '-4 -o addr show dev eth0' ] || exit 1
echo '2: eth0    inet 10.0.4.21/24 brd 10.0.4.255 scope global eth0'
echo '2: eth0    inet ${HAVIP2}/32 scope global eth0'
`,
      { mode: 0o755 },
    );
    const stateFile = path.join(bin, "vrrp-state-52");
    fs.writeFileSync(stateFile, "MASTER\n");
    fs.writeFileSync(active, "");
    const localSh: SshRunner = async (_host, command, stdin) =>
      run("sh", ["-c", command], { input: stdin, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const vips = twoVipStack().vips.map((v, i) => (i === 1 ? { ...v, stateFile } : v));
    const target = () => cloudTarget(twoVipStack({ vips, ssh: { ...twoVipStack().ssh, user: "root" } }), { ssh: localSh });
    expect((await target().nodeStates())[0]).toEqual({
      name: "node-1",
      state: "NONE",
      holdsVip: false,
      moreVips: { [HAVIP2]: { state: "MASTER", holdsVip: true } },
    });
    fs.rmSync(active);
    expect((await target().nodeStates())[0]).toEqual({
      name: "node-1",
      state: "STOPPED",
      holdsVip: false,
      moreVips: { [HAVIP2]: { state: "STOPPED", holdsVip: true } },
    });
  });

  test("two VIPs end to end: each site through each EIP, each HAVIP's binding asked by its own id", async () => {
    // One "EIP" per VIP, on two loopback addresses and the same port (the target has one HTTP port).
    const first = await startEip();
    const second = await startEip(200, { host: EIP2, port: first.port });
    try {
      const ssh = fakeSsh((c) =>
        c.command.startsWith("mariadb")
          ? { stdout: "iam@10.0.4.21\n" }
          : c.host === "10.0.4.20"
            ? probeOut("active", "MASTER", true, { [HAVIP2]: ["BACKUP", false] })
            : probeOut("active", "BACKUP", false, { [HAVIP2]: ["MASTER", true] }),
      );
      const asked: string[] = [];
      const bindings: Record<string, string> = { "havip-1": "ins-node1", "havip-2": "ins-node2" };
      const havipHolder = async (id: string) => (asked.push(id), bindings[id] ?? null);
      const withIds = twoVipStack({ nodes: twoVipStack().nodes.map((n, i) => ({ ...n, instanceId: `ins-node${i + 1}` })) });
      const checks = await verify(cloudTarget(withIds, { ssh: ssh.run, httpPort: first.port, havipHolder }));
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(asked).toEqual(["havip-1", "havip-2"]);
      expect([first.seen.length, second.seen.length]).toEqual([20, 20]); // 2 sites × 10 through each EIP
      expect(named(checks, `binds ${HAVIP2}`).detail).toBe("both say node-2");
      bindings["havip-2"] = "ins-node1";
      const wrong = await verify(cloudTarget(withIds, { ssh: ssh.run, httpPort: first.port, havipHolder }));
      expect(wrong.filter((c) => !c.ok).map((c) => [c.name, c.detail])).toEqual([
        [`Tencent Cloud binds ${HAVIP2} to keepalived's MASTER`, "keepalived: node-2, Tencent Cloud: node-1"],
      ]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  test("each peer (not the database node) logs in with the options on stdin, never the password on a command line", async () => {
    const ssh = fakeSsh((c) =>
      c.host === "192.0.2.2" ? { stdout: "iam@10.0.4.21\n" } : { code: 1, stderr: "ERROR 1045 (28000): Access denied for user 'iam'@'10.0.4.22'\n" },
    );
    const logins = await cloudTarget(stack(), { ssh: ssh.run }).dbLogins();
    expect(logins).toEqual([
      { peer: "node-2", ok: true, detail: "logged in as iam@10.0.4.21" },
      { peer: "node-3", ok: false, detail: "ERROR 1045 (28000): Access denied for user 'iam'@'10.0.4.22'" },
    ]);
    expect(ssh.calls.map((c) => c.host)).toEqual(["192.0.2.2", "192.0.2.3"]);
    for (const c of ssh.calls) {
      expect(c.command).toBe("cat | mariadb --defaults-extra-file=/dev/stdin -h 10.0.4.20 'iam' -N -e 'SELECT CURRENT_USER()'");
      expect(c.stdin).toBe(mariadbLoginOptions("iam", DB_PASSWORD));
    }
  });

  test("the login command hands the options, quotes and backslashes included, to the real MariaDB option parser", async () => {
    requireTools("my_print_defaults");
    // A mariadb stand-in that prints what MariaDB's own parser reads from its --defaults-extra-file.
    const bin = scratch("verify-mariadb");
    fs.writeFileSync(path.join(bin, "mariadb"), '#!/bin/sh\nexec my_print_defaults "$1" client\n', { mode: 0o755 });
    // Node gives the child a socket as stdin, as sshd may: the command must still work.
    const localSh: SshRunner = async (_host, command, stdin) =>
      run("sh", ["-c", command], { input: stdin, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const [login] = await cloudTarget(stack({ nodes: stack().nodes.slice(0, 2) }), { ssh: localSh }).dbLogins();
    expect(login.ok).toBe(true);
    expect(login.detail).toBe(`logged in as --user=iam\n--password=${DB_PASSWORD}`);
  });
});

// ---------- the real ssh client, pointed only at 127.0.0.1 ----------

describe("the system ssh session", () => {
  test("a node that refuses SSH is UNREACHABLE; the key sits in a 0600 file only while the session is open", async () => {
    requireTools("ssh");
    const local = stack({ nodes: [{ name: "node-1", privateIp: "10.0.4.20", publicIp: LOCAL, hostKey: HOST_KEYS[0] }] }, { port: await closedPort() });
    const session = await openSshSession(local.ssh, knownHosts(local), 20_000);
    try {
      expect(fs.statSync(session.keyFile).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(session.keyFile, "utf8")).toBe(`${PRIVATE_KEY}\n`);
      const r = await session.run(LOCAL, "true");
      expect(r).toMatchObject({ code: 255, stderr: expect.stringContaining("Connection refused") });
      expect(await cloudTarget(local, { ssh: session.run }).nodeStates()).toEqual([{ name: "node-1", state: "UNREACHABLE", holdsVip: false }]);
    } finally {
      session.close();
    }
    expect(fs.existsSync(path.dirname(session.keyFile))).toBe(false);
  });

  test("the session pins every node's host key and the bastion's: a 0600 known_hosts of the stack's keys only, StrictHostKeyChecking yes", async () => {
    const bastion = { host: "bastion.example", user: "jump", port: 2222, hostKey: HOST_KEYS[3] };
    const deployed = stack({}, { via: "bastion", port: 2200, bastion });
    expect(knownHosts(deployed)).toEqual([
      { name: "node-1", host: "10.0.4.20", port: 2200, key: HOST_KEYS[0] },
      { name: "node-2", host: "10.0.4.21", port: 2200, key: HOST_KEYS[1] },
      { name: "node-3", host: "10.0.4.22", port: 2200, key: HOST_KEYS[2] },
      { name: "the bastion", host: "bastion.example", port: 2222, key: HOST_KEYS[3] },
    ]);
    const session = await openSshSession(deployed.ssh, knownHosts(deployed), 20_000);
    try {
      const file = path.join(path.dirname(session.keyFile), "known_hosts");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, "utf8")).toBe(
        `[10.0.4.20]:2200 ${HOST_KEYS[0]}\n[10.0.4.21]:2200 ${HOST_KEYS[1]}\n[10.0.4.22]:2200 ${HOST_KEYS[2]}\n[bastion.example]:2222 ${HOST_KEYS[3]}\n`,
      );
      // ssh itself reads the file: it finds the pinned key under the name and port it dials.
      const found = run("ssh-keygen", ["-F", "[10.0.4.21]:2200", "-f", file]);
      expect(found.stdout).toContain(HOST_KEYS[1]);
    } finally {
      session.close();
    }
    const public22 = knownHosts(stack());
    expect(public22.map((h) => [h.host, h.port])).toEqual([
      ["192.0.2.1", 22],
      ["192.0.2.2", 22],
      ["192.0.2.3", 22],
    ]);
    const config = sshConfigText("/tmp/x");
    for (const line of [
      "BatchMode yes",
      "StrictHostKeyChecking yes",
      'UserKnownHostsFile "/tmp/x/known_hosts"',
      'IdentityFile "/tmp/x/key"',
      "ConnectTimeout 5",
    ]) {
      expect(config).toContain(`  ${line}\n`);
    }
  });

  test("a node that answers with another host key is refused: the error names the node, says nothing was sent, and what to do", async () => {
    // A stand-in for OpenSSH's answer when the key in known_hosts does not match (exit 255).
    const bin = scratch("verify-fakessh");
    fs.writeFileSync(
      path.join(bin, "ssh"),
      '#!/bin/sh\n[ "$1" = -V ] && exit 0\necho "Host key for 192.0.2.2 has changed and you have requested strict checking." >&2\necho "Host key verification failed." >&2\nexit 255\n',
      { mode: 0o755 },
    );
    const deployed = stack();
    const pathBefore = process.env.PATH;
    process.env.PATH = `${bin}:${pathBefore}`;
    try {
      const session = await openSshSession(deployed.ssh, knownHosts(deployed), 20_000);
      try {
        await expect(session.run("192.0.2.2", "sh -s", "secret stdin")).rejects.toThrow(
          /^node-2 \(192\.0\.2\.2\) did not present the host key the stack pinned for it \(nodeAddresses\[\]\.hostKey\); nothing was sent to it\..*Fix:/s,
        );
        await expect(cloudTarget(deployed, { ssh: session.run }).nodeStates()).rejects.toThrow(SetupError);
      } finally {
        session.close();
      }
    } finally {
      process.env.PATH = pathBefore;
    }
  });

  test("bastion mode: an explicit ProxyCommand, each word quoted, % doubled; no -J (ssh runs -J through a shell unquoted)", () => {
    const settings = stack({}, { via: "bastion", bastion: { host: "bastion.example", user: "jump", port: 2222, hostKey: HOST_KEYS[3] } }).ssh;
    const args = sshArgs(settings, "/tmp/x y/config", "10.0.4.20", "sh -s");
    expect(args).not.toContain("-J");
    expect(args).toEqual([
      "-F",
      "/tmp/x y/config",
      "-p",
      "22",
      "-l",
      "ubuntu",
      "-o",
      "ProxyCommand=ssh -F '/tmp/x y/config' -p '2222' -l 'jump' -W '%h:%p' -- 'bastion.example'",
      "--",
      "10.0.4.20",
      "sh -s",
    ]);
    expect(sshArgs(stack().ssh, "/tmp/x/config", "192.0.2.1", "sh -s").join(" ")).not.toContain("ProxyCommand");
  });

  test.each([
    ["bastionUser", { user: "x$(touch${IFS}MARKER)", host: LOCAL }],
    ["bastionUser", { user: "x`touch${IFS}MARKER`", host: LOCAL }],
    ["bastionHost", { user: "root", host: "127.0.0.1;touch${IFS}MARKER;" }],
    ["bastionHost", { user: "root", host: "%h$(touch${IFS}MARKER)" }],
  ])("a hostile %s (%j) never reaches a shell on the operator's machine", async (_key, hostile) => {
    requireTools("ssh");
    const marker = path.join(scratch("verify-hostile"), "pwned");
    const bastion = {
      user: hostile.user.replace("MARKER", marker),
      host: hostile.host.replace("MARKER", marker),
      port: await closedPort(),
      hostKey: HOST_KEYS[3],
    };
    const deployed = stack({ nodes: [{ name: "node-1", privateIp: LOCAL, hostKey: HOST_KEYS[0] }] }, { via: "bastion", port: await closedPort(), bastion });
    const session = await openSshSession(deployed.ssh, knownHosts(deployed), 20_000);
    try {
      const r = await session.run(LOCAL, "true");
      expect(r.code).toBe(255);
    } finally {
      session.close();
    }
    expect(fs.existsSync(marker)).toBe(false);
  });
});

// ---------- reading a deployed stack ----------

/** What `pulumi stack output --json` prints for index.ts's outputs. */
function outputsJson(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    publicIp: LOCAL,
    havip: HAVIP,
    nodeAddresses: [
      { name: "node-1", instanceId: "ins-node1", privateIp: "10.0.4.20", hostKey: HOST_KEYS[0] },
      { name: "node-2", instanceId: "ins-node2", privateIp: "10.0.4.21", hostKey: HOST_KEYS[1] },
    ],
    havipId: "havip-test",
    sites: SITES.map((s) => ({ serverName: s, url: `http://${s}/`, smokeTest: `curl -H 'Host: ${s}' http://${LOCAL}/healthz` })),
    ...over,
  });
}

/** What `pulumi config --json --show-secrets` prints for the prod stack file: {"ns:key": {value, secret}}; unset keys are absent. */
function configJson(over: Record<string, { value?: string; secret: boolean } | undefined> = {}): string {
  const prod = readStackFile("prod")!;
  const plain = Object.entries(asPulumiConfig(prod.values, prod.others)).map(([k, value]) => [k, { value, secret: false }]);
  const entries: Record<string, { value?: string; secret: boolean } | undefined> = {
    ...Object.fromEntries(plain),
    "iam-ha:sshVia": { value: "private", secret: false },
    "iam-ha:sshPrivateKey": { value: PRIVATE_KEY, secret: true },
    "iam-ha:dbPassword": { value: DB_PASSWORD, secret: true },
    "iam-ha:vrrpAuthPass": { value: "vrrp-pw", secret: true },
    ...Object.fromEntries(Object.entries(over).map(([k, v]) => [`iam-ha:${k}`, v])),
  };
  return JSON.stringify(entries);
}

const setupError = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SetupError);
    return (e as Error).message;
  }
  throw new Error("expected a SetupError");
};

describe("deployedStack (outputs + config)", () => {
  test("reads the outputs and the config, with Pulumi.yaml's defaults for unset keys", () => {
    const s = deployedStack("prod", outputsJson(), configJson({ dbNode: { value: "node-2", secret: false }, sshPort: { value: "2200", secret: false } }));
    expect(s).toEqual({
      name: "prod",
      publicIp: LOCAL,
      havip: HAVIP,
      havipId: "havip-test",
      providerConfig: { "tencentcloud:region": { value: "ap-guangzhou", secret: false } },
      nodes: [
        { name: "node-1", instanceId: "ins-node1", privateIp: "10.0.4.20", publicIp: undefined, hostKey: HOST_KEYS[0] },
        { name: "node-2", instanceId: "ins-node2", privateIp: "10.0.4.21", publicIp: undefined, hostKey: HOST_KEYS[1] },
      ],
      frontDoors: ["node-1", "node-2"],
      sites: SITES,
      frontDoor: "havip",
      sitePorts: { [SITES[0]]: 8080, [SITES[1]]: 9090 },
      ssh: { user: "ubuntu", port: 2200, via: "private", privateKey: PRIVATE_KEY, bastion: undefined },
      db: { node: "node-2", name: "iam", user: "iam", password: DB_PASSWORD },
      vrrpInterface: "eth0",
      // Outputs from before the `vips` output: the one VIP from publicIp, havip and havipId.
      vips: [{ address: HAVIP, virtualRouterId: 51, havipId: "havip-test", publicIp: LOCAL, stateFile: "/run/iam-ha/vrrp-state" }],
    });
    expect(deployedStack("prod", outputsJson(), configJson()).db.node).toBe("node-1");
  });

  describe("two VIPs (active-active)", () => {
    const configVips = [
      { address: HAVIP, virtualRouterId: 51, preferred: "node-1" },
      { address: HAVIP2, virtualRouterId: 52, preferred: "node-2" },
    ];
    const twoVipConfig = () => configJson({ havip: undefined, virtualRouterId: undefined, vips: { value: JSON.stringify(configVips), secret: false } });
    const outputVips = () => [
      { address: HAVIP, virtualRouterId: 51, instanceName: "IAM_HA_51", havipId: "havip-test", publicIp: LOCAL },
      { address: HAVIP2, virtualRouterId: 52, instanceName: "IAM_HA_52", havipId: "havip-2", publicIp: EIP2 },
    ];

    test("every VIP from the vips output, with its state file from the config; the primary stays publicIp/havip/havipId", () => {
      const s = deployedStack("prod", outputsJson({ vips: outputVips() }), twoVipConfig());
      expect(s.vips).toEqual([
        { address: HAVIP, virtualRouterId: 51, havipId: "havip-test", publicIp: LOCAL, stateFile: "/run/iam-ha/vrrp-state" },
        { address: HAVIP2, virtualRouterId: 52, havipId: "havip-2", publicIp: EIP2, stateFile: STATE_FILE2 },
      ]);
      expect([s.publicIp, s.havip, s.havipId]).toEqual([LOCAL, HAVIP, "havip-test"]);
    });

    test("the VIPs as deployed, not as a config ahead of pulumi up has them: each state file by its deployed router id", () => {
      const renumbered = outputVips().map((v, i) => (i === 1 ? { ...v, virtualRouterId: 53 } : v));
      const s = deployedStack(
        "prod",
        outputsJson({ vips: [...renumbered, { ...renumbered[1], address: "10.0.4.97", publicIp: "127.0.0.3", virtualRouterId: 54 }] }),
        twoVipConfig(),
      );
      expect(s.vips.map((v) => [v.address, v.stateFile])).toEqual([
        [HAVIP, "/run/iam-ha/vrrp-state"],
        [HAVIP2, "/run/iam-ha/vrrp-state-53"],
        ["10.0.4.97", "/run/iam-ha/vrrp-state-54"],
      ]);
      // A stack from before the vips output: its one VIP, whatever the config lists now.
      expect(deployedStack("prod", outputsJson(), twoVipConfig()).vips).toEqual([
        { address: HAVIP, virtualRouterId: 51, havipId: "havip-test", publicIp: LOCAL, stateFile: "/run/iam-ha/vrrp-state" },
      ]);
    });

    test("a malformed vips output names the entry and asks whether pulumi up ran", () => {
      const noEip = outputVips().map((v, i) => (i === 1 ? { ...v, publicIp: null } : v));
      expect(setupError(() => deployedStack("prod", outputsJson({ vips: noEip }), twoVipConfig()))).toBe(
        "stack prod: output vips[1].publicIp is null, not an IPv4 address; has `pulumi up --stack prod` completed?",
      );
      expect(setupError(() => deployedStack("prod", outputsJson({ vips: [] }), twoVipConfig()))).toContain("output vips is not a list of VIPs");
    });
  });

  test("a VIP-only stack: each site's port on the EIP, from the config", () => {
    const s = deployedStack("prod", outputsJson(), configJson({ frontDoor: { value: "vipOnly", secret: false } }));
    expect([s.frontDoor, s.sitePorts]).toEqual(["vipOnly", { [SITES[0]]: 8080, [SITES[1]]: 9090 }]);
  });

  test("carries every tencentcloud:* setting to the provider's lookups, secrets as secrets (not the region alone)", () => {
    const json = JSON.parse(configJson());
    json["tencentcloud:securityToken"] = { value: "sts-token", secret: true };
    json["tencentcloud:profile"] = { value: "ops", secret: false };
    json["tencentcloud:secretKey"] = { secret: true }; // set but not shown: nothing to pass on
    expect(deployedStack("prod", outputsJson(), JSON.stringify(json)).providerConfig).toEqual({
      "tencentcloud:region": { value: "ap-guangzhou", secret: false },
      "tencentcloud:securityToken": { value: "sts-token", secret: true },
      "tencentcloud:profile": { value: "ops", secret: false },
    });
  });

  test("a missing secret names the key and the command that sets it", () => {
    const message = setupError(() => deployedStack("prod", outputsJson(), configJson({ sshPrivateKey: undefined })));
    expect(message).toContain("iam-ha:sshPrivateKey: is not set. Fix: run: pulumi config set --secret sshPrivateKey");
    expect(message).toContain("--stack prod");
  });

  test("a secret pulumi would not show points at the passphrase", () => {
    expect(setupError(() => deployedStack("prod", outputsJson(), configJson({ dbPassword: { secret: true } })))).toContain("PULUMI_CONFIG_PASSPHRASE");
  });

  test("sshVia public needs a public IP on every node; bastion needs bastionHost", () => {
    expect(setupError(() => deployedStack("prod", outputsJson(), configJson({ sshVia: { value: "public", secret: false } })))).toContain(
      "node-1, node-2 have no public IP",
    );
    expect(setupError(() => deployedStack("prod", outputsJson(), configJson({ sshVia: { value: "bastion", secret: false } })))).toContain(
      "iam-ha:bastionHost: is empty but sshVia is bastion",
    );
    const viaBastion = deployedStack(
      "prod",
      outputsJson(),
      configJson({
        sshVia: { value: "bastion", secret: false },
        bastionHost: { value: "bastion.example", secret: false },
        bastionHostKey: { value: HOST_KEYS[3], secret: false },
      }),
    );
    expect(viaBastion.ssh.bastion).toEqual({ host: "bastion.example", user: "root", port: 22, hostKey: HOST_KEYS[3] });
  });

  test("a node without a host key in the outputs is refused: the verifier never trusts a host key on first use", () => {
    const outputs = JSON.parse(outputsJson());
    delete outputs.nodeAddresses[1].hostKey;
    expect(setupError(() => deployedStack("prod", JSON.stringify(outputs), configJson()))).toBe(
      "stack prod: nodeAddresses[1] (node-2) has no hostKey, so its SSH host cannot be pinned (the verifier never trusts a host key on first use); " +
        "run `pulumi up --stack prod` with this version of iam-ha, which makes and exports every node's host key",
    );
    outputs.nodeAddresses[1].hostKey = "ssh-ed25519 not base64!";
    expect(setupError(() => deployedStack("prod", JSON.stringify(outputs), configJson()))).toContain(
      'stack prod: nodeAddresses[1] (node-2) has hostKey "ssh-ed25519 not base64!", not an OpenSSH public key line',
    );
  });

  test("the config goes through the program's own loader: a value it refuses is a setup error naming the key and the fix", () => {
    const message = setupError(() => deployedStack("prod", outputsJson(), configJson({ havip: { value: "10.0.5.99", secret: false } })));
    expect(message).toContain("iam-ha:havip: 10.0.5.99 is outside subnetCidr 10.0.4.0/24. Fix:");
    expect(message).toContain("--stack prod");
  });

  test("a stack without outputs asks whether pulumi up ran", () => {
    expect(setupError(() => deployedStack("prod", "{}", configJson()))).toContain("has `pulumi up --stack prod` completed?");
    expect(setupError(() => deployedStack("prod", outputsJson({ publicIp: "not-an-ip" }), configJson()))).toContain('output publicIp is "not-an-ip"');
  });

  test("output that is not JSON is refused without echoing it (it may hold secrets)", () => {
    const message = setupError(() => deployedStack("prod", outputsJson(), `garbage ${DB_PASSWORD}`));
    expect(message).toContain("pulumi config --json --show-secrets did not print JSON");
    expect(message).not.toContain(DB_PASSWORD);
  });
});

// ---------- the CLI, with a fake `pulumi` first on PATH ----------

/** A `pulumi` that logs its arguments and prints canned JSON for the prod stack only. */
function fakePulumiDir(script?: string): { dir: string; calls(): string[] } {
  const dir = scratch("verify-pulumi");
  fs.writeFileSync(path.join(dir, "outputs.json"), outputsJson());
  fs.writeFileSync(path.join(dir, "config.json"), configJson());
  const body =
    script ??
    `echo "$*" >> "${dir}/calls"
case "$*" in
  "stack output --json --stack prod") cat "${dir}/outputs.json" ;;
  "config --json --show-secrets --stack prod") cat "${dir}/config.json" ;;
  *) echo "error: no stack named '$5' found" >&2; exit 255 ;;
esac
`;
  fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\n${body}`, { mode: 0o755 });
  return { dir, calls: () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : []) };
}

/** The SSH session the CLI opens, faked: node-1 MASTER, node-2 BACKUP (or both MASTER), logins work. */
function fakeSession(bothMaster = false): { session: SshSession; closed(): boolean; hosts: string[] } {
  let closed = false;
  const ssh = fakeSsh((c) =>
    c.command.startsWith("mariadb")
      ? { stdout: "iam@10.0.4.21\n" }
      : probeOut("active", c.host === "10.0.4.20" || bothMaster ? "MASTER" : "BACKUP", c.host === "10.0.4.20" || bothMaster),
  );
  return { session: { run: ssh.run, keyFile: "/nonexistent", close: () => (closed = true) }, closed: () => closed, hosts: ssh.calls.map((c) => c.host) };
}

async function runCli(argv: string[], over: Parameters<typeof main>[1] = {}) {
  let out = "";
  let err = "";
  // Tencent Cloud is faked: it binds the HAVIP to node-1, which the fake SSH calls MASTER.
  const havipHolder = async (id: string) => (id === "havip-test" ? "ins-node1" : null);
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), havipHolder, ...over });
  return { code, out, err };
}

describe("npm run verify (verify/cli.ts)", () => {
  test("reads the stack with pulumi, checks through the EIP, prints the table and exits 0; no secret is printed", async () => {
    const pulumi = fakePulumiDir();
    const eip = await startEip();
    const ssh = fakeSession();
    try {
      const r = await runCli(["--stack", "prod"], {
        env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
        httpPort: eip.port,
        openSsh: async () => ssh.session,
      });
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(pulumi.calls()).toEqual(["stack output --json --stack prod", "config --json --show-secrets --stack prod"]);
      const rows = r.out.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
      expect(rows.map((l) => l.slice(0, 4))).toEqual(Array(7).fill("PASS")); // 2 sites × (healthz, balance), the VIP, the cloud's holder, node-2's login
      expect(r.out).toMatch(/^PASS {2}Tencent Cloud binds 10\.0\.4\.99 to keepalived's MASTER +both say node-1$/m);
      expect(r.out).toContain(`stack prod: EIP ${LOCAL}, HAVIP ${HAVIP}, nodes node-1, node-2 (SSH via private)`);
      expect(eip.seen.filter((s) => s.host === SITES[1])).toHaveLength(10);
      expect(ssh.closed()).toBe(true);
      expect(r.out).not.toContain(DB_PASSWORD);
      expect(r.out).not.toContain("not-a-real-key");
    } finally {
      await eip.close();
    }
  });

  test("a failing check (split brain) prints FAIL and exits 1", async () => {
    const pulumi = fakePulumiDir();
    const eip = await startEip();
    try {
      const r = await runCli(["--stack=prod"], {
        env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
        httpPort: eip.port,
        openSsh: async () => fakeSession(true).session,
      });
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^FAIL {2}exactly one node holds the HAVIP 10\.0\.4\.99 +split brain: node-1 and node-2 both claim 10\.0\.4\.99$/m);
    } finally {
      await eip.close();
    }
  });

  test("Tencent Cloud binding the HAVIP elsewhere than keepalived's MASTER is a failure", async () => {
    const pulumi = fakePulumiDir();
    const eip = await startEip();
    try {
      const r = await runCli(["--stack", "prod"], {
        env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
        httpPort: eip.port,
        openSsh: async () => fakeSession().session,
        havipHolder: async () => "ins-node2",
      });
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^FAIL {2}Tencent Cloud binds 10\.0\.4\.99 to keepalived's MASTER +keepalived: node-1, Tencent Cloud: node-2$/m);
      const unbound = await runCli(["--stack", "prod"], {
        env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
        httpPort: eip.port,
        openSsh: async () => fakeSession().session,
        havipHolder: async () => null,
      });
      expect(unbound.out).toMatch(/Tencent Cloud: bound to no instance \(the EIP idles\)$/m);
      const broken = await runCli(["--stack", "prod"], {
        env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
        httpPort: eip.port,
        openSsh: async () => fakeSession().session,
        havipHolder: async () => {
          throw new Error("no TENCENTCLOUD_SECRET_ID");
        },
      });
      expect(broken.out).toMatch(/^FAIL {2}Tencent Cloud binds .* could not ask Tencent Cloud: no TENCENTCLOUD_SECRET_ID$/m);
    } finally {
      await eip.close();
    }
  });

  test("an active-active stack: every VIP checked through its EIP, a site down behind the second EIP fails the run", async () => {
    const pulumi = fakePulumiDir();
    const vips = [
      { address: HAVIP, virtualRouterId: 51, preferred: "node-1" },
      { address: HAVIP2, virtualRouterId: 52, preferred: "node-2" },
    ];
    fs.writeFileSync(
      path.join(pulumi.dir, "outputs.json"),
      outputsJson({ vips: vips.map((v, i) => ({ ...v, havipId: i === 0 ? "havip-test" : "havip-2", publicIp: i === 0 ? LOCAL : EIP2 })) }),
    );
    fs.writeFileSync(
      path.join(pulumi.dir, "config.json"),
      configJson({ havip: undefined, virtualRouterId: undefined, vips: { value: JSON.stringify(vips), secret: false } }),
    );
    const ssh = fakeSsh((c) =>
      c.command.startsWith("mariadb")
        ? { stdout: "iam@10.0.4.21\n" }
        : c.host === "10.0.4.20"
          ? probeOut("active", "MASTER", true, { [HAVIP2]: ["BACKUP", false] })
          : probeOut("active", "BACKUP", false, { [HAVIP2]: ["MASTER", true] }),
    );
    const first = await startEip();
    let second = await startEip(200, { host: EIP2, port: first.port });
    const cli = () =>
      runCli(["--stack", "prod"], {
        env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
        httpPort: first.port,
        openSsh: async () => ({ run: ssh.run, keyFile: "/nonexistent", close: () => undefined }),
        havipHolder: async (id: string) => ({ "havip-test": "ins-node1", "havip-2": "ins-node2" })[id] ?? null,
      });
    try {
      const r = await cli();
      expect([r.code, r.err]).toEqual([0, ""]);
      expect(r.out).toContain(`stack prod: VIPs ${HAVIP} (EIP ${LOCAL}), ${HAVIP2} (EIP ${EIP2}), nodes node-1, node-2 (SSH via private)`);
      // Per VIP: 2 sites × (healthz, balance), its holder, its binding; then node-2's login.
      expect(r.out.split("\n").filter((l) => l.startsWith("PASS"))).toHaveLength(13);
      expect(r.out).toMatch(/^PASS {2}exactly one node holds the HAVIP 10\.0\.4\.98 +node-1 BACKUP, node-2 MASTER \(holds VIP\)$/m);
      await second.close();
      second = await startEip(502, { host: EIP2, port: first.port });
      const down = await cli();
      expect(down.code).toBe(1);
      expect(
        down.out
          .split("\n")
          .filter((l) => l.startsWith("FAIL"))
          .map((l) => l.split(/ {2,}/)[1]),
      ).toEqual([`${SITES[0]} /healthz through ${EIP2}`, `${SITES[1]} /healthz through ${EIP2}`]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  test("a failing pulumi command exits 2, naming the command, what it said and the fix", async () => {
    const pulumi = fakePulumiDir();
    const r = await runCli(["--stack", "nope"], {
      env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
      openSsh: async () => fakeSession().session,
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("`pulumi stack output --json --stack nope` exited 255: error: no stack named 'nope' found");
    expect(r.err).toContain("pulumi stack select");
    expect(r.out).toBe("");
  });

  test("no Pulumi CLI on PATH exits 2 and says to install it and log in", async () => {
    const empty = scratch("verify-nopulumi");
    const r = await runCli(["--stack", "prod"], { env: { ...process.env, PATH: empty }, openSsh: async () => fakeSession().session });
    expect(r.code).toBe(2);
    expect(r.err).toContain("`pulumi stack output --json --stack prod`: the Pulumi CLI is not on PATH; install the Pulumi CLI");
    expect(r.err).toContain("pulumi login");
  });

  test("a pulumi that hangs is cut off at the timeout (exit 2)", async () => {
    const pulumi = fakePulumiDir("exec sleep 30\n");
    const started = Date.now();
    const r = await runCli(["--stack", "prod"], { env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` }, pulumiTimeoutMs: 500 });
    expect(r.code).toBe(2);
    expect(r.err).toContain("`pulumi stack output --json --stack prod` did not finish within 0.5 s");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test.each([[[]], [["--stack"]], [["--stack", "prod", "--bogus"]]])("usage errors exit 2 with the usage (%j)", async (argv) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain("usage: npm run verify -- --stack <name>\n");
  });
});

describe("npm run switchover (verify/switchoverCli.ts)", () => {
  /** node-1 MASTER, node-2 BACKUP; a maintenance mark over SSH moves the VIP as keepalived would. */
  function fakeCluster() {
    const state: Record<string, string> = { "10.0.4.20": "MASTER", "10.0.4.21": "BACKUP" };
    const ssh = fakeSsh((c) => {
      const mark = / ([01]) > \/var\/lib\/iam-ha\/maintenance'$/.exec(c.command);
      if (mark) {
        state[c.host] = mark[1] === "1" ? "FAULT" : "BACKUP";
        const other = c.host === "10.0.4.20" ? "10.0.4.21" : "10.0.4.20";
        if (mark[1] === "1" && state[other] === "BACKUP") state[other] = "MASTER";
        return {};
      }
      return probeOut("active", state[c.host], state[c.host] === "MASTER");
    });
    return { session: { run: ssh.run, keyFile: "/nonexistent", close: () => undefined }, calls: ssh.calls, state };
  }
  const runSwitchoverCli = async (argv: string[], cluster: ReturnType<typeof fakeCluster>) => {
    const pulumi = fakePulumiDir();
    let out = "";
    let err = "";
    const code = await switchoverMain(argv, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
      openSsh: async () => cluster.session,
    });
    return { code, out, err };
  };

  test("moves the VIP off its holder over SSH (through sudo: the stack logs in as ubuntu) and says how to release it", async () => {
    const cluster = fakeCluster();
    const r = await runSwitchoverCli(["--stack", "prod"], cluster);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(r.out).toMatch(/VIP moved from node-1 to node-2 in \d+\.\d\d s\. node-1 stays in maintenance: npm run switchover -- --stack prod --release node-1/);
    expect(cluster.state).toEqual({ "10.0.4.20": "FAULT", "10.0.4.21": "MASTER" });
    // The same steps as the lab's, in order, each as root: promote, forward, maintenance, then undo, last first.
    const steps = cluster.calls.filter((c) => c.command.includes(" sh -c ")).map((c) => `${c.host} ${c.command}`);
    expect(steps).toEqual(
      [
        ["10.0.4.21", markCommand("promote", true)],
        ["10.0.4.21", forwardCommand(true, { vips: ["10.0.4.99"], vrrpInterface: "eth0", holderIp: "10.0.4.20" })],
        ["10.0.4.20", markCommand("maintenance", true)],
        ["10.0.4.21", forwardCommand(false, { vips: ["10.0.4.99"], vrrpInterface: "eth0", holderIp: "10.0.4.20" })],
        ["10.0.4.21", markCommand("promote", false)],
      ].map(([host, command]) => `${host} sudo -n sh -c ${shQuote(command)}`),
    );
    // What the node's shell does with the command: writes 1 to the file keepalived tracks.
    const command = cluster.calls.find((c) => c.command.includes("maintenance"))!.command;
    expect(command.startsWith("sudo -n sh -c ")).toBe(true);
    const file = path.join(scratch("switchover-mark"), "maintenance");
    expect(spawnSync("sh", ["-c", command.slice("sudo -n ".length).replace("/var/lib/iam-ha/maintenance", file)]).status).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe("1\n");
  });

  test("--release puts the node back in service; a bad argument is a usage error (exit 2)", async () => {
    const cluster = fakeCluster();
    cluster.state["10.0.4.20"] = "FAULT";
    cluster.state["10.0.4.21"] = "MASTER";
    expect((await runSwitchoverCli(["--stack", "prod", "--release", "node-1"], cluster)).code).toBe(0);
    expect(cluster.state["10.0.4.20"]).toBe("BACKUP");
    const bad = await runSwitchoverCli(["--stack", "prod", "--to"], cluster);
    expect([bad.code, bad.err.split("\n")[0]]).toEqual([2, "switchover: --to needs a value"]);
  });

  test("--from names the node to take out; one that is no front door is refused before anything is marked (exit 1)", async () => {
    const cluster = fakeCluster();
    const r = await runSwitchoverCli(["--stack", "prod", "--from", "node-9"], cluster);
    expect([r.code, r.err.trim()]).toEqual([1, "switchover: --from node-9 is not a front door of this stack (node-1, node-2)"]);
    expect(cluster.calls.filter((c) => c.command.includes(" sh -c "))).toEqual([]);
    const moved = await runSwitchoverCli(["--stack", "prod", "--from", "node-1"], cluster);
    expect([moved.code, cluster.state]).toEqual([0, { "10.0.4.20": "FAULT", "10.0.4.21": "MASTER" }]);
  });
});

// ---------- a deployed stack behind a CLB ----------

describe("a deployed stack behind a CLB (frontDoor clb)", () => {
  const clbOutputs = () => outputsJson({ havip: undefined, havipId: undefined, frontDoor: "clb", clbId: "lb-0a1b2c3d" });

  test("its outputs give the CLB's address and id, and no VIP", () => {
    const s = deployedStack("prod", clbOutputs(), configJson({ frontDoor: { value: "clb", secret: false }, vrrpAuthPass: undefined }));
    expect({ publicIp: s.publicIp, clbId: s.clbId, havip: s.havip, vips: s.vips, frontDoor: s.frontDoor }).toEqual({
      publicIp: LOCAL,
      clbId: "lb-0a1b2c3d",
      havip: undefined,
      vips: [],
      frontDoor: "clb",
    });
  });

  test("the target asks Tencent how the CLB sees each target, names them by the nodes' addresses, and probes no keepalived", async () => {
    const calls: string[] = [];
    const asked: string[] = [];
    const target = cloudTarget(stack({ havip: undefined, vips: [], frontDoor: "clb", clbId: "lb-0a1b2c3d" }), {
      ssh: async (host) => {
        calls.push(host);
        return { code: 0, stdout: "", stderr: "" };
      },
      clbTargets: async (clbId) => {
        asked.push(clbId);
        return [
          { domain: SITES[0], ip: "10.0.4.20", port: 80, healthy: true, status: "Alive" },
          { domain: SITES[0], ip: "10.0.4.21", port: 80, healthy: false, status: "Dead" },
          { domain: SITES[0], ip: "10.0.9.9", port: 80, healthy: true, status: "Alive" },
        ];
      },
    });
    expect(await target.nodeStates()).toEqual([]);
    expect(calls).toEqual([]);
    expect(await target.targetHealth!()).toEqual([
      { site: SITES[0], node: "node-1", healthy: true, status: "Alive" },
      { site: SITES[0], node: "node-2", healthy: false, status: "Dead" },
      { site: SITES[0], node: "10.0.9.9:80 (not a node of this stack)", healthy: true, status: "Alive" },
    ]);
    expect(asked).toEqual(["lb-0a1b2c3d"]);
  });

  test("a switchover is refused: there is no VIP to move, and the message says how to take a node out", async () => {
    const pulumi = fakePulumiDir();
    fs.writeFileSync(path.join(pulumi.dir, "outputs.json"), clbOutputs());
    fs.writeFileSync(path.join(pulumi.dir, "config.json"), configJson({ frontDoor: { value: "clb", secret: false }, vrrpAuthPass: undefined }));
    let err = "";
    const code = await switchoverMain(["--stack", "prod"], {
      out: () => undefined,
      err: (t) => (err += t),
      env: { ...process.env, PATH: `${pulumi.dir}:${process.env.PATH}` },
      openSsh: async () => fakeSession().session,
    });
    expect([code, err]).toEqual([2, expect.stringMatching(/stands behind a CLB \(frontDoor clb\): there is no VIP to move.*stop its nginx/)]);
  });
});
