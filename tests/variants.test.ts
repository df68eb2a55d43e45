import { asPulumiConfig } from "../config/stackFile";
import { ProgramRun, Registration, runProgram, unwrap } from "../lab/program/programUnderMocks";
import { TYPES } from "../tencentcloud/tokens";
import { named, ofType, runWith } from "./fixtures/program";
import { SECRET_KEYS, stackValues, TEST_KEY_PAIR } from "./fixtures/stacks";

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

describe("active-active: two VIPs, each preferred by its own front door (examples/Pulumi.activeactive.yaml)", () => {
  let run: ProgramRun;
  const nodes = ["pair-a", "pair-b"];
  /** Each EIP the fake cloud makes gets an address of its own, so a binding to the wrong one shows. */
  const eips = new Map<string, string>();
  const havipId = (address: string) => `havip-${address.replace(/\./g, "-")}`;
  beforeAll(async () => {
    const values = { ...exampleValues("activeactive"), vrrpAuthPass: undefined };
    run = await runProgram({
      config: asPulumiConfig(values, { "tencentcloud:region": "ap-guangzhou" }),
      secretKeys: SECRET_KEYS.map((k) => `iam-ha:${k}`),
      cloud: (type, name, inputs) => {
        if (type === TYPES.havip) return { id: havipId(inputs.vip as string) };
        if (type !== TYPES.eip) return {};
        if (!eips.has(name)) eips.set(name, `203.0.113.${eips.size + 20}`);
        return { publicIp: eips.get(name) };
      },
    });
  });

  interface VipOutput {
    address: string;
    virtualRouterId: number;
    instanceName: string;
    statePath: string;
    preferred: string;
    preemptDelay: number;
    havipId: string;
    publicIp: string;
    smokeTests: string[];
  }
  const vipsOutput = () => (run.outputs as { vips: VipOutput[] }).vips;
  /** The resources of one type that belong to the same PublicAccess component as `resource`. */
  const besides = (resource: Registration, type: string) => ofType(run, type).filter((r) => r.parent === resource.parent);
  const keepalivedOf = (node: string) => unwrap(named(run, `${node}-keepalived`).inputs.stdin) as string;
  /** keepalived.conf's vrrp_instance blocks, by instance name. */
  const instancesOf = (conf: string) => Object.fromEntries([...conf.matchAll(/^vrrp_instance (\S+) \{\n([\s\S]*?)^\}/gm)].map((m) => [m[1], m[2]]));

  test("per VIP one HAVIP on its address, one EIP, and one binding of that EIP to that HAVIP, made after every front door's vrrp-release", () => {
    const havips = ofType(run, TYPES.havip);
    expect(havips.map((r) => r.inputs.vip)).toEqual(["172.20.16.50", "172.20.16.51"]);
    expect(ofType(run, TYPES.eip)).toHaveLength(2);
    expect(ofType(run, TYPES.havipEipAttachment)).toHaveLength(2);
    for (const havip of havips) {
      const [eip] = besides(havip, TYPES.eip);
      const [binding] = besides(havip, TYPES.havipEipAttachment);
      const address = havip.inputs.vip as string;
      expect([address, binding.inputs.havipId, binding.inputs.addressIp]).toEqual([address, havipId(address), eips.get(eip.name)]);
      for (const node of nodes) expect([address, binding.dependencies]).toEqual([address, expect.arrayContaining([named(run, `${node}-vrrp-release`).urn])]);
    }
    expect(new Set(eips.values()).size).toBe(2);
  });

  test("each front door may hold each HAVIP: the primary's attachments keep a one-VIP stack's names, the second's carry its router id", () => {
    const holders = ofType(run, TYPES.havipInstanceAttachment);
    expect(holders.map((r) => r.name).sort()).toEqual([
      "iam-ha-havip-pair-a",
      "iam-ha-havip-pair-b",
      "iam-ha-vip-172.20.16.51-havip-pair-a",
      "iam-ha-vip-172.20.16.51-havip-pair-b",
    ]);
    for (const holder of holders) {
      const [havip] = besides(holder, TYPES.havip);
      const address = holder.name.startsWith("iam-ha-vip-172.20.16.51-") ? "172.20.16.51" : "172.20.16.50";
      expect([holder.name, havip.inputs.vip, holder.inputs.haVipId]).toEqual([holder.name, address, havipId(address)]);
      // The mocks give every resource the id <name>-id: this is the node's own CVM.
      expect(holder.inputs.instanceId).toBe(`iam-ha-${holder.name.split("havip-")[1]}-id`);
    }
  });

  test("each node's keepalived runs both VRRP instances, preemptive after 10 s, each VIP's preferred node with its highest priority", () => {
    const priorities = nodes.map((node) => {
      const instances = instancesOf(keepalivedOf(node));
      expect([node, Object.keys(instances)]).toEqual([node, ["IAM_HA_81", "IAM_HA_82"]]);
      for (const [name, block] of Object.entries(instances)) {
        expect([node, name, /^\s*preempt_delay (\d+)$/m.exec(block)?.[1], /^\s*nopreempt$/m.test(block)]).toEqual([node, name, "10", false]);
      }
      expect(/virtual_router_id (\d+)[\s\S]*virtual_ipaddress \{\s*(\S+)/.exec(instances.IAM_HA_82)!.slice(1)).toEqual(["82", "172.20.16.51"]);
      return [node, Object.values(instances).map((block) => Number(/^\s*priority (\d+)$/m.exec(block)![1]))];
    });
    expect(priorities).toEqual([
      ["pair-a", [250, 240]],
      ["pair-b", [240, 250]],
    ]);
  });

  test("the vips output lists both VIPs, each with its HAVIP id, its EIP and a smoke test per site on that EIP", () => {
    const vips = vipsOutput();
    expect(vips.map((v) => [v.address, v.virtualRouterId, v.instanceName, v.statePath, v.preferred, v.preemptDelay, v.havipId])).toEqual([
      ["172.20.16.50", 81, "IAM_HA_81", "/iam-ha-state", "pair-a", 10, havipId("172.20.16.50")],
      ["172.20.16.51", 82, "IAM_HA_82", "/iam-ha-state-82", "pair-b", 10, havipId("172.20.16.51")],
    ]);
    for (const vip of vips) {
      const [eip] = besides(
        ofType(run, TYPES.havip).find((r) => r.inputs.vip === vip.address)!,
        TYPES.eip,
      );
      expect(vip.publicIp).toBe(eips.get(eip.name));
      expect(vip.smokeTests).toEqual([
        `curl -H 'Host: iam.api.marmotedu.com' http://${vip.publicIp}/healthz`,
        `curl -H 'Host: iam.authz.marmotedu.com' http://${vip.publicIp}/healthz`,
      ]);
    }
    // The one-VIP outputs stay the primary's.
    expect([run.outputs.publicIp, run.outputs.havip, run.outputs.havipId]).toEqual([vips[0].publicIp, vips[0].address, vips[0].havipId]);
  });

  test("nginx serves each VIP's state at its own path, from the file the notify script writes for that VIP, where the VIP watch asks", () => {
    for (const node of nodes) {
      const nginx = unwrap(named(run, `${node}-nginx`).inputs.stdin) as string;
      const keepalived = keepalivedOf(node);
      const servedFiles = vipsOutput().map((vip) => {
        const served = new RegExp(`location = ${vip.statePath} \\{[^}]*alias (\\S+);`).exec(nginx)?.[1];
        const written = new RegExp(`'${vip.address}'\\) state_file='([^']+)'`).exec(keepalived)?.[1];
        expect([node, vip.address, served]).toEqual([node, vip.address, written ?? "(the notify script writes no file for this VIP)"]);
        expect(keepalived).toContain(`'${vip.address} ${vip.statePath} `);
        return served;
      });
      expect(new Set(servedFiles).size).toBe(2);
    }
  });

  test("while its nginx is down, each node's firewall passes both VIPs' new connections on to the other front door", () => {
    for (const [node, peer] of [
      ["pair-a", "172.20.16.12"],
      ["pair-b", "172.20.16.11"],
    ]) {
      const firewall = unwrap(named(run, `${node}-firewall`).inputs.stdin) as string;
      const fallbacks = [...firewall.matchAll(/ip daddr (\S+) tcp dport 80 counter dnat ip to (\S+)/g)].map((m) => [m[1], m[2]]);
      expect([node, fallbacks]).toEqual([
        node,
        [
          ["172.20.16.50", peer],
          ["172.20.16.51", peer],
        ],
      ]);
    }
  });
});

describe("behind a CLB across two zones (examples/Pulumi.clb.yaml)", () => {
  let run: ProgramRun;
  const doors = ["zone-a1", "zone-a2", "zone-b1", "zone-b2"];
  const sites = ["iam.api.marmotedu.com", "iam.authz.marmotedu.com"];
  beforeAll(async () => {
    run = await runWith({ ...exampleValues("clb"), vrrpAuthPass: undefined });
  });

  test("no HAVIP, no EIP and no keepalived: every front door runs ready, packages, firewall and nginx", () => {
    for (const type of [TYPES.havip, TYPES.eip, TYPES.havipEipAttachment, HOLDER]) expect([type, ofType(run, type)]).toEqual([type, []]);
    expect(doors.map((n) => [n, stepsOf(run, n).filter((s) => !s.startsWith("grant-"))])).toEqual(
      doors.map((n) => [n, ["ready", "packages", "firewall", "nginx"]]),
    );
  });

  test("a subnet per zone, and each node's CVM in its zone's subnet", () => {
    const subnets = Object.fromEntries(ofType(run, TYPES.subnet).map((s) => [s.name, s.inputs]));
    expect(subnets).toEqual({
      "iam-ha-subnet": expect.objectContaining({ availabilityZone: "ap-guangzhou-3", cidrBlock: "172.20.20.0/24" }),
      "iam-ha-subnet-ap-guangzhou-4": expect.objectContaining({ availabilityZone: "ap-guangzhou-4", cidrBlock: "172.20.21.0/24" }),
    });
    const placed = ofType(run, TYPES.instance)
      .map((cvm) => [cvm.name, cvm.inputs.availabilityZone, cvm.inputs.subnetId])
      .sort();
    expect(placed).toEqual([
      ["iam-ha-zone-a1", "ap-guangzhou-3", "iam-ha-subnet-id"],
      ["iam-ha-zone-a2", "ap-guangzhou-3", "iam-ha-subnet-id"],
      ["iam-ha-zone-b1", "ap-guangzhou-4", "iam-ha-subnet-ap-guangzhou-4-id"],
      ["iam-ha-zone-b2", "ap-guangzhou-4", "iam-ha-subnet-ap-guangzhou-4-id"],
    ]);
  });

  test("one CLB in its master and standby zones, one HTTP listener, one rule per site checking /healthz through nginx, one attachment per rule with every front door", () => {
    const [clb] = ofType(run, TYPES.clb);
    expect(clb.inputs).toMatchObject({ networkType: "OPEN", masterZoneId: "ap-guangzhou-3", slaveZoneId: "ap-guangzhou-4", loadBalancerPassToTarget: true });
    expect(ofType(run, TYPES.clbListener).map((l) => [l.inputs.protocol, l.inputs.port])).toEqual([["HTTP", 80]]);
    const rules = ofType(run, TYPES.clbListenerRule);
    expect(
      rules.map((r) => [r.inputs.domain, r.inputs.url, r.inputs.healthCheckHttpPath, r.inputs.healthCheckHttpDomain, r.inputs.healthCheckIntervalTime]),
    ).toEqual(sites.map((site) => [site, "/", "/healthz", site, 3]));
    const attachments = ofType(run, TYPES.clbAttachment);
    const instanceIds = doors.map((n) => `iam-ha-${n}-id`);
    expect(attachments.map((a) => [a.name, (a.inputs.targets as { instanceId: string; port: number }[]).map((t) => [t.instanceId, t.port])])).toEqual(
      sites.map((site) => [`iam-ha-clb-${site}-targets`, instanceIds.map((id) => [id, 80])]),
    );
    // A target only once its nginx serves.
    for (const a of attachments) expect(a.dependencies).toEqual(expect.arrayContaining(doors.map((n) => named(run, `${n}-nginx`).urn)));
  });

  test("the nodes' security group opens nothing to the Internet (the CLB's own does), and the outputs name the CLB", () => {
    const groups = ofType(run, TYPES.securityGroupRuleSet);
    const open = (r: (typeof groups)[number]) =>
      (r.inputs.ingresses as { cidrBlock: string; port: string }[]).filter((i) => i.cidrBlock === "0.0.0.0/0").map((i) => i.port);
    expect(groups.map((g) => [g.name, open(g)])).toEqual([
      ["iam-ha-sg-rules", []],
      ["iam-ha-clb-sg-rules", ["80"]],
    ]);
    expect(run.outputs).toMatchObject({ publicIp: "203.0.113.98", frontDoor: "clb" });
    expect(run.outputs.havip).toBeUndefined();
    expect((run.outputs.sites as { smokeTest: string }[]).map((s) => s.smokeTest)).toEqual(
      sites.map((site) => `curl -H 'Host: ${site}' http://203.0.113.98/healthz`),
    );
  });
});
