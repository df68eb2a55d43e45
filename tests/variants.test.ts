import { ProgramRun, unwrap } from "../lab/program/programUnderMocks";
import { named, ofType, runWith } from "./fixtures/program";
import { stackValues, TEST_KEY_PAIR } from "./fixtures/stacks";

/**
 * The topology variants (examples/Pulumi.<variant>.yaml) under mocks: each one's graph exactly, as
 * `pulumi up` would register it.
 */

const COMMAND = "command:remote:Command";
const HOLDER = "tencentcloud:Ha/vipInstanceAttachment:VipInstanceAttachment";
const exampleValues = (name: string) => ({ ...stackValues(name), sshPublicKey: TEST_KEY_PAIR.publicKey });
const stepsOf = (run: ProgramRun, node: string) =>
  ofType(run, COMMAND)
    .filter((r) => r.name.startsWith(`${node}-`))
    .map((r) => r.name.slice(node.length + 1));

describe("two front doors and two backend-only nodes (examples/Pulumi.backends.yaml)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runWith(exampleValues("backends"), { values: { "tencentcloud:region": "ap-shanghai" } });
  });

  test("front doors run nginx and keepalived; backend-only nodes only their firewall; the database node grants every other node", () => {
    const frontDoor = ["ready", "packages", "firewall", "nginx", "vrrp-hold", "keepalived", "vrrp-release"];
    expect(["web-a", "web-b", "app-c", "app-d"].map((n) => [n, stepsOf(run, n)])).toEqual([
      ["web-a", [...frontDoor, "grant-web-b", "grant-app-c", "grant-app-d"]],
      ["web-b", frontDoor],
      ["app-c", ["ready", "packages", "firewall"]],
      ["app-d", ["ready", "packages", "firewall"]],
    ]);
    const cvms = ofType(run, "tencentcloud:Instance/instance:Instance").map((r) => r.name);
    expect(cvms.sort()).toEqual(["iam-ha-app-c", "iam-ha-app-d", "iam-ha-web-a", "iam-ha-web-b"]);
  });

  test("only the front doors may hold the HAVIP, and the EIP is bound once both are released into the election", () => {
    expect(
      ofType(run, HOLDER)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["iam-ha-havip-web-a", "iam-ha-havip-web-b"]);
    const deps = named(run, "iam-ha-eip-attachment").dependencies;
    expect(deps).toEqual(expect.arrayContaining([named(run, "web-a-vrrp-release").urn, named(run, "web-b-vrrp-release").urn]));
  });

  test("every node's backends are in each front door's upstreams; keepalived's peers are the front doors only", () => {
    for (const [node, self, peer] of [
      ["web-a", "172.20.8.11", "172.20.8.12"],
      ["web-b", "172.20.8.12", "172.20.8.11"],
    ]) {
      const nginx = unwrap(named(run, `${node}-nginx`).inputs.stdin) as string;
      const upstream = /upstream iam\.api\.marmotedu\.com \{[^}]*\}/.exec(nginx)![0];
      const servers = [...upstream.matchAll(/server (\S+):8080/g)].map((m) => m[1]);
      expect([node, servers]).toEqual([node, ["172.20.8.11", "172.20.8.12", "172.20.8.13", "172.20.8.14"].map((a) => (a === self ? "127.0.0.1" : a))]);
      const keepalived = unwrap(named(run, `${node}-keepalived`).inputs.stdin) as string;
      const peers = /unicast_peer \{([^}]*)\}/.exec(keepalived)![1].trim().split(/\s+/);
      expect([node, peers]).toEqual([node, [peer]]);
    }
  });

  test("a backend-only node's firewall admits its peers' backend traffic and SSH, and no HTTP, VRRP or VIP", () => {
    const script = unwrap(named(run, "app-c-firewall").inputs.stdin) as string;
    expect(script).toContain("ip saddr { 172.20.8.11,172.20.8.12,172.20.8.14 } tcp dport { 8080,9090 } accept");
    expect(script).not.toMatch(/tcp dport 80 accept|ip protocol 112|vip_fallback|172\.20\.8\.50/);
    const frontDoor = unwrap(named(run, "web-b-firewall").inputs.stdin) as string;
    expect(frontDoor).toContain("ip saddr { 172.20.8.11 } ip protocol 112 accept");
    expect(frontDoor).toContain("dnat ip to 172.20.8.11");
  });

  test("the front doors' nginx rolls only after every backend-only node's firewall admits them", () => {
    const nginxDeps = [named(run, "web-a-nginx").dependencies, named(run, "web-b-nginx").dependencies].flat();
    for (const node of ["app-c", "app-d"]) expect(nginxDeps).toContain(named(run, `${node}-firewall`).urn);
  });

  test("the outputs name each node's role", () => {
    const nodes = (run.outputs as { nodeAddresses: { name: string; role: string }[] }).nodeAddresses;
    expect(nodes.map((n) => [n.name, n.role])).toEqual([
      ["web-a", "frontDoor"],
      ["web-b", "frontDoor"],
      ["app-c", "backend"],
      ["app-d", "backend"],
    ]);
  });
});

