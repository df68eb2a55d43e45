import { TABLE_PRIVILEGES } from "../config/checks";
import { readDeclaredKeys } from "../config/declaredKeys";
import { OPTIONAL_SECRETS } from "../config/rawValues";
import { configReferenceTable, readmeTable } from "../config/referenceTable";
import { loadConfig } from "../config/load";
import { ConfigError } from "../config/problems";
import { mapSource } from "../config/source";
import { SECRET_KEYS, stackValues, TEST_SECRETS } from "./fixtures/stacks";

const prod = stackValues("prod");

function problemsOf(values: Record<string, unknown>, secretKeys = SECRET_KEYS): string[] {
  try {
    loadConfig(mapSource(values, secretKeys));
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
    expect(c.nodes).toEqual([node1, node2]);
    expect(c.vrrp).toMatchObject({ havip: "10.0.4.99", virtualRouterId: 51, advertInt: 1, interface: "eth0" });
    expect(c.sites).toEqual([
      { serverName: "iam.api.marmotedu.com", port: 8080, clientMaxBodySize: "5m" },
      { serverName: "iam.authz.marmotedu.com", port: 9090, clientMaxBodySize: "5m" },
    ]);
    expect(c.database).toEqual({ node: "node-1", name: "iam", user: "iam", privileges: ["ALL"] });
    expect(c.network.subnetCidr).toBe("10.0.4.0/24");
    expect(c.secrets).toEqual({ ...TEST_SECRETS, alertWebhook: "" });
  });

  test("every default comes from Pulumi.yaml: a stack with only the required keys loads", () => {
    const required = readDeclaredKeys()
      .filter((k) => k.default === undefined && !OPTIONAL_SECRETS.includes(k.name))
      .map((k) => k.name);
    expect(required.sort()).toEqual(["adminCidr", "availabilityZone", "dbPassword", "nodes", "sites", "sshPrivateKey", "sshPublicKey", "vrrpAuthPass"]);
    const minimal = Object.fromEntries(required.map((k) => [k, prod[k]]));
    const c = loadConfig(mapSource(minimal, SECRET_KEYS));
    expect(c.vrrp.havip).toBe("10.0.4.99");
    expect(c.upstream).toEqual({ maxFails: 1, failTimeout: 3, connectTimeout: 1, keepalive: 16 });
  });

  test("node priorities default to 100, 90, 80 …", () => {
    const c = loadConfig(
      mapSource(withNodes({ name: "a1", privateIp: "10.0.4.5" }, { name: "b2", privateIp: "10.0.4.6" }, { name: "c3", privateIp: "10.0.4.7" }), SECRET_KEYS),
    );
    expect(c.nodes.map((n) => n.priority)).toEqual([100, 90, 80]);
  });
});

