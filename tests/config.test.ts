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
    const required = readDeclaredKeys().filter((k) => k.default === undefined && !OPTIONAL_SECRETS.includes(k.name)).map((k) => k.name);
    expect(required.sort()).toEqual(["adminCidr", "availabilityZone", "dbPassword", "nodes", "sites", "sshPrivateKey", "sshPublicKey", "vrrpAuthPass"]);
    const minimal = Object.fromEntries(required.map((k) => [k, prod[k]]));
    const c = loadConfig(mapSource(minimal, SECRET_KEYS));
    expect(c.vrrp.havip).toBe("10.0.4.99");
    expect(c.upstream).toEqual({ maxFails: 1, failTimeout: 3, connectTimeout: 1, keepalive: 16 });
  });

  test("node priorities default to 100, 90, 80 …", () => {
    const c = loadConfig(mapSource(withNodes({ name: "a1", privateIp: "10.0.4.5" }, { name: "b2", privateIp: "10.0.4.6" }, { name: "c3", privateIp: "10.0.4.7" }), SECRET_KEYS));
    expect(c.nodes.map((n) => n.priority)).toEqual([100, 90, 80]);
  });
});

describe("bad input is refused with the key and the fix", () => {
  test.each<[string, Record<string, unknown>, string]>([
    ["malformed IP", withNodes(node1, { ...node2, privateIp: "10.0.4" }), 'iam-ha:nodes[1].privateIp: "10.0.4" is not an IPv4 address. Fix: write it as a.b.c.d'],
    ["malformed CIDR", { ...prod, subnetCidr: "10.0.4.0/33" }, 'iam-ha:subnetCidr: "10.0.4.0/33" is not an IPv4 CIDR'],
    ["CIDR with host bits", { ...prod, subnetCidr: "10.0.4.7/24" }, 'iam-ha:subnetCidr: "10.0.4.7/24" has host bits set. Fix: use 10.0.4.0/24.'],
    ["node outside the subnet", withNodes(node1, { ...node2, privateIp: "10.0.5.21" }), "iam-ha:nodes[1].privateIp: 10.0.5.21 is outside subnetCidr 10.0.4.0/24. Fix: use an address inside the subnet"],
    ["HAVIP outside the subnet", { ...prod, havip: "10.0.5.99" }, "iam-ha:havip: 10.0.5.99 is outside subnetCidr 10.0.4.0/24"],
    ["node on the network address", withNodes(node1, { ...node2, privateIp: "10.0.4.0" }), "iam-ha:nodes[1].privateIp: 10.0.4.0 is the subnet's network address. Fix: use a host address of the subnet."],
    ["HAVIP on the broadcast address", { ...prod, havip: "10.0.4.255" }, "iam-ha:havip: 10.0.4.255 is the subnet's broadcast address"],
    ["duplicate node IPs", withNodes(node1, { ...node2, privateIp: "10.0.4.20" }), "iam-ha:nodes[1].privateIp: 10.0.4.20 is also used by nodes[0]. Fix: give every node its own privateIp."],
    ["HAVIP equal to a node IP", { ...prod, havip: "10.0.4.21" }, "iam-ha:havip: 10.0.4.21 is node-2's own address. Fix: pick a free address for the HAVIP."],
    ["fewer than two nodes", withNodes(node1), "iam-ha:nodes: has 1 node(s); failover needs at least 2. Fix: list two or more nodes."],
    ["duplicate priorities", withNodes(node1, { ...node2, priority: 100 }), "iam-ha:nodes[1].priority: 100 is also used by nodes[0]"],
    ["priority out of range", withNodes(node1, { ...node2, priority: 255 }), "iam-ha:nodes[1].priority: 255 is outside keepalived's 1-254. Fix: pick a priority from 1 to 254."],
    ["priority zero", withNodes(node1, { ...node2, priority: 0 }), "iam-ha:nodes[1].priority: 0 is outside keepalived's 1-254"],
    ["virtual_router_id out of range", { ...prod, virtualRouterId: 256 }, "iam-ha:virtualRouterId: 256 is outside 1-255. Fix: pick a whole number from 1 to 255."],
    ["empty auth password", { ...prod, vrrpAuthPass: "" }, "iam-ha:vrrpAuthPass: is empty. Fix: run: pulumi config set --secret vrrpAuthPass '<1-8 random characters>'."],
    ["auth password over 8 characters", { ...prod, vrrpAuthPass: "123456789" }, "iam-ha:vrrpAuthPass: has 9 characters; keepalived's PASS authentication uses at most 8"],
    ["the article's auth password 1111", { ...prod, vrrpAuthPass: "1111" }, "iam-ha:vrrpAuthPass: is the article's sample password"],
    ["the article's auth password 123456", { ...prod, vrrpAuthPass: "123456" }, "iam-ha:vrrpAuthPass: is the article's sample password"],
    ["a database password with a newline", { ...prod, dbPassword: "two\nlines" }, "iam-ha:dbPassword: contains a control character such as a newline"],
    ["the article's database password", { ...prod, dbPassword: "iam1234" }, "iam-ha:dbPassword: is the article's sample password. Fix: run: pulumi config set --secret dbPassword '<a strong password>'."],
    ["a site without a server name", { ...prod, sites: [{ port: 8080 }] }, "iam-ha:sites[0].serverName: Invalid input: expected string, received undefined"],
    ["a site without a port", { ...prod, sites: [{ serverName: "iam.api.marmotedu.com" }] }, "iam-ha:sites[0].port: Invalid input: expected number, received undefined"],
    ["a site on nginx's own port", { ...prod, sites: [{ serverName: "a.example.com", port: 80 }] }, "iam-ha:sites[0].port: 80 is the port nginx itself listens on"],
    ["SSH open to the world", { ...prod, adminCidr: "0.0.0.0/0" }, "iam-ha:adminCidr: 0.0.0.0/0 would open SSH to the whole Internet"],
    ["a database node that does not exist", { ...prod, dbNode: "node-9" }, 'iam-ha:dbNode: "node-9" is not one of the nodes (node-1, node-2)'],
    ["an unknown privilege", { ...prod, dbPrivileges: "SELECT,FLY" }, 'iam-ha:dbPrivileges: "FLY" is not a MariaDB table privilege'],
    ["an unknown OS family", { ...prod, osFamily: "arch" }, 'iam-ha:osFamily: "arch" is not one of debian, rhel. Fix: run: pulumi config set osFamily debian.'],
    ["bastion without a host", { ...prod, sshVia: "bastion" }, "iam-ha:bastionHost: is empty but sshVia is bastion"],
    ["not a number", { ...prod, advertInt: "fast" }, 'iam-ha:advertInt: must be a whole number; got "fast"'],
    ["a typo in a key", { ...prod, havipp: "10.0.4.99" }, "iam-ha:havipp: is not a key this program reads. Fix: remove it, or use one of: nodes, sites,"],
    ["a missing required key", { ...prod, availabilityZone: undefined }, "iam-ha:availabilityZone: is not set. Fix: run: pulumi config set availabilityZone '<value>'."],
    ["nodes not a list", { ...prod, nodes: "node-1" }, "iam-ha:nodes: must be a list"],
    ["an unknown node field", withNodes(node1, { ...node2, ip: "10.0.4.21" }), 'iam-ha:nodes[1]: Unrecognized key: "ip"'],
    ["a public key that is no key", { ...prod, sshPublicKey: "hello" }, "iam-ha:sshPublicKey: is not an OpenSSH public key"],
    ["only an existing VPC", { ...prod, vpcId: "vpc-123" }, "iam-ha:subnetId: an existing VPC and subnet go together. Fix: set both vpcId and subnetId, or neither."],
  ])("%s", (_what, values, message) => {
    const problems = problemsOf(values);
    expect(problems.join("\n")).toContain(message);
  });

  test("a secret key may not carry a default in Pulumi.yaml (the CLI would store it unencrypted)", () => {
    expect(readDeclaredKeys().filter((k) => k.secret && k.default !== undefined).map((k) => k.name)).toEqual([]);
  });

  test("a VRRP password keepalived.conf cannot hold is refused before rendering", () => {
    expect(problemsOf({ ...prod, vrrpAuthPass: "S3c{r;t" }).join("\n")).toContain("iam-ha:vrrpAuthPass: contains a space, quote, brace");
  });

  test("a secret stored in plain text is refused", () => {
    const problems = problemsOf(prod, ["dbPassword", "sshPrivateKey"]);
    expect(problems).toEqual(["iam-ha:vrrpAuthPass: is stored in plain text in the stack file. Fix: run: pulumi config set --secret vrrpAuthPass '<value>'."]);
  });

  test("all problems are reported at once, and the error says nothing was created", () => {
    const values = { ...prod, havip: "10.0.5.99", virtualRouterId: 0, vrrpAuthPass: "1111" };
    expect(problemsOf(values)).toHaveLength(3);
    expect(() => loadConfig(mapSource(values, SECRET_KEYS))).toThrow(/has 3 problem\(s\); nothing was created\./);
  });

  test("the prod stack itself has no problem", () => {
    expect(problemsOf(prod)).toEqual([]);
  });
});

test("the README's configuration table is the one Pulumi.yaml makes", () => {
  expect(readmeTable()).toBe(configReferenceTable());
});
