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
