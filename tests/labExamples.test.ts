import * as fs from "fs";
import * as path from "path";
import { runScenario, ScenarioResult, scenarios } from "../lab/scenarios/failover";
import { execInClient, execInLabNs } from "../lab/hosts/network";
import { log } from "../lab/hosts/exec";
import { hostsRunning, labDown } from "../lab/hosts/lab";
import { inNode } from "../lab/hosts/nodeShell";
import { paths } from "../lab/hosts/paths";
import { sshExec } from "../lab/hosts/ssh";
import { declaredCommands } from "../lab/program/declaredCommands";
import { down, labChecks, up } from "../lab/program/session";
import { LabStack, loadLabStack } from "../lab/program/stack";
import { labStatus, vipHolders } from "../lab/program/status";
import { standInFiles, targetStats } from "../lab/program/clbStandIn";
import { getThroughEip } from "../lab/program/labTarget";
import { runZoneScenario, ZoneScenarioResult, zoneScenarios } from "../lab/scenarios/zones";
import { ActiveActiveResult, runActiveActive } from "../lab/scenarios/activeActive";
import { releaseNode, runSwitchover } from "../lab/scenarios/switchover";
import { projectCliAsync, requireTools, run } from "./fixtures/tools";

/**
 * The example stacks run in the lab as written: two front doors and two backend-only nodes in
 * another subnet (examples/Pulumi.backends.yaml, written for Tencent Cloud: its own NIC name,
 * login user, adminCidr, public SSH), then the VIP-only front door
 * (examples/Pulumi.viponly.yaml) with the failover scenarios that apply to it, then active-active
 * (examples/Pulumi.activeactive.yaml): two VIPs, a node failing and coming back, then the CLB across
 * two zones (examples/Pulumi.clb.yaml): HAProxy standing in for the CLB, a front door and a whole
 * zone failing. One lab at a time: each stack's lab goes down before the next comes up.
 */

jest.setTimeout(10 * 60_000);
requireTools("systemd-nspawn", "debootstrap", "nsenter", "ip", "nft", "ssh");
if (process.getuid?.() !== 0) throw new Error("the lab suite needs root: run `sudo bash scripts/test.sh`");

let stack: LabStack;

beforeAll(async () => {
  stack = await loadLabStack("backends");
  await down(stack);
});

afterAll(async () => {
  await down(stack).catch(() => labDown(stack.topology));
});

test("two front doors and two backend-only nodes in 172.20.8.0/24, as written: every site balances over all four backends, one MASTER, every other node logs in to MariaDB", async () => {
  const result = await up(stack);
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.find((c) => c.name === "iam.api.marmotedu.com balances over every node's backend")!.detail).toMatch(
    /web-a: [23], web-b: [23], app-c: [23], app-d: [23]/,
  );
  expect(result.checks.filter((c) => c.name.startsWith("MariaDB login from")).map((c) => c.name)).toEqual([
    "MariaDB login from web-b",
    "MariaDB login from app-c",
    "MariaDB login from app-d",
  ]);
  const status = await labStatus(stack.config, stack.topology);
  // Which front door is MASTER depends on whose keepalived started first (nopreempt).
  expect(status.nodes.map((n) => [n.name, n.name.startsWith("web") ? "front door" : n.state])).toEqual([
    ["web-a", "front door"],
    ["web-b", "front door"],
    ["app-c", "backend"],
    ["app-d", "backend"],
  ]);
  expect(
    status.nodes
      .filter((n) => n.name.startsWith("web"))
      .map((n) => n.state)
      .sort(),
  ).toEqual(["BACKUP", "MASTER"]);
  // A backend-only node runs neither nginx nor keepalived, and stands no VIP.
  for (const node of ["app-c", "app-d"]) {
    const r = await inNode(node, "systemctl is-active nginx keepalived; ip -4 -o address show dev lo");
    expect([node, r.stdout.split("\n").slice(0, 2), r.stdout.includes(stack.config.vips[0].address)]).toEqual([node, ["inactive", "inactive"], false]);
  }
});