describe("bad input is refused with the key and the fix", () => {
  const passFix = "Fix: run: pulumi config set --secret vrrpAuthPass '<1-8 random characters>'.";
  const dbPassFix = "Fix: run: pulumi config set --secret dbPassword '<a strong password>'.";
  const inSubnetFix = "Fix: use an address inside the subnet: an HAVIP only moves between nodes of its own subnet.";
  const stackFileFix = "Fix: correct it in the stack file (example: Pulumi.prod.yaml).";
  // Each bad input gives exactly one problem, and the whole line: key, value, what is wrong, the fix.
  test.each<[string, Record<string, unknown>, string]>([
    [
      "malformed IP",
      withNodes(node1, { ...node2, privateIp: "10.0.4" }),
      'iam-ha:nodes[1].privateIp: "10.0.4" is not an IPv4 address. Fix: write it as a.b.c.d, e.g. 10.0.4.20.',
    ],
    [
      "malformed CIDR",
      { ...prod, subnetCidr: "10.0.4.0/33" },
      'iam-ha:subnetCidr: "10.0.4.0/33" is not an IPv4 CIDR. Fix: write it as address/prefix, e.g. 10.0.4.0/24.',
    ],
    ["CIDR with host bits", { ...prod, subnetCidr: "10.0.4.7/24" }, 'iam-ha:subnetCidr: "10.0.4.7/24" has host bits set. Fix: use 10.0.4.0/24.'],
    [
      "node outside the subnet",
      withNodes(node1, { ...node2, privateIp: "10.0.5.21" }),
      `iam-ha:nodes[1].privateIp: 10.0.5.21 is outside subnetCidr 10.0.4.0/24. ${inSubnetFix}`,
    ],
    ["HAVIP outside the subnet", { ...prod, havip: "10.0.5.99" }, `iam-ha:havip: 10.0.5.99 is outside subnetCidr 10.0.4.0/24. ${inSubnetFix}`],
    [
      "node on the network address",
      withNodes(node1, { ...node2, privateIp: "10.0.4.0" }),
      "iam-ha:nodes[1].privateIp: 10.0.4.0 is the subnet's network address. Fix: use a host address of the subnet.",
    ],
    [
      "HAVIP on the broadcast address",
      { ...prod, havip: "10.0.4.255" },
      "iam-ha:havip: 10.0.4.255 is the subnet's broadcast address. Fix: use a host address of the subnet.",
    ],
    [
      "duplicate node IPs",
      withNodes(node1, { ...node2, privateIp: "10.0.4.20" }),
      "iam-ha:nodes[1].privateIp: 10.0.4.20 is also used by nodes[0]. Fix: give every node its own privateIp.",
    ],
    ["HAVIP equal to a node IP", { ...prod, havip: "10.0.4.21" }, "iam-ha:havip: 10.0.4.21 is node-2's own address. Fix: pick a free address for the HAVIP."],
    ["fewer than two nodes", withNodes(node1), "iam-ha:nodes: has 1 node(s); failover needs at least 2. Fix: list two or more nodes."],
    [
      "duplicate priorities",
      withNodes(node1, { ...node2, priority: 100 }),
      "iam-ha:nodes[1].priority: 100 is also used by nodes[0]. Fix: give every node its own priority.",
    ],
    [
      "priority out of range",
      withNodes(node1, { ...node2, priority: 255 }),
      "iam-ha:nodes[1].priority: 255 is outside keepalived's 1-254. Fix: pick a priority from 1 to 254.",
    ],
    [
      "priority zero",
      withNodes(node1, { ...node2, priority: 0 }),
      "iam-ha:nodes[1].priority: 0 is outside keepalived's 1-254. Fix: pick a priority from 1 to 254.",
    ],
    [
      "virtual_router_id out of range",
      { ...prod, virtualRouterId: 256 },
      "iam-ha:virtualRouterId: 256 is outside 1-255. Fix: pick a whole number from 1 to 255.",
    ],
    ["empty auth password", { ...prod, vrrpAuthPass: "" }, `iam-ha:vrrpAuthPass: is empty. ${passFix}`],
    [
      "auth password over 8 characters",
      { ...prod, vrrpAuthPass: "123456789" },
      `iam-ha:vrrpAuthPass: has 9 characters; keepalived's PASS authentication uses at most 8. ${passFix}`,
    ],
    ["the article's auth password 1111", { ...prod, vrrpAuthPass: "1111" }, `iam-ha:vrrpAuthPass: is the article's sample password. ${passFix}`],
    ["the article's auth password 123456", { ...prod, vrrpAuthPass: "123456" }, `iam-ha:vrrpAuthPass: is the article's sample password. ${passFix}`],
    [
      "a database password with a newline",
      { ...prod, dbPassword: "two\nlines" },
      `iam-ha:dbPassword: contains a control character such as a newline. ${dbPassFix}`,
    ],
    ["the article's database password", { ...prod, dbPassword: "iam1234" }, `iam-ha:dbPassword: is the article's sample password. ${dbPassFix}`],
    [
      "a site without a server name",
      { ...prod, sites: [{ port: 8080 }] },
      `iam-ha:sites[0].serverName: Invalid input: expected string, received undefined. ${stackFileFix}`,
    ],
    [
      "a site without a port",
      { ...prod, sites: [{ serverName: "iam.api.marmotedu.com" }] },
      `iam-ha:sites[0].port: Invalid input: expected number, received undefined. ${stackFileFix}`,
    ],
    [
      "a site on nginx's own port",
      { ...prod, sites: [{ serverName: "a.example.com", port: 80 }] },
      "iam-ha:sites[0].port: 80 is the port nginx itself listens on. Fix: run the backend on another port, e.g. 8080.",
    ],
    [
      "SSH open to the world",
      { ...prod, adminCidr: "0.0.0.0/0" },
      "iam-ha:adminCidr: 0.0.0.0/0 would open SSH to the whole Internet. Fix: set your own egress address, e.g. 203.0.113.10/32.",
    ],
    [
      "a database node that does not exist",
      { ...prod, dbNode: "node-9" },
      'iam-ha:dbNode: "node-9" is not one of the nodes (node-1, node-2). Fix: name a node from iam-ha:nodes, or leave it empty for the first.',
    ],
    [
      "an unknown privilege",
      { ...prod, dbPrivileges: "SELECT,FLY" },
      `iam-ha:dbPrivileges: "FLY" is not a MariaDB table privilege. Fix: use ALL or a comma-separated list of ${TABLE_PRIVILEGES.join(", ")}.`,
    ],
    ["an unknown OS family", { ...prod, osFamily: "arch" }, 'iam-ha:osFamily: "arch" is not one of debian, rhel. Fix: run: pulumi config set osFamily debian.'],
    [
      "bastion without a host",
      { ...prod, sshVia: "bastion" },
      "iam-ha:bastionHost: is empty but sshVia is bastion. Fix: set the bastion's address, or another sshVia.",
    ],
    ["not a number", { ...prod, advertInt: "fast" }, 'iam-ha:advertInt: must be a whole number; got "fast". Fix: run: pulumi config set advertInt <number>.'],
    [
      "a typo in a key",
      { ...prod, havipp: "10.0.4.99" },
      `iam-ha:havipp: is not a key this program reads. Fix: remove it, or use one of: ${readDeclaredKeys()
        .map((k) => k.name)
        .join(", ")}.`,
    ],
    [
      "a missing required key",
      { ...prod, availabilityZone: undefined },
      "iam-ha:availabilityZone: is not set. Fix: run: pulumi config set availabilityZone '<value>'.",
    ],
    ["nodes not a list", { ...prod, nodes: "node-1" }, "iam-ha:nodes: must be a list. Fix: write it as a YAML list in the stack file (see Pulumi.prod.yaml)."],
    ["an unknown node field", withNodes(node1, { ...node2, ip: "10.0.4.21" }), `iam-ha:nodes[1]: Unrecognized key: "ip". ${stackFileFix}`],
    [
      "a public key that is no key",
      { ...prod, sshPublicKey: "hello" },
      "iam-ha:sshPublicKey: is not an OpenSSH public key. Fix: paste the one line of your key's .pub file.",
    ],
    [
      "only an existing VPC",
      { ...prod, vpcId: "vpc-123" },
      "iam-ha:subnetId: an existing VPC and subnet go together. Fix: set both vpcId and subnetId, or neither.",
    ],
  ])("%s", (_what, values, message) => {
    expect(problemsOf(values)).toEqual([message]);
  });

  test("a secret key may not carry a default in Pulumi.yaml (the CLI would store it unencrypted)", () => {
    expect(
      readDeclaredKeys()
        .filter((k) => k.secret && k.default !== undefined)
        .map((k) => k.name),
    ).toEqual([]);
  });

  test.each([
    ["a space", "S3c r3t"],
    ["a quote", 'S3c"r3t'],
    ["a brace and a semicolon", "S3c{r;t"],
    ["a # (a comment in keepalived.conf)", "S3c#r3t"],
    ["a backslash", "S3c\\r3t"],
    ["a ! (keepalived reads the rest as a comment: Xy7!k2Qz would be Xy7)", "Xy7!k2Qz"],
    ["a $ (keepalived expands $NAME)", "S3c$HOME"],
    ["a non-ASCII letter", "S3crét"],
  ])("a VRRP password keepalived.conf cannot hold is refused before rendering: %s", (_what, pass) => {
    expect(problemsOf({ ...prod, vrrpAuthPass: pass })).toEqual([
      `iam-ha:vrrpAuthPass: contains a space, quote, brace, ; # \\ ! $ or a non-ASCII character, which keepalived.conf cannot hold. ${passFix}`,
    ]);
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

test("the README's configuration table is the one Pulumi.yaml makes", () => {
  expect(readmeTable()).toBe(configReferenceTable());
});
