import * as fs from "fs";
import * as path from "path";
import { ProgramRun, redact, unwrap, isSecretValue } from "../lab/program/programUnderMocks";
import { ipv4InCidr, portSpecCovers } from "../policy/lib/network";
import schema from "../tencentcloud/schema-v0.2.3.json";
import { answeringInvokes, howTheProgramEnds, named, ofType, runWith } from "./fixtures/program";
import { stackValues, TEST_SECRETS, threeNodeValues } from "./fixtures/stacks";

const COMMAND = "command:remote:Command";
const T = {
  vpc: "tencentcloud:Vpc/instance:Instance",
  subnet: "tencentcloud:Subnet/instance:Instance",
  sg: "tencentcloud:Security/group:Group",
  rules: "tencentcloud:Security/groupRuleSet:GroupRuleSet",
  key: "tencentcloud:Key/pair:Pair",
  cvm: "tencentcloud:Instance/instance:Instance",
  havip: "tencentcloud:Ha/vip:Vip",
  eip: "tencentcloud:Eip/instance:Instance",
  attachment: "tencentcloud:Ha/vipEipAttachment:VipEipAttachment",
  holder: "tencentcloud:Ha/vipInstanceAttachment:VipInstanceAttachment",
};

describe("the prod stack under mocks (the article's topology)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runWith(stackValues("prod"));
  });

  test("declares exactly the article's cloud resources", () => {
    const counts = Object.fromEntries(Object.values(T).map((t) => [t, ofType(run, t).length]));
    expect(counts).toEqual({
      [T.vpc]: 1,
      [T.subnet]: 1,
      [T.sg]: 1,
      [T.rules]: 1,
      [T.key]: 1,
      [T.cvm]: 2,
      [T.havip]: 1,
      [T.eip]: 1,
      [T.attachment]: 1,
      [T.holder]: 2,
    });
    expect(
      ofType(run, T.cvm)
        .map((r) => r.inputs.privateIp)
        .sort(),
    ).toEqual(["10.0.4.20", "10.0.4.21"]);
    expect(named(run, "iam-ha-subnet").inputs).toMatchObject({ cidrBlock: "10.0.4.0/24", availabilityZone: "ap-guangzhou-3" });
    expect(named(run, "iam-ha-havip").inputs).toMatchObject({ vip: "10.0.4.99", subnetId: "iam-ha-subnet-id", vpcId: "iam-ha-vpc-id" });
  });

  test("binds the EIP's public address (not its id) to the HAVIP", () => {
    expect(named(run, "iam-ha-eip-attachment").inputs).toEqual({ havipId: "iam-ha-havip-id", addressIp: "203.0.113.99" });
  });

  test("every Tencent resource asks for the real plugin: tencentcloud 0.2.3 from tencentcloudstack", () => {
    const tencent = run.registrations.filter((r) => r.type.startsWith("tencentcloud:") || r.type === "pulumi:providers:tencentcloud");
    expect(tencent.length).toBe(13);
    for (const r of tencent) {
      expect([r.name, r.version, r.pluginDownloadURL]).toEqual([r.name, "0.2.3", "github://api.github.com/tencentcloudstack"]);
    }
    const provider = ofType(run, "pulumi:providers:tencentcloud")[0];
    expect(provider.inputs.region).toBe("ap-guangzhou");
    for (const r of ofType(run, T.cvm)) expect(r.provider).toMatch(/^urn:pulumi:.*pulumi:providers:tencentcloud::tencentcloud::/);
  });

  test("CVMs use the key pair, the security group and the looked-up image", () => {
    for (const cvm of ofType(run, T.cvm)) {
      expect(cvm.inputs).toMatchObject({
        keyIds: ["iam-ha-key-id"],
        orderlySecurityGroups: ["iam-ha-sg-id"],
        imageId: "img-test",
        subnetId: "iam-ha-subnet-id",
      });
    }
  });

  test("runs ready → packages → firewall → nginx → vrrp-hold → keepalived → vrrp-release → grant on node-1, and the front door on node-2", () => {
    const steps = (node: string) =>
      ofType(run, COMMAND)
        .filter((r) => r.name.startsWith(`${node}-`))
        .map((r) => r.name.slice(node.length + 1));
    const frontDoor = ["ready", "packages", "firewall", "nginx", "vrrp-hold", "keepalived", "vrrp-release"];
    expect(steps("node-1")).toEqual([...frontDoor, "grant-node-2"]);
    expect(steps("node-2")).toEqual(frontDoor);
    for (const node of ["node-1", "node-2"]) {
      for (let i = 1; i < frontDoor.length; i++) {
        expect(named(run, `${node}-${frontDoor[i]}`).dependencies).toContain(named(run, `${node}-${frontDoor[i - 1]}`).urn);
      }
    }
  });

  test("the first step waits for the CVM and the rules that let SSH in", () => {
    for (const node of ["node-1", "node-2"]) {
      expect(named(run, `${node}-ready`).dependencies).toEqual(expect.arrayContaining([named(run, `iam-ha-${node}`).urn, named(run, "iam-ha-sg-rules").urn]));
    }
  });

  test.each(["nginx", "keepalived"])(
    "nodes take a new %s config one at a time, with no VIP holder the backup (node-2, priority 240) first and node-1 (250, MASTER first) last",
    (step) => {
      expect(named(run, `node-1-${step}`).dependencies).toContain(named(run, `node-2-${step}`).urn);
      expect(named(run, `node-2-${step}`).dependencies).not.toContain(named(run, `node-1-${step}`).urn);
    },
  );

  test("no node takes new VRRP settings before every node's hold ran; every release waits for the last keepalived", () => {
    for (const node of ["node-1", "node-2"]) expect(named(run, "node-2-keepalived").dependencies).toContain(named(run, `${node}-vrrp-hold`).urn);
    for (const node of ["node-1", "node-2"]) expect(named(run, `${node}-vrrp-release`).dependencies).toContain(named(run, "node-1-keepalived").urn);
  });

  test("a CVM or key pair that must be replaced goes first (pinned IP, fixed key name)", () => {
    for (const name of ["iam-ha-node-1", "iam-ha-node-2", "iam-ha-key"]) expect(named(run, name).deleteBeforeReplace).toBe(true);
    expect(named(run, "iam-ha-key").inputs.keyName).toBe("iam_ha_test");
  });

  test("binds the EIP only after keepalived runs, released into the election, on every node", () => {
    const deps = named(run, "iam-ha-eip-attachment").dependencies;
    expect(deps).toEqual(expect.arrayContaining([named(run, "node-1-vrrp-release").urn, named(run, "node-2-vrrp-release").urn]));
  });

  test("grants the iam database to iam@10.0.4.21 on node-1, and drops exactly that account on destroy", () => {
    const grant = named(run, "node-1-grant-node-2");
    const script = unwrap(grant.inputs.stdin) as string;
    expect(script).toContain("GRANT ALL PRIVILEGES ON `iam`.* TO 'iam'@'10.0.4.21';");
    expect(script).toContain("DROP USER IF EXISTS 'iam'@'10.0.4.21';");
    expect(grant.inputs.delete).toBe("sudo -n bash -s -- remove");
    expect(grant.inputs.triggers).toEqual(["iam@10.0.4.21", "iam"]);
  });

  test("no secret value appears in plaintext in any input", () => {
    const plaintext = JSON.stringify(run.registrations.map((r) => redact(r.inputs)));
    for (const [key, secret] of Object.entries(TEST_SECRETS)) {
      const probe = key === "dbPassword" ? "db-Test-pw" : (secret.trim().split("\n")[1] ?? secret);
      expect(plaintext).not.toContain(probe);
    }
    // ...and yet they reach the hosts, inside secret inputs.
    expect(unwrap(named(run, "node-1-keepalived").inputs.stdin)).toContain(`auth_pass ${TEST_SECRETS.vrrpAuthPass}`);
  });

  test("steps that carry a secret hide it in state and logs", () => {
    for (const name of ["node-1-keepalived", "node-2-keepalived", "node-1-grant-node-2"]) {
      const r = named(run, name);
      expect(isSecretValue(r.inputs.stdin)).toBe(true);
      expect(r.inputs.logging).toBe("none");
      expect(r.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
    }
    for (const r of ofType(run, COMMAND)) {
      expect(isSecretValue(r.inputs.connection)).toBe(true);
      expect(r.inputs.addPreviousOutputInEnv).toBe(false);
      expect(r.inputs.environment).toBeUndefined();
      // The command line is fixed: the content travels on stdin.
      expect(r.inputs.create).toBe("sudo -n bash -s -- apply");
    }
  });

  test("nginx and keepalived steps carry the rendered files on stdin", () => {
    const nginx = unwrap(named(run, "node-2-nginx").inputs.stdin) as string;
    expect(nginx).toContain("stage '/etc/nginx/iam-ha.d/iam.api.marmotedu.com.conf' '0644'");
    expect(nginx).toContain("server 10.0.4.20:8080 max_fails=1 fail_timeout=3s;");
    expect(nginx).toContain("server 127.0.0.1:8080 max_fails=1 fail_timeout=3s;");
  });

  test("must not open SSH (22) or MariaDB (3306) to the Internet", () => {
    const ingresses = named(run, "iam-ha-sg-rules").inputs.ingresses as Record<string, string>[];
    const open = ingresses.filter((r) => r.cidrBlock === "0.0.0.0/0");
    expect(open).toEqual([{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "80", description: "HTTP to nginx" }]);
    expect(ingresses.find((r) => r.port === "22")?.cidrBlock).toBe("203.0.113.10/32");
    expect(ingresses.filter((r) => r.port === "3306").map((r) => r.cidrBlock)).toEqual(["10.0.4.21/32"]);
    expect(ingresses.filter((r) => r.protocol === "ALL").map((r) => r.cidrBlock)).toEqual(["10.0.4.20/32", "10.0.4.21/32"]);
  });

  test("components parent their children", () => {
    expect(named(run, "iam-ha-eip").parent).toMatch(/iam-ha:network:PublicAccess::iam-ha$/);
    expect(named(run, "node-1-nginx").parent).toMatch(/iam-ha:host:HostSetup::node-1$/);
    expect(named(run, "iam-ha-node-1").parent).toMatch(/iam-ha:compute:Nodes::iam-ha$/);
    expect(named(run, "iam-ha-sg-rules").parent).toMatch(/iam-ha:network:Network::iam-ha$/);
  });

  test("exports the public IP, the HAVIP, the nodes and a smoke test per site", () => {
    const { publicIp, havip, nodeAddresses, sites } = run.outputs as any;
    expect(publicIp).toBe("203.0.113.99");
    expect(havip).toBe("10.0.4.99");
    expect(nodeAddresses.map((n: any) => [n.name, n.instanceId, n.privateIp])).toEqual([
      ["node-1", "iam-ha-node-1-id", "10.0.4.20"],
      ["node-2", "iam-ha-node-2-id", "10.0.4.21"],
    ]);
    expect((run.outputs as any).havipId).toBe("iam-ha-havip-id");
    expect(nodeAddresses[0].publicIp).toMatch(/^198\.51\.100\./);
    expect(sites).toEqual([
      {
        serverName: "iam.api.marmotedu.com",
        url: "http://iam.api.marmotedu.com/",
        smokeTest: "curl -H 'Host: iam.api.marmotedu.com' http://203.0.113.99/healthz",
      },
      {
        serverName: "iam.authz.marmotedu.com",
        url: "http://iam.authz.marmotedu.com/",
        smokeTest: "curl -H 'Host: iam.authz.marmotedu.com' http://203.0.113.99/healthz",
      },
    ]);
  });

  test("resource names are unique (the engine refuses duplicates; mocks do not)", () => {
    const keys = run.registrations.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

/** One packet arriving at a node: where from, which IP protocol, which port (TCP and UDP only). */
type Packet = [from: string, protocol: "TCP" | "UDP" | "ICMP" | "VRRP", port?: number];
type Ingress = { action: string; cidrBlock: string; protocol: string; port: string };

const ingressesOf = (run: ProgramRun) => named(run, "iam-ha-sg-rules").inputs.ingresses as Ingress[];

/**
 * What Tencent Cloud does with a packet: the rules are matched from the top, the first match
 * (ACCEPT or DROP) decides, and a packet no rule matches is dropped (Tencent Cloud, 安全组概述,
 * https://www.tencentcloud.com/zh/document/product/213/12452: "规则优先级 … 如果匹配某一条规则成功
 * (允许通过/拒绝通过),则不再匹配该规则之后的规则"; "安全组未添加任何规则时,默认拒绝所有流量").
 */
function verdict(ingresses: Ingress[], [from, protocol, port]: Packet): string {
  const rule = ingresses.find(
    (r) => ipv4InCidr(from, r.cidrBlock) && (r.protocol === "ALL" || (r.protocol === protocol && port !== undefined && portSpecCovers(r.port, port))),
  );
  return rule?.action ?? "DROP (no rule)";
}

const ADMIN = "203.0.113.10";
const INTERNET = "198.51.100.7";
const NODE_1 = "10.0.4.20"; // the database node
const NODE_2 = "10.0.4.21";
/** A CVM in the subnet that is not one of the stack's nodes. */
const STRANGER = "10.0.4.50";

describe("the security group, rule by rule as Tencent evaluates it", () => {
  const runs: Record<string, Ingress[]> = {};
  beforeAll(async () => {
    runs.prod = ingressesOf(await runWith(stackValues("prod")));
    runs.sshPort2222 = ingressesOf(await runWith({ ...stackValues("prod"), sshPort: 2222 }));
    // With sshVia private the admin CIDR may be the nodes' own subnet: it covers the peers.
    runs.adminIsSubnet = ingressesOf(await runWith({ ...stackValues("prod"), sshVia: "private", adminCidr: "10.0.4.0/24", sshPort: 2222 }));
    // No nginx: the sites' own ports face the Internet.
    runs.vipOnly = ingressesOf(await runWith({ ...stackValues("prod"), frontDoor: "vipOnly" }));
    runs.vipOnlyNoWatch = ingressesOf(await runWith({ ...stackValues("prod"), frontDoor: "vipOnly", vipWatchSeconds: 0 }));
  });

  test.each<[string, string, string, Packet]>([
    ["prod", "node-2's nginx → backend 8080", "ACCEPT", [NODE_2, "TCP", 8080]],
    ["prod", "node-2's nginx → backend 9090", "ACCEPT", [NODE_2, "TCP", 9090]],
    ["prod", "node-1's nginx → backend 8080", "ACCEPT", [NODE_1, "TCP", 8080]],
    ["prod", "node-2 → MariaDB", "ACCEPT", [NODE_2, "TCP", 3306]],
    ["prod", "node-1 (the database node) → MariaDB elsewhere", "DROP", [NODE_1, "TCP", 3306]],
    ["prod", "node-2's VIP watch → nginx", "ACCEPT", [NODE_2, "TCP", 80]],
    ["prod", "node-2 → SSH", "DROP", [NODE_2, "TCP", 22]],
    ["prod", "node-2 → any other TCP port", "DROP", [NODE_2, "TCP", 5432]],
    ["prod", "node-2 → UDP", "DROP", [NODE_2, "UDP", 53]],
    ["prod", "node-2 → VRRP (IP protocol 112)", "ACCEPT", [NODE_2, "VRRP"]],
    ["prod", "node-1 → VRRP", "ACCEPT", [NODE_1, "VRRP"]],
    ["prod", "node-2 → ICMP", "ACCEPT", [NODE_2, "ICMP"]],
    ["prod", "admin → SSH", "ACCEPT", [ADMIN, "TCP", 22]],
    ["prod", "admin → backend", "DROP (no rule)", [ADMIN, "TCP", 8080]],
    ["prod", "admin → MariaDB", "DROP (no rule)", [ADMIN, "TCP", 3306]],
    ["prod", "Internet → HTTP", "ACCEPT", [INTERNET, "TCP", 80]],
    ["prod", "Internet → SSH", "DROP (no rule)", [INTERNET, "TCP", 22]],
    ["prod", "Internet → MariaDB", "DROP (no rule)", [INTERNET, "TCP", 3306]],
    ["prod", "Internet → backend", "DROP (no rule)", [INTERNET, "TCP", 8080]],
    ["prod", "Internet → VRRP", "DROP (no rule)", [INTERNET, "VRRP"]],
    ["prod", "another CVM in the subnet → VRRP", "DROP (no rule)", [STRANGER, "VRRP"]],
    ["prod", "another CVM in the subnet → backend", "DROP (no rule)", [STRANGER, "TCP", 8080]],
    ["sshPort2222", "admin → SSH on sshPort", "ACCEPT", [ADMIN, "TCP", 2222]],
    ["sshPort2222", "admin → port 22", "DROP (no rule)", [ADMIN, "TCP", 22]],
    ["sshPort2222", "node-2 → SSH on sshPort", "DROP", [NODE_2, "TCP", 2222]],
    ["adminIsSubnet", "the in-VPC runner → SSH", "ACCEPT", ["10.0.4.5", "TCP", 2222]],
    ["adminIsSubnet", "node-2 (inside adminCidr) → SSH", "DROP", [NODE_2, "TCP", 2222]],
    ["adminIsSubnet", "node-1 (inside adminCidr) → SSH", "DROP", [NODE_1, "TCP", 2222]],
    ["adminIsSubnet", "node-2 (inside adminCidr) → VRRP", "ACCEPT", [NODE_2, "VRRP"]],
    ["vipOnly", "Internet → site 8080", "ACCEPT", [INTERNET, "TCP", 8080]],
    ["vipOnly", "Internet → site 9090", "ACCEPT", [INTERNET, "TCP", 9090]],
    ["vipOnly", "Internet → HTTP 80 (no nginx)", "DROP (no rule)", [INTERNET, "TCP", 80]],
    ["vipOnly", "Internet → the VRRP state port", "DROP (no rule)", [INTERNET, "TCP", 7799]],
    ["vipOnly", "Internet → SSH", "DROP (no rule)", [INTERNET, "TCP", 22]],
    ["vipOnly", "node-2 → site 8080 (the VIP fallback's masqueraded connections)", "ACCEPT", [NODE_2, "TCP", 8080]],
    ["vipOnly", "node-2's VIP watch → the VRRP state port", "ACCEPT", [NODE_2, "TCP", 7799]],
    ["vipOnly", "node-2 → MariaDB", "ACCEPT", [NODE_2, "TCP", 3306]],
    ["vipOnly", "node-2 → HTTP 80", "DROP", [NODE_2, "TCP", 80]],
    ["vipOnly", "node-2 → SSH", "DROP", [NODE_2, "TCP", 22]],
    ["vipOnly", "node-2 → VRRP", "ACCEPT", [NODE_2, "VRRP"]],
    ["vipOnly", "another CVM in the subnet → the VRRP state port", "DROP (no rule)", [STRANGER, "TCP", 7799]],
    ["vipOnlyNoWatch", "node-2 → the VRRP state port (no VIP watch)", "DROP", [NODE_2, "TCP", 7799]],
  ])("%s: %s → %s", (stack, _what, expected, packet) => {
    expect(verdict(runs[stack], packet)).toBe(expected);
  });

  test("every rule is one v0.2.3 can express: TCP or UDP with ports, or ALL with port ALL", () => {
    for (const rule of [...runs.prod, ...runs.adminIsSubnet, ...runs.vipOnly]) {
      expect(["ACCEPT", "DROP"]).toContain(rule.action);
      if (rule.protocol === "ALL") expect(rule.port).toBe("ALL");
      else expect(["TCP", "UDP"]).toContain(rule.protocol);
    }
  });
});

describe("the HAVIP and its EIP under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runWith(threeNodeValues());
  });

  test("a replaced EIP binding is unbound before the new one binds (HaVipAssociateAddressIp needs a free EIP)", () => {
    expect(named(run, "iam-ha-eip-attachment").deleteBeforeReplace).toBe(true);
  });

  test("a replaced HAVIP is deleted before its successor takes the same address", () => {
    expect(named(run, "iam-ha-havip").deleteBeforeReplace).toBe(true);
  });

  test("only the stack's nodes may take the HAVIP over: checkAssociate and one CVM attachment per node", () => {
    expect(named(run, "iam-ha-havip").inputs.checkAssociate).toBe(true);
    const holders = ofType(run, T.holder).map((r) => [r.name, r.inputs]);
    expect(holders.sort()).toEqual(
      ["node-1", "node-2", "node-3"].map((n) => [`iam-ha-havip-${n}`, { haVipId: "iam-ha-havip-id", instanceId: `iam-ha-${n}-id`, instanceType: "CVM" }]),
    );
  });

  test("the EIP is made only once its HAVIP exists (an EIP bound to nothing is billed as idle)", () => {
    expect(named(run, "iam-ha-eip").dependencies).toContain(named(run, "iam-ha-havip").urn);
  });

  test("the EIP is bound only once every node may hold the HAVIP", () => {
    const deps = named(run, "iam-ha-eip-attachment").dependencies;
    const holders = ofType(run, T.holder);
    expect(holders.length).toBe(3);
    for (const r of holders) expect(deps).toContain(r.urn);
  });
});