test("the lab stands where the operator stands: the stack's NIC name, its login user with sudo, SSH only from adminCidr", async () => {
  const { commands } = await declaredCommands(stack);
  for (const node of stack.topology.nodes) {
    // The program's firewall step, as its connection says (user ubuntu, `sudo -n`), finds its runner inside adminCidr.
    const firewall = commands.find((c) => c.name === `${node.name}-firewall`)!;
    const again = await sshExec(node, firewall.create, firewall.stdin, { user: firewall.user, timeoutMs: 60_000 });
    const seen = { node: node.name, user: firewall.user, code: again.code, why: again.code === 0 ? "" : again.stderr };
    expect(seen).toEqual({ node: node.name, user: "ubuntu", code: 0, why: "" });
    const links = await inNode(node.name, "ip -o -4 addr show");
    expect([node.name, /^\d+: (\S+)\s+inet (\S+)/m.exec(links.stdout.replace(/^\d+: lo .*\n/gm, ""))?.slice(1)]).toEqual([
      node.name,
      ["ens5", `${node.privateIp}/24`],
    ]);
    const asUbuntu = await sshExec(node, "sudo -n id -un", undefined, { user: "ubuntu", timeoutMs: 30_000 });
    expect([node.name, asUbuntu.code, asUbuntu.stdout.trim()]).toEqual([node.name, 0, "root"]);
    // The router's own address lies outside adminCidr: the node's firewall drops it.
    const fromRouter = await sshExec({ ...node, sshFrom: stack.topology.routerIp }, "true", undefined, { timeoutMs: 30_000 });
    expect([node.name, fromRouter.code]).toEqual([node.name, 255]);
  }
});

test("hosts made for one stack are not taken for another's: another NIC name or operator address means new hosts", () => {
  expect(hostsRunning(stack.topology)).toBe(true);
  expect(hostsRunning({ ...stack.topology, nodeInterface: "eth0" })).toBe(false);
  expect(hostsRunning({ ...stack.topology, adminAddress: "198.51.100.2" })).toBe(false);
});

const keyBody = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");
const etcSsh = (node: string) => path.join(paths.nodeRoot(node), "etc/ssh");

test("pinned host keys: each node holds only the key its user data gave it, the one every step and verify pin", async () => {
  const { commands, run: program } = await declaredCommands(stack);
  const exported = program.outputs.nodeAddresses as { name: string; hostKey: string }[];
  for (const node of stack.topology.nodes) {
    expect([
      node.name,
      fs
        .readdirSync(etcSsh(node.name))
        .filter((f) => f.startsWith("ssh_host_"))
        .sort(),
    ]).toEqual([node.name, ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]]);
    const onNode = keyBody(fs.readFileSync(path.join(etcSsh(node.name), "ssh_host_ed25519_key.pub"), "utf8"));
    const pinned = new Set(commands.filter((c) => c.host === node.privateIp).map((c) => keyBody(c.hostKey)));
    expect([node.name, [...pinned]]).toEqual([node.name, [onNode]]);
    expect(keyBody(exported.find((n) => n.name === node.name)!.hostKey)).toBe(onNode);
  }
  // What `npm run lab -- verify` runs: the program again, its outputs' keys pinned, every check.
  expect((await labChecks(stack)).filter((c) => !c.ok)).toEqual([]);
  expect(fs.statSync(paths.knownHosts()).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(paths.knownHosts(), "utf8").trim().split("\n").sort()).toEqual(
    stack.topology.nodes.map((n) => `${n.privateIp} ${keyBody(fs.readFileSync(path.join(etcSsh(n.name), "ssh_host_ed25519_key.pub"), "utf8"))}`).sort(),
  );
});

test.each(["keepalived stopped on the master", "nginx killed on the master, then started again", "backend-only app-c stopped"])(
  "two front doors and two backend-only nodes: %s holds, with one MASTER after",
  async (name) => {
    const scenario = scenarios(stack.config).find((s) => s.name === name)!;
    const result = await runScenario(stack, scenario);
    expect([result.held, result.alertsMissing, result.spurious]).toEqual([true, [], 0]);
    if (name.startsWith("backend-only")) expect(result.failed).toBe(0);
    const status = await labStatus(stack.config, stack.topology);
    expect(status.nodes.filter((n) => n.state === "MASTER")).toHaveLength(1);
  },
);

