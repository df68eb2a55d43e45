import * as fs from "fs";
import * as path from "path";
import { readDeclaredKeys } from "../config/declaredKeys";
import { OPTIONAL_LISTS, OPTIONAL_SECRETS } from "../config/rawValues";
import { configReferenceTable, readmeTable } from "../config/referenceTable";
import { loadConfig } from "../config/load";
import { ConfigError } from "../config/problems";
import { pulumiConfigJsonSource } from "../config/pulumiConfigJson";
import { mapSource } from "../config/source";
import { asPulumiConfig } from "../config/stackFile";
import { asJavaScriptSyntax, re2Unsupported } from "../config/re2";
import { configWarnings } from "../config/warnings";
import { PATHS } from "../render/osFacts";
import { planNode } from "../render/steps";
import { SECRET_KEYS, sshKeygen, stackOthers, stackValues, TEST_KEY_PAIR, TEST_SECRETS } from "./fixtures/stacks";
import { requireTools, run, tempDir } from "./fixtures/tools";

const prod = stackValues("prod");

function problemsOf(values: Record<string, unknown>, secretKeys = SECRET_KEYS, others: Record<string, unknown> = {}): string[] {
  try {
    loadConfig(mapSource(values, secretKeys, others));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const withNodes = (...nodes: object[]) => ({ ...prod, nodes });
const node1 = { name: "node-1", privateIp: "10.0.4.20", priority: 100 };
const node2 = { name: "node-2", privateIp: "10.0.4.21", priority: 50 };

describe("the prod stack file", () => {
  test("loads as the article's topology", () => {
    const c = loadConfig(mapSource(prod, SECRET_KEYS));
    // The article's addresses, with the default priorities (which fail over faster than its 100/50).
    expect(c.nodes).toEqual([
      { ...node1, role: "frontDoor", priority: 250 },
      { ...node2, role: "frontDoor", priority: 240 },
    ]);
    expect(c.vips).toEqual([{ address: "10.0.4.99", virtualRouterId: 51 }]);
    expect(c.vrrp).toMatchObject({ version: 2, advertInt: 1, interface: "eth0" });
    expect(c.sites).toEqual([
      { serverName: "iam.api.marmotedu.com", port: 8080, clientMaxBodySize: "5m" },
      { serverName: "iam.authz.marmotedu.com", port: 9090, clientMaxBodySize: "5m" },
    ]);
    expect(c.database).toEqual({ node: "node-1", name: "iam", user: "iam", privileges: ["ALL"] });
    expect(c.network.subnetCidr).toBe("10.0.4.0/24");
    expect(c.secrets).toEqual({ ...TEST_SECRETS, alertWebhook: "" });
    expect(c.compute.systemDiskType).toBe("CLOUD_PREMIUM");
    expect(c.ssh).toMatchObject({ via: "public", user: "ubuntu", keyPairId: undefined, bastion: undefined });
  });

  test("its example key is an RSA key of 4096 bits, which Tencent Cloud imports", () => {
    expect(String(prod.sshPublicKey)).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E\S+ iam-ha-prod-example$/);
    expect(problemsOf(prod, SECRET_KEYS, stackOthers("prod"))).toEqual([]);
  });

  test("every default comes from Pulumi.yaml: a stack with only the required keys loads", () => {
    const required = readDeclaredKeys()
      .filter((k) => k.default === undefined && ![...OPTIONAL_SECRETS, ...OPTIONAL_LISTS].includes(k.name))
      .map((k) => k.name);
    expect(required.sort()).toEqual(["adminCidr", "availabilityZone", "dbPassword", "nodes", "sites", "sshPrivateKey", "sshPublicKey"]);
    // vrrpAuthPass too: the default VRRP version, 2, authenticates with it.
    const minimal = Object.fromEntries([...required, "vrrpAuthPass"].map((k) => [k, prod[k]]));
    const c = loadConfig(mapSource(minimal, SECRET_KEYS));
    expect(c.vips[0].address).toBe("10.0.4.99");
    expect(c.upstream).toEqual({ maxFails: 1, failTimeout: 3, connectTimeoutMs: 300, keepalive: 16 });
  });

  test("node priorities default to 250, 240, 230 …", () => {
    const c = loadConfig(
      mapSource(withNodes({ name: "a1", privateIp: "10.0.4.5" }, { name: "b2", privateIp: "10.0.4.6" }, { name: "c3", privateIp: "10.0.4.7" }), SECRET_KEYS),
    );
    expect(c.nodes.map((n) => n.priority)).toEqual([250, 240, 230]);
  });
});

describe("one VIP (havip) or several (vips)", () => {
  /** Each vrrp_instance block of `node`'s keepalived.conf, by instance name. */
  const instancesOf = (values: Record<string, unknown>, node: string) => {
    const config = loadConfig(mapSource(values, SECRET_KEYS));
    const step = planNode(
      config,
      config.nodes.find((n) => n.name === node)!,
    ).steps.find((s) => s.kind === "keepalived")!;
    const conf = step.files.find((f) => f.path === PATHS.keepalivedConf)!.content;
    return Object.fromEntries([...conf.matchAll(/^vrrp_instance (\S+) \{\n([\s\S]*?)^\}/gm)].map((m) => [m[1], m[2]]));
  };

  test("a one-VIP stack loads as vips [{address: havip, virtualRouterId}], and keepalived runs it as one non-preemptive instance", () => {
    const oneVip = { ...withNodes(node1, node2), virtualRouterId: 77 };
    expect(loadConfig(mapSource(oneVip, SECRET_KEYS)).vips).toEqual([{ address: "10.0.4.99", virtualRouterId: 77 }]);
    for (const node of ["node-1", "node-2"]) {
      const instances = instancesOf(oneVip, node);
      expect([node, Object.keys(instances)]).toEqual([node, ["IAM_HA_77"]]);
      const block = instances.IAM_HA_77;
      expect([node, /^\s*nopreempt$/m.test(block), /preempt_delay/.test(block), /virtual_ipaddress \{\s*(\S+)/.exec(block)![1]]).toEqual([
        node,
        true,
        false,
        "10.0.4.99",
      ]);
    }
    // Without a preferred node, each keeps its configured priority.
    const priorities = [node1, node2].map((n) => n.priority);
    expect(["node-1", "node-2"].map((node) => Number(/^\s*priority (\d+)$/m.exec(instancesOf(oneVip, node).IAM_HA_77)![1]))).toEqual(priorities);
  });

  test("the active-active example loads both VIPs as written", () => {
    const values = { ...stackValues("activeactive"), sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined };
    expect(loadConfig(mapSource(values, SECRET_KEYS)).vips).toEqual([
      { address: "172.20.16.50", virtualRouterId: 81, preferred: "pair-a", preemptDelay: 10 },
      { address: "172.20.16.51", virtualRouterId: 82, preferred: "pair-b", preemptDelay: 10 },
    ]);
  });
});

describe("bad input is refused with the key and the fix (each refusal: tests/refusals.test.ts)", () => {
  const passFix = "Fix: run: pulumi config set --secret vrrpAuthPass '<1-8 random characters>'.";
  const inSubnetFix = "Fix: use an address inside the subnet: an HAVIP only moves between nodes of its own subnet.";

  test("a secret key may not carry a default in Pulumi.yaml (the CLI would store it unencrypted)", () => {
    expect(
      readDeclaredKeys()
        .filter((k) => k.secret && k.default !== undefined)
        .map((k) => k.name),
    ).toEqual([]);
  });

  test("a secret stored in plain text is refused", () => {
    const problems = problemsOf(prod, ["dbPassword", "sshPrivateKey"]);
    expect(problems).toEqual(["iam-ha:vrrpAuthPass: is stored in plain text in the stack file. Fix: run: pulumi config set --secret vrrpAuthPass '<value>'."]);
  });

  test("all problems are reported at once, each with its key and fix, and the error says nothing was created", () => {
    const values = { ...prod, havip: "10.0.5.99", virtualRouterId: 0, vrrpAuthPass: "1111" };
    const expected = [
      `iam-ha:havip: 10.0.5.99 is outside subnetCidr 10.0.4.0/24. ${inSubnetFix}`,
      "iam-ha:virtualRouterId: 0 is outside 1-255. Fix: pick a whole number from 1 to 255.",
      `iam-ha:vrrpAuthPass: is the article's sample password. ${passFix}`,
    ];
    expect(problemsOf(values)).toEqual(expected);
    expect(() => loadConfig(mapSource(values, SECRET_KEYS))).toThrow(
      ["The stack configuration has 3 problem(s); nothing was created.", ...expected.map((p) => `  - ${p}`)].join("\n"),
    );
  });

  test("the prod stack itself has no problem", () => {
    expect(problemsOf(prod)).toEqual([]);
  });
});

describe("what the rules let through", () => {
  const ed25519 = sshKeygen("ed25519").publicKey;
  const viaBastion = { ...prod, sshVia: "bastion", bastionHost: "bastion.example.com", bastionUser: "jump", bastionHostKey: ed25519 };

  test("a bastion's pinned host key, user and port reach ssh.bastion", () => {
    const c = loadConfig(mapSource({ ...viaBastion, adminCidr: "10.0.1.5/32", bastionPort: 2222 }, SECRET_KEYS));
    expect(c.ssh.bastion).toEqual({ host: "bastion.example.com", user: "jump", port: 2222, hostKey: ed25519 });
  });

  test("a key pair already in the account is used by its id (Tencent refuses to import one public key twice)", () => {
    expect(loadConfig(mapSource({ ...prod, sshKeyPairId: "skey-4e5ty7i8" }, SECRET_KEYS)).ssh.keyPairId).toBe("skey-4e5ty7i8");
  });

  test("every system disk type of the provider is taken", () => {
    for (const type of ["LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD"]) {
      expect(loadConfig(mapSource({ ...prod, systemDiskType: type }, SECRET_KEYS)).compute.systemDiskType).toBe(type);
    }
  });

  test.each([
    ["a private range wider than a /16 behind a bastion", { ...viaBastion, adminCidr: "10.0.0.0/8" }],
    ["a private /32 from inside the VPC", { ...prod, sshVia: "private", adminCidr: "10.0.1.5/32" }],
    ["a public /16 with sshVia public", { ...prod, adminCidr: "198.51.0.0/16" }],
    ["an existing VPC and subnet, the subnet's CIDR given", { ...prod, vpcId: "vpc-2ab3cd4e", subnetId: "subnet-5fg6hi7j", vpcCidr: "not used" }],
    [
      "a 192.168.0.0/16 VPC with a /28 subnet",
      {
        ...prod,
        vpcCidr: "192.168.0.0/16",
        subnetCidr: "192.168.4.0/28",
        havip: "192.168.4.14",
        nodes: [
          { name: "node-1", privateIp: "192.168.4.2" },
          { name: "node-2", privateIp: "192.168.4.13" },
        ],
      },
    ],
    [
      "a 172.16.0.0/12 VPC, the largest Tencent sells",
      {
        ...prod,
        vpcCidr: "172.16.0.0/12",
        subnetCidr: "172.20.0.0/16",
        havip: "172.20.0.99",
        nodes: [
          { name: "node-1", privateIp: "172.20.0.20" },
          { name: "node-2", privateIp: "172.20.0.21" },
        ],
      },
    ],
    ["RE2's inline flags and (?P<name>…) in the image regex", { ...prod, imageNameRegex: "(?i)^ubuntu server (?P<version>22\\.04) lts 64" }],
    ["RE2's \\Q…\\E and \\x{…} in the image regex", { ...prod, imageNameRegex: "^\\QUbuntu Server 22.04\\E\\x{20}LTS" }],
    ["a webhook with a percent-encoded path", { ...prod, alertWebhook: "https://hooks.example.com/caf%C3%A9?key=a%20b" }],
  ])("%s is accepted", (_what, values) => {
    expect(problemsOf(values, [...SECRET_KEYS, "alertWebhook"])).toEqual([]);
  });

  test("the zone is checked against tencentcloud:region only when the stack sets one", () => {
    expect(problemsOf(prod, SECRET_KEYS, { "tencentcloud:region": "ap-guangzhou" })).toEqual([]);
    expect(problemsOf(prod, SECRET_KEYS, {})).toEqual([]);
  });

  test("the verifier's source (pulumi config --json) checks the zone against its tencentcloud:region too", () => {
    const file = { values: { ...prod }, others: { ...stackOthers("prod"), "tencentcloud:region": "ap-shanghai" } };
    const json = Object.fromEntries(
      Object.entries(asPulumiConfig(file.values, file.others)).map(([k, value]) => [k, { value, secret: SECRET_KEYS.some((s) => k === `iam-ha:${s}`) }]),
    );
    expect(() => loadConfig(pulumiConfigJsonSource(json))).toThrow("iam-ha:availabilityZone: ap-guangzhou-3 is not a zone of tencentcloud:region ap-shanghai.");
  });
});

describe("the image regex check agrees with Go's regexp, which the provider compiles imageNameRegex with", () => {
  // Go's own parser says which patterns compile. Left out: (?<name>…), which Go accepts since 1.22
  // (the provider is built with 1.24) but Debian 12's Go 1.19 does not.
  const GO_COMPILE = `package main

import ("bufio"; "encoding/json"; "fmt"; "os"; "regexp")

func main() {
\tlines := bufio.NewScanner(os.Stdin)
\tfor lines.Scan() {
\t\tvar pattern string
\t\tjson.Unmarshal(lines.Bytes(), &pattern)
\t\t_, err := regexp.Compile(pattern)
\t\tfmt.Println(err == nil)
\t}
}
`;
  const patterns = [
    ...["^Ubuntu Server 22.04 LTS 64", "(?i)^ubuntu", "(?i:ubuntu) 22", "(?-i)a", "(?U)a+", "(?s).", "(?m)^a$", "(?P<v>22\\.04)", "^\\QUbuntu 22.04\\E"],
    ...["\\Q(?=\\E", "\\Q(?i)[\\E", "\\Qa.b", "\\x{20}", "\\x20", "[\\d\\s]+", "\\p{L}+", "\\pL", "\\p{Greek}", "[\\p{L}]", "[[:alpha:]]+", "é+", "[é-ü]"],
    ...["a{2}", "a{2,}", "a{2,3}?", "x{1000}", "x{1001}", "x{2,1001}", "x{,3}", "a*?", "a+?", "a??", "\\Aabc\\z", "\\bUbuntu\\b", "[\\b]", "\\012", "\\0"],
    ...["\\1", "\\8", "(a)\\1", "\\k<n>", "(?=x)", "(?!x)", "(?<=x)", "(?<!x)", "(?>x)", "a*+", "a++", "a?+", "a{2}+", "[a-z]{1,3}+", "[(?=]", "(?#c)"],
    ...["\\cJ", "\\u0041", "\\u{41}", "\\e", "\\Z", "\\y", "\\C", "\\G", "\\h", "\\R", "\\X", "\\K", "\\E", "\\Q", "\\", "\\v", "\\f", "\\a"],
    ...["\\-", "\\/", "\\#", "\\ ", "\\.", "[\\-a]", "[\\w-]", "[^]a]", "[]a]", "a|b", "(?:a)", "a{2}{3}", "(a", "a)", "[a", "*a", "a**", "\\D\\S\\W"],
  ];
  const ours = (pattern: string) => {
    if (re2Unsupported(pattern)) return false;
    try {
      new RegExp(asJavaScriptSyntax(pattern));
      return true;
    } catch {
      return false;
    }
  };

  test("on lookaround, backreferences, atomic groups, possessive and repeat counts, escapes, flags and plain syntax errors", () => {
    requireTools("go");
    const dir = tempDir("re2");
    fs.writeFileSync(path.join(dir, "compile.go"), GO_COMPILE);
    const go = run("go", ["run", path.join(dir, "compile.go")], { input: patterns.map((p) => JSON.stringify(p)).join("\n") + "\n" });
    expect(go.stderr).toBe("");
    const goVerdicts = go.stdout
      .trim()
      .split("\n")
      .map((line) => line === "true");
    expect(goVerdicts).toHaveLength(patterns.length);
    expect(new Set(goVerdicts)).toEqual(new Set([true, false]));
    const disagreements = patterns.flatMap((p, i) => (ours(p) === goVerdicts[i] ? [] : [`${p}: go says ${goVerdicts[i]}`]));
    expect(disagreements).toEqual([]);
  });
});

test("the README's configuration table is the one Pulumi.yaml makes", () => {
  expect(readmeTable()).toBe(configReferenceTable());
});

describe("warnings: what the config allows but an operator should hear", () => {
  const warningsFor = (values: Record<string, unknown>) =>
    configWarnings(loadConfig(mapSource({ ...stackValues("prod"), ...values }, [...SECRET_KEYS, "alertWebhook"], stackOthers("prod"))));
  const publicWebhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=s3cr3t";

  test("nodes without a public IP and a webhook on the Internet: the posts will time out, and the warning says how to fix it without quoting the secret URL", () => {
    const warnings = warningsFor({ nodeBandwidthOut: 0, sshVia: "private", adminCidr: "10.0.4.0/24", alertWebhook: publicWebhook });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^iam-ha:alertWebhook: the nodes have no public IP \(nodeBandwidthOut: 0\).*Fix: add a NAT gateway/);
    expect(warnings[0]).not.toContain("qyapi");
    expect(warnings[0]).not.toContain("s3cr3t");
  });

  test("no warning with public IPs, with a relay inside the VPC, or without a webhook", () => {
    expect(warningsFor({ alertWebhook: publicWebhook })).toEqual([]);
    expect(warningsFor({ nodeBandwidthOut: 0, sshVia: "private", adminCidr: "10.0.4.0/24", alertWebhook: "http://10.0.4.5:8080/hook" })).toEqual([]);
    expect(warningsFor({ nodeBandwidthOut: 0, sshVia: "private", adminCidr: "10.0.4.0/24" })).toEqual([]);
  });

  test("a webhook behind a CLB: no keepalived posts to it, and the warning says where to alert instead", () => {
    const warnings = warningsFor({ frontDoor: "clb", alertWebhook: publicWebhook });
    expect(warnings).toEqual([expect.stringMatching(/^iam-ha:alertWebhook: with frontDoor clb no keepalived runs.*Fix: remove it/)]);
    expect(warningsFor({ frontDoor: "clb" })).toEqual([]);
  });
});