describe("the explicit provider under mocks", () => {
  /** Every provider config key v0.2.3 declares, with its type and whether the SDK keeps it secret. */
  const declared = Object.entries(schema.provider.config as Record<string, { type: string; secret?: boolean }>);
  /** A value of each type as a stack file would hold it (the region must hold the stack's zone). */
  const sample = (key: string, type: string): unknown =>
    key === "region"
      ? "ap-guangzhou"
      : type === "string"
        ? `${key}-value`
        : type === "boolean"
          ? true
          : type === "string[]"
            ? ["100001", "100002"]
            : { roleArn: `qcs::cam::uin/1:roleName/${key}`, sessionName: "iam-ha" };
  /** Settings that carry a credential or a token: secret in state whatever the stack says. */
  const CREDENTIALS = ["secretKey", "securityToken", "assumeRole", "assumeRoleWithSaml", "assumeRoleWithWebIdentity", "mfaCertification"];
  let provider: Record<string, unknown>;
  beforeAll(async () => {
    const values = Object.fromEntries(declared.map(([key, { type }]) => [`tencentcloud:${key}`, sample(key, type)]));
    const run = await runWith(stackValues("prod"), { values, secretKeys: CREDENTIALS.map((k) => `tencentcloud:${k}`) });
    provider = ofType(run, "pulumi:providers:tencentcloud")[0].inputs;
  });

  test("v0.2.3 declares the keys an operator reaches for: credentials, profile, role, endpoint", () => {
    expect(declared.map(([key]) => key)).toEqual(
      expect.arrayContaining([
        "region",
        "secretId",
        "secretKey",
        "securityToken",
        "profile",
        "sharedCredentialsDir",
        "assumeRole",
        "protocol",
        "domain",
        "cosDomain",
      ]),
    );
  });

  test.each(declared.map(([key, spec]) => [key, spec.type]))("passes on tencentcloud:%s (%s) as the SDK's Provider sends it", (key, type) => {
    const value = sample(key, type);
    expect(unwrap(provider[key])).toEqual(typeof value === "string" ? value : JSON.stringify(value));
  });

  test.each(CREDENTIALS)("keeps tencentcloud:%s secret", (key) => {
    expect(isSecretValue(provider[key])).toBe(true);
  });

  test("sets nothing the stack leaves unset", async () => {
    const run = await runWith(stackValues("prod"));
    const inputs = ofType(run, "pulumi:providers:tencentcloud")[0].inputs;
    expect(Object.entries(inputs).filter(([, v]) => v !== undefined)).toEqual([["region", "ap-guangzhou"]]);
  });
});