test("a node whose host key was swapped (an impostor) is refused by the program's steps and by verify, naming the node and what to do", async () => {
  const node = stack.topology.nodes[1];
  const files = ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"].map((f) => path.join(etcSsh(node.name), f));
  const genuine = files.map((f) => fs.readFileSync(f));
  const restartSshd = async () => expect((await inNode(node.name, "systemctl restart ssh")).code).toBe(0);
  try {
    for (const f of files) fs.rmSync(f);
    expect(run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f", files[0]]).code).toBe(0);
    await restartSshd();
    const refused = new RegExp(
      `^${node.name} \\(${node.privateIp.replace(/\./g, "\\.")}\\) did not present the host key the program pinned for it .*nothing was sent to it\\. .*Fix: `,
      "s",
    );
    await expect(up(stack)).rejects.toThrow(refused);
    await expect(labChecks(stack)).rejects.toThrow(refused);
  } finally {
    files.forEach((f, i) => fs.writeFileSync(f, genuine[i], { mode: 0o600 }));
    await restartSshd();
  }
  expect((await labChecks(stack)).filter((c) => !c.ok)).toEqual([]);
});

// prod as committed needs no lab run of its own: this example, written for Tencent Cloud, has
// every setting the lab replaces or supplies for prod (sshVia public, trackNginxProcess, a NIC
// name, a login user, an adminCidr outside the subnet), and tests/labStacks.test.ts checks prod's.
test("`npm run lab -- verify --stack backends` passes its checks and says what the lab stands in for", async () => {
  const r = await projectCliAsync("lab/cli.ts", ["verify", "--stack", "backends"], 3 * 60_000);
  expect([r.code, r.stderr.split("\n").filter((l) => / ERROR: | failed/.test(l))]).toEqual([0, []]);
  expect(r.stderr).toMatch(/the lab stands in for the cloud's NIC: each node's is named ens5/);
  expect(r.stderr).toMatch(/the lab stands in for sshVia public: /);
  expect(r.stderr).toMatch(/the lab stands in for trackNginxProcess true: /);
  expect(r.stdout).toMatch(/^PASS +exactly one node holds the HAVIP 172\.20\.8\.50/m);
  expect(r.stdout).not.toMatch(/\bFAIL\b/);
});

describe("VIP-only (examples/Pulumi.viponly.yaml): keepalived's VIP straight onto the sites' ports, no nginx", () => {
  let vipOnly: LabStack;
  const results: ScenarioResult[] = [];

  beforeAll(async () => {
    await down(stack);
    vipOnly = await loadLabStack("viponly");
    await down(vipOnly);
  });

  afterAll(async () => {
    for (const r of results) log(`VIP-only ${r.name}: ${r.failed}/${r.requests} failed, first success ${r.firstSuccessMs} ms, new MASTER ${r.masterAtMs} ms`);
    if (vipOnly) await down(vipOnly).catch(() => labDown(vipOnly.topology));
  });

  test("up as written: each site answers on its own port of the EIP, from the VIP's holder alone; one MASTER; no nginx anywhere", async () => {
    const result = await up(vipOnly);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toEqual([
      "iam.api.marmotedu.com /healthz through 10.255.0.10:8080",
      "iam.api.marmotedu.com is served by the VIP's holder alone",
      "iam.authz.marmotedu.com /healthz through 10.255.0.10:9090",
      "iam.authz.marmotedu.com is served by the VIP's holder alone",
      "exactly one node holds the HAVIP 172.20.12.50",
      "MariaDB login from edge-b",
      "MariaDB refuses iam from 172.20.12.11 (not a peer)",
    ]);
    expect(result.applied.map((c) => c.name).filter((n) => n.includes("nginx"))).toEqual([]);
    const status = await labStatus(vipOnly.config, vipOnly.topology);
    expect(status.nodes.map((n) => n.state).sort()).toEqual(["BACKUP", "MASTER"]);
    for (const node of ["edge-a", "edge-b"]) {
      const r = await inNode(node, "test -e /usr/sbin/nginx && echo nginx; systemctl is-active iam-ha-vip-state.socket");
      expect([node, r.stdout.trim()]).toEqual([node, "active"]);
    }
  });

  test("the VRRP state socket answers the other front door, and nobody else (the router's address is refused)", async () => {
    const read = (address: string) => `timeout 2 bash -c 'exec 3<"/dev/tcp/${address}/7799" && head -n 1 <&3'`;
    const fromPeer = await inNode("edge-b", read("172.20.12.11"));
    expect([fromPeer.code, fromPeer.stdout.trim()]).toEqual([0, expect.stringMatching(/^(MASTER|BACKUP)$/)]);
    const fromRouter = await execInLabNs(["bash", "-c", read("172.20.12.11")], { timeoutMs: 10_000 });
    expect(fromRouter.code).not.toBe(0);
  });

  const applying = [
    "keepalived stopped on the master",
    "the master's service killed, then started again",
    "the master's network link down, then up",
    "VRRP adverts blocked between the nodes",
  ];

  test("the scenarios that apply are exactly these: no nginx to kill, no upstreams to fail over between nodes", () => {
    expect(scenarios(vipOnly.config).map((s) => s.name)).toEqual(applying);
  });

  test.each(applying)("%s holds, with one MASTER after and every transition alerted", async (name) => {
    const result = await runScenario(
      vipOnly,
      scenarios(vipOnly.config).find((s) => s.name === name)!,
    );
    results.push(result);
    expect([result.held, result.alertsMissing, result.spurious, result.detail]).toEqual([true, [], 0, expect.any(String)]);
    const status = await labStatus(vipOnly.config, vipOnly.topology);
    expect(status.nodes.filter((n) => n.state === "MASTER")).toHaveLength(1);
  });
});

describe("active-active (examples/Pulumi.activeactive.yaml): two VIPs, each front door preferred for one", () => {
  let pair: LabStack;

  beforeAll(async () => {
    await down(stack);
    pair = await loadLabStack("activeactive");
    await down(pair);
  });

  afterAll(async () => {
    if (pair) await down(pair).catch(() => labDown(pair.topology));
  });

  test("up as written: every check passes for both VIPs, and with both nodes up each VIP sits on its preferred node", async () => {
    const result = await up(pair);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    // Whoever started first took both; the other takes its own back once up preemptDelay (10 s).
    const deadline = Date.now() + 30_000;
    let holders = await vipHolders(pair.config, pair.topology);
    while ((holders.get("172.20.16.50") !== "pair-a" || holders.get("172.20.16.51") !== "pair-b") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      holders = await vipHolders(pair.config, pair.topology);
    }
    expect(Object.fromEntries(holders)).toEqual({ "172.20.16.50": "pair-a", "172.20.16.51": "pair-b" });
  });

  test("pair-b fails: both VIPs on pair-a, both EIPs answered; it comes back: its VIP returns after the calm period, losing at most a request in flight", async () => {
    const [failure, recovery] = await runActiveActive(pair, "pair-b");
    const holders = (r: ActiveActiveResult) => r.vips.map((v) => [v.vip, v.holderBefore, v.holderAfter]);
    expect([failure.held, holders(failure)]).toEqual([
      true,
      [
        ["172.20.16.50", "pair-a", "pair-a"],
        ["172.20.16.51", "pair-b", "pair-a"],
      ],
    ]);
    // Both EIPs answer again once the VIP has moved (requests to the failed node's VIP fail until then).
    expect(failure.vips.map((v) => v.firstSuccessMs !== null)).toEqual([true, true]);
    expect([recovery.held, holders(recovery)]).toEqual([
      true,
      [
        ["172.20.16.50", "pair-a", "pair-a"],
        ["172.20.16.51", "pair-a", "pair-b"],
      ],
    ]);
    // Not before the calm period: preempt_delay counts from pair-b's VRRP coming back.
    expect(recovery.vips[1].masterAtMs).toBeGreaterThanOrEqual(10_000);
    // The other VIP loses nothing. The handback: the standing VIP on lo serves what still reaches
    // pair-a, but a connection in flight when the router's ARP entry moves lands on pair-b, which
    // has no state for it (no handover as a switchover has): 0, 0 and 1 of about 1,100 in three runs.
    expect([recovery.vips[0].failed, recovery.vips[1].failed <= 2]).toEqual([0, true]);
    for (const r of [failure, recovery])
      for (const v of r.vips) log(`active-active ${r.name}, ${v.vip}: ${v.failed}/${v.requests} failed, new MASTER ${v.masterAtMs} ms`);
  });

  test("a switchover --from pair-b moves its VIP, and only it, to pair-a with no failed request to either EIP and one MASTER per VIP; released, pair-b takes it back after the calm period", async () => {
    const r = await runSwitchover(pair, { from: "pair-b" });
    log(
      `active-active switchover --from pair-b: ${r.what} in ${r.seconds} s, ${r.failed}/${r.requests} failed, at most ${r.mostMasters} MASTER of a VIP, longest gap ${r.longestGapMs} ms`,
    );
    expect([r.from, r.to, r.vips, r.failed, r.mostMasters]).toEqual(["pair-b", "pair-a", ["172.20.16.51"], 0, 1]);
    expect(Object.fromEntries(await vipHolders(pair.config, pair.topology))).toEqual({ "172.20.16.50": "pair-a", "172.20.16.51": "pair-a" });
    await releaseNode(pair, "pair-b");
    const deadline = Date.now() + 30_000;
    while ((await vipHolders(pair.config, pair.topology)).get("172.20.16.51") !== "pair-b" && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 200));
    expect(Object.fromEntries(await vipHolders(pair.config, pair.topology))).toEqual({ "172.20.16.50": "pair-a", "172.20.16.51": "pair-b" });
  });
});