describe("VIP-only: keepalived's VIP straight onto the sites' ports, no nginx (examples/Pulumi.viponly.yaml)", () => {
  let run: ProgramRun;
  const nodes = ["edge-a", "edge-b"];
  beforeAll(async () => {
    run = await runWith({ ...exampleValues("viponly"), vrrpAuthPass: undefined });
  });

  test("no nginx step anywhere: each front door runs ready, packages, firewall, vrrp-hold, keepalived, vrrp-release; the database node grants the other", () => {
    const frontDoor = ["ready", "packages", "firewall", "vrrp-hold", "keepalived", "vrrp-release"];
    expect(nodes.map((n) => [n, stepsOf(run, n)])).toEqual([
      ["edge-a", [...frontDoor, "grant-edge-b"]],
      ["edge-b", frontDoor],
    ]);
    expect(ofType(run, COMMAND).filter((r) => /nginx/.test(r.name))).toEqual([]);
    for (const node of nodes) {
      expect(unwrap(named(run, `${node}-packages`).inputs.stdin)).toContain("readonly PACKAGES=('keepalived' 'curl' 'nftables' )");
    }
  });

  test("one HAVIP, one EIP and one binding, made after every node's vrrp-release; each front door may hold the HAVIP", () => {
    expect(ofType(run, "tencentcloud:Ha/vip:Vip").map((r) => r.name)).toEqual(["iam-ha-havip"]);
    expect(ofType(run, "tencentcloud:Eip/instance:Instance").map((r) => r.name)).toEqual(["iam-ha-eip"]);
    expect(ofType(run, "tencentcloud:Ha/vipEipAttachment:VipEipAttachment").map((r) => r.name)).toEqual(["iam-ha-eip-attachment"]);
    expect(
      ofType(run, HOLDER)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["iam-ha-havip-edge-a", "iam-ha-havip-edge-b"]);
    const deps = named(run, "iam-ha-eip-attachment").dependencies;
    for (const node of nodes) expect(deps).toContain(named(run, `${node}-vrrp-release`).urn);
  });

  test("keepalived checks /healthz on every site's port and tracks no nginx", () => {
    const keepalived = unwrap(named(run, "edge-a-keepalived").inputs.stdin) as string;
    expect(keepalived).toContain(
      "exec curl --silent --fail --fail-early --output /dev/null --max-time 1 http://127.0.0.1:8080/healthz --output /dev/null http://127.0.0.1:9090/healthz",
    );
    expect(/track_script \{\s*(\S+)\s*\}/.exec(keepalived)![1]).toBe("check_sites");
    expect(keepalived).not.toMatch(/nginx_stopped|nginx_running|track_process|vrrp_script check_nginx/);
  });

  test("the firewall opens the sites' ports to anywhere, not 80; the fallback works on those ports; peers get the VRRP state port and MariaDB only", () => {
    const firewall = unwrap(named(run, "edge-a-firewall").inputs.stdin) as string;
    expect(firewall).toContain("elements = { 8080,9090 }");
    expect(firewall).toContain("        tcp dport @site_ports accept");
    expect(firewall).not.toMatch(/tcp dport 80 /);
    expect(firewall).toContain("ip daddr 172.20.12.50 tcp dport @site_ports counter dnat ip to 172.20.12.12");
    expect(firewall).toContain("ip saddr { 172.20.12.12 } tcp dport 7799 accept");
    expect(firewall).toContain("ip saddr { 172.20.12.12 } tcp dport { 3306 } accept");
    // edge-b runs no MariaDB: no peer port at all.
    expect(unwrap(named(run, "edge-b-firewall").inputs.stdin)).not.toMatch(/tcp dport \{ [\d,]+ \} accept/);
  });

  test("the VIP watch reads each front door's state socket on its private address", () => {
    const keepalived = unwrap(named(run, "edge-b-keepalived").inputs.stdin) as string;
    expect(keepalived).toContain("readonly NODES=('edge-a=172.20.12.11' 'edge-b=172.20.12.12' )");
    expect(keepalived).toContain("ListenStream=172.20.12.12:7799");
    expect(keepalived).toContain("systemctl restart 'iam-ha-vip-state.socket'");
  });

  test("the security group: the sites' ports from anywhere first, then the peers' VRRP state port and MariaDB, no backend ports", () => {
    const ingresses = named(run, "iam-ha-sg-rules").inputs.ingresses as Record<string, string>[];
    expect(ingresses[0]).toEqual({
      action: "ACCEPT",
      cidrBlock: "0.0.0.0/0",
      protocol: "TCP",
      port: "8080,9090",
      description: "the sites, straight on their ports",
    });
    expect(ingresses.filter((r) => r.action === "ACCEPT" && r.protocol === "TCP").map((r) => [r.cidrBlock, r.port])).toEqual([
      ["0.0.0.0/0", "8080,9090"],
      ["172.20.12.11/32", "7799"],
      ["172.20.12.12/32", "7799"],
      ["172.20.12.12/32", "3306"],
      ["203.0.113.10/32", "22"],
    ]);
  });

  test("the smoke tests ask each site on its own port of the EIP", () => {
    const sites = (run.outputs as { sites: { serverName: string; port: number; smokeTest: string }[] }).sites;
    expect(sites.map((s) => [s.serverName, s.port, s.smokeTest])).toEqual([
      ["iam.api.marmotedu.com", 8080, expect.stringMatching(/^curl http:\/\/\S+:8080\/healthz$/)],
      ["iam.authz.marmotedu.com", 9090, expect.stringMatching(/^curl http:\/\/\S+:9090\/healthz$/)],
    ]);
  });
});