describe("an existing VPC and subnet under mocks", () => {
  const GET_SUBNETS = "tencentcloud:Vpc/getSubnets:getSubnets";
  const existing = { ...stackValues("prod"), vpcId: "vpc-existing", subnetId: "subnet-existing" };
  const matching = { instanceLists: [{ subnetId: "subnet-existing", vpcId: "vpc-existing", availabilityZone: "ap-guangzhou-3", cidrBlock: "10.0.4.0/24" }] };

  test("looks the subnet up by id in that VPC, and builds on it when its zone and CIDR are the stack's", async () => {
    const { result: run, asked } = await answeringInvokes({ [GET_SUBNETS]: () => matching }, () => runWith(existing));
    expect(asked).toEqual([[GET_SUBNETS, { vpcId: "vpc-existing", subnetId: "subnet-existing" }]]);
    expect(ofType(run, T.vpc).length + ofType(run, T.subnet).length).toBe(0);
    for (const cvm of ofType(run, T.cvm)) expect(cvm.inputs).toMatchObject({ vpcId: "vpc-existing", subnetId: "subnet-existing" });
    expect(named(run, "iam-ha-havip").inputs).toMatchObject({ vpcId: "vpc-existing", subnetId: "subnet-existing" });
  });

  test.each([
    [
      "in another zone",
      { availabilityZone: "ap-guangzhou-4" },
      "iam-ha:availabilityZone: subnet subnet-existing is in ap-guangzhou-4, not ap-guangzhou-3. Fix: set availabilityZone to ap-guangzhou-4, or subnetId to a subnet in ap-guangzhou-3.",
    ],
    [
      "with another CIDR",
      { cidrBlock: "10.0.8.0/24" },
      "iam-ha:subnetCidr: subnet subnet-existing is 10.0.8.0/24, not 10.0.4.0/24. Fix: set subnetCidr to 10.0.8.0/24 (and the nodes and havip inside it), or subnetId to a subnet of 10.0.4.0/24.",
    ],
    [
      "that is not in the VPC (or does not exist)",
      undefined,
      "iam-ha:subnetId: VPC vpc-existing has no subnet subnet-existing. Fix: set subnetId to a subnet of vpcId vpc-existing, or vpcId to the subnet's VPC.",
    ],
  ])("refuses a subnet %s, naming the key and the fix, and makes nothing of the network or front door", async (_what, actual, message) => {
    const instanceLists = actual
      ? [{ subnetId: "subnet-existing", vpcId: "vpc-existing", availabilityZone: "ap-guangzhou-3", cidrBlock: "10.0.4.0/24", ...actual }]
      : [];
    const outcome = await howTheProgramEnds(existing, { [GET_SUBNETS]: { instanceLists } });
    // The runtime prefixes the first input that could not be resolved ("error serializing property …").
    expect(outcome.error).toContain(`The existing subnet does not fit the stack configuration:\n  - ${message}`);
    expect(outcome.registered.filter((name) => /^iam-ha-(sg|sg-rules|node-\d+|havip|havip-node-\d+|eip|eip-attachment)$/.test(name))).toEqual([]);
  });

  test("the check itself lets a matching subnet through (the run completes)", async () => {
    const outcome = await howTheProgramEnds(existing, { [GET_SUBNETS]: matching });
    expect(outcome.completed).toBe(true);
    expect(outcome.registered).toEqual(expect.arrayContaining(["iam-ha-sg", "iam-ha-node-1", "iam-ha-havip", "iam-ha-eip"]));
  });
});