describe("behind a CLB across two zones (examples/Pulumi.clb.yaml): HAProxy stands in for the CLB, from the program's CLB resources", () => {
  let clb: LabStack;
  const zoneResults: ZoneScenarioResult[] = [];
  const sites = ["iam.api.marmotedu.com", "iam.authz.marmotedu.com"];
  const nodes = ["zone-a1", "zone-a2", "zone-b1", "zone-b2"];

  beforeAll(async () => {
    await down(stack);
    clb = await loadLabStack("clb");
    await down(clb);
  });

  afterAll(async () => {
    for (const r of zoneResults)
      log(
        `CLB ${r.name}: ${r.failed}/${r.requests} failed (${r.slow} slow), marked ${r.markedMs} ms after the fault, first success ${r.firstSuccessMs} ms, ${r.failedAfterMark} failed after the mark, connections after the mark ${JSON.stringify(r.sentAfterMark)}; failures ${JSON.stringify(r.failures)}`,
      );
    if (clb) await down(clb).catch(() => labDown(clb.topology));
  });

  test("up as written: each zone a subnet of its own, every check passes through the stand-in on the EIP, no VIP and no keepalived", async () => {
    const result = await up(clb);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toEqual([
      ...sites.flatMap((s) => [`${s} /healthz through 10.255.0.10`, `${s} reaches every node's backend`]),
      "the CLB sees every front door healthy",
      "MariaDB login from zone-a2",
      "MariaDB login from zone-b1",
      "MariaDB login from zone-b2",
      "MariaDB refuses iam from 172.20.20.11 (not a peer)",
    ]);
    expect(result.applied.map((c) => c.name).filter((n) => n.includes("keepalived"))).toEqual([]);
    // Each node on its zone's subnet, its zone's router as its gateway.
    for (const [node, address, gateway] of [
      ["zone-a1", "172.20.20.11/24", "172.20.20.1"],
      ["zone-b2", "172.20.21.12/24", "172.20.21.1"],
    ]) {
      const r = await inNode(node, "ip -4 -o addr show dev eth0; ip -4 route show default; systemctl is-active keepalived");
      expect([node, /inet (\S+)/.exec(r.stdout)?.[1], /default via (\S+)/.exec(r.stdout)?.[1], r.stdout.trim().split("\n").pop()]).toEqual([
        node,
        address,
        gateway,
        "inactive",
      ]);
    }
    // No HAVIP, so nothing is DNATed: the stand-in itself answers on the EIP.
    const nat = await execInLabNs(["nft", "list", "table", "ip", "iam_lab_edge"]);
    expect(nat.stdout).not.toMatch(/dnat to/);
  });

  test("the stand-in's haproxy.cfg is the program's CLB: one backend per site (its Host), four servers at the nodes' addresses, the rule's health check", () => {
    const cfg = fs.readFileSync(standInFiles().config, "utf8");
    const backends = [...cfg.matchAll(/^backend (\S+)\n((?: {2}.*\n)+)/gm)].map(([, name, body]) => ({
      name,
      servers: [...body.matchAll(/^ {2}server (\S+) (\S+) check/gm)].map((m) => `${m[1]} ${m[2]}`),
      check: [...body.matchAll(/^ {2}(http-check send .*|default-server .*)$/gm)].map((m) => m[1]),
    }));
    const addresses = ["zone-a1 172.20.20.11:80", "zone-a2 172.20.20.12:80", "zone-b1 172.20.21.11:80", "zone-b2 172.20.21.12:80"];
    expect(backends).toEqual(
      sites.map((s) => ({
        name: `http_${s}`,
        servers: addresses,
        check: [`http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host ${s}`, "default-server inter 3s fall 2 rise 2"],
      })),
    );
    expect(cfg).toMatch(/^ {2}bind 10\.255\.0\.10:80$/m);
    for (const s of sites) expect(cfg).toContain(`use_backend http_${s} if { var(txn.host) -m str ${s} }`);
  });

  test("requests balance over all four front doors (the stand-in's round robin), and an unknown Host goes to the listener's default domain", async () => {
    const before = await targetStats();
    for (let i = 0; i < 40; i++) expect((await getThroughEip(clb.config, clb.topology, sites[0], "/healthz")).status).toBe(200);
    const after = await targetStats();
    const sent = nodes.map((n) => {
      const of = (stats: typeof before) => stats.find((t) => t.site === sites[0] && t.node === n)!.sent;
      return of(after) - of(before);
    });
    expect(sent).toEqual([10, 10, 10, 10]);
    // The CLB sends a Host no rule names to the listener's default domain (its first rule), whose
    // front doors' nginx answers it from its default server: 404.
    const unknown = await execInClient([
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--max-time",
      "3",
      "-H",
      "Host: nobody.example",
      "http://10.255.0.10/healthz",
    ]);
    expect(unknown.stdout).toBe("404");
    // npm run lab -- status: the CLB's view of each front door.
    const status = await labStatus(clb.config, clb.topology);
    expect(status.nodes.map((n) => [n.name, n.state])).toEqual(nodes.map((n) => [n, expect.stringMatching(/^UP/)]));
  });

  test("the scenarios: a front door down, a whole zone down, the zone back", async () => {
    const scenarios = zoneScenarios();
    expect(scenarios.map((s) => s.name)).toEqual([
      "one front door down (its link down)",
      "a whole zone down (every front door of the second zone, links down)",
      "the zone back (links up)",
    ]);
    for (const scenario of scenarios) zoneResults.push(await runZoneScenario(clb, scenario));
    const [one, zone, back] = zoneResults;
    // Once the stand-in marked them down, nothing fails and nothing reaches them.
    for (const r of [one, zone]) {
      const afterMark = r.failures.filter((f) => r.markedMs !== null && f.at >= r.markedMs);
      expect([r.name, r.markedMs !== null, afterMark, r.nodes.map((n) => r.sentAfterMark[n])]).toEqual([r.name, true, [], r.nodes.map(() => 0)]);
      // Detection takes at most fall × interval plus a check's timeout and one interval of phase (2 × 3 s + 2 s + 3 s).
      expect(r.markedMs!).toBeLessThanOrEqual(11_000);
      // What fails meanwhile is bounded by the stream during the health window (one request every 20 ms).
      expect(r.failed).toBeLessThanOrEqual(Math.ceil(r.markedMs! / 20));
      expect(r.firstSuccessMs).not.toBeNull();
    }
    expect(zone.nodes).toEqual(["zone-b1", "zone-b2"]);
    // The zone back: in rotation again after its checks pass (rise 2 × 3 s), and no request fails.
    expect([back.held, back.failed, back.markedMs !== null]).toEqual([true, 0, true]);
    expect(back.markedMs!).toBeGreaterThanOrEqual(3_000);
    expect(back.nodes.every((n) => back.sentAfterMark[n] > 0)).toBe(true);
    expect([one.held, zone.held]).toEqual([true, true]);
  });
});