describe("the roll order under mocks: the node Tencent binds the HAVIP to goes last", () => {
  const GET_VIPS = "tencentcloud:Ha/getVips:getVips";
  const heldBy = (instanceId: string) => () => ({ haVipLists: [{ id: "havip-1", vip: "10.0.4.99", instanceId, state: "AVAILABLE" }] });
  const rollsBefore = (run: ProgramRun, first: string, last: string) =>
    ["nginx", "keepalived"].every(
      (step) =>
        named(run, `${last}-${step}`).dependencies.includes(named(run, `${first}-${step}`).urn) &&
        !named(run, `${first}-${step}`).dependencies.includes(named(run, `${last}-${step}`).urn),
    );

  test("asks getVips for the HAVIPs of the nodes' VPC and subnet", async () => {
    const { asked } = await answeringInvokes({ [GET_VIPS]: heldBy("iam-ha-node-2-id") }, () => runWith(stackValues("prod")));
    expect(asked).toEqual([[GET_VIPS, expect.objectContaining({ vpcId: "iam-ha-vpc-id", subnetId: "iam-ha-subnet-id" })]]);
  });

  test.each([
    { what: "node-2 (priority 240) holds it", holder: "iam-ha-node-2-id", first: "node-1", last: "node-2" },
    { what: "node-1 holds it", holder: "iam-ha-node-1-id", first: "node-2", last: "node-1" },
    { what: "an instance that is no node holds it: as with none, the highest priority", holder: "ins-stranger", first: "node-2", last: "node-1" },
  ])("$what: $first first, $last last", async ({ holder, first, last }) => {
    const { result: run } = await answeringInvokes({ [GET_VIPS]: heldBy(holder) }, () => runWith(stackValues("prod")));
    expect(rollsBefore(run, first, last)).toBe(true);
  });
});

describe("a three-node stack under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runWith(threeNodeValues());
  });

  test("makes three CVMs, a front door on each, and a grant for each peer", () => {
    expect(
      ofType(run, T.cvm)
        .map((r) => r.inputs.privateIp)
        .sort(),
    ).toEqual(["10.0.4.20", "10.0.4.21", "10.0.4.22"]);
    expect(ofType(run, COMMAND).filter((r) => r.name.endsWith("-keepalived")).length).toBe(3);
    expect(
      ofType(run, COMMAND)
        .filter((r) => r.name.includes("-grant-"))
        .map((r) => r.name),
    ).toEqual(["node-1-grant-node-2", "node-1-grant-node-3"]);
  });

  test("every node's keepalived peers with the two others", () => {
    const conf = unwrap(named(run, "node-3-keepalived").inputs.stdin) as string;
    expect(conf).toMatch(/unicast_src_ip 10\.0\.4\.22\n\s+unicast_peer \{\n\s+10\.0\.4\.20\n\s+10\.0\.4\.21\n\s+\}/);
  });

  test("the EIP waits for all three", () => {
    const deps = named(run, "iam-ha-eip-attachment").dependencies;
    for (const n of ["node-1", "node-2", "node-3"]) expect(deps).toContain(named(run, `${n}-vrrp-release`).urn);
  });
});

/**
 * Runs index.ts with values it must refuse: its error, and every registration that reached the
 * mock monitor all the same (the harness's record is lost when the program throws).
 */
async function refusedRun(values: Record<string, unknown>): Promise<{ error: unknown; registered: string[] }> {
  const monitor = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
  const original = monitor.registerResource;
  const registered: string[] = [];
  monitor.registerResource = function (req: any, callback: unknown) {
    registered.push(`${req.getType()}::${req.getName()}`);
    return original.call(this, req, callback);
  };
  try {
    const error = await runWith(values).then(
      () => undefined,
      (e: unknown) => e,
    );
    // A resource made before the throw would still be on its way to the monitor.
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    return { error, registered };
  } finally {
    monitor.registerResource = original;
  }
}

describe("bad input under mocks", () => {
  test.each([
    ["an HAVIP outside the subnet", { havip: "10.0.5.99" }, /iam-ha:havip: 10\.0\.5\.99 is outside subnetCidr 10\.0\.4\.0\/24/],
    ["a single node", { nodes: [{ name: "node-1", privateIp: "10.0.4.20", priority: 100 }] }, /iam-ha:nodes: has 1 front door\(s\); failover needs at least 2/],
    ["SSH open to the Internet", { adminCidr: "0.0.0.0/0" }, /iam-ha:adminCidr: 0\.0\.0\.0\/0 would open SSH to the whole Internet/],
  ])("refuses %s: registers nothing and names the key", async (_what, change, message) => {
    const { error, registered } = await refusedRun({ ...stackValues("prod"), ...change });
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(registered).toEqual([]);
  });
});

test("Pulumi.prod.yaml holds no secret", () => {
  const text = fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8");
  expect(text).not.toMatch(/vrrpAuthPass:|dbPassword:|sshPrivateKey:|BEGIN .*PRIVATE KEY/);
});
