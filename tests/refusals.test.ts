import { TABLE_PRIVILEGES } from "../config/checks";
import { readDeclaredKeys } from "../config/declaredKeys";
import { loadConfig } from "../config/load";
import { ConfigError } from "../config/problems";
import { mapSource } from "../config/source";
import { SECRET_KEYS, sshKeygen, stackOthers, stackValues } from "./fixtures/stacks";

/**
 * Every refusal of the config loader, one bad input per row: the change to the prod stack, and the
 * whole line the operator reads (key, value, what is wrong, the fix). A change's key with a ":" is
 * another namespace's (tencentcloud:region); the rest are iam-ha keys. Each row gives exactly one problem.
 */

const prod = stackValues("prod");

function problemsOf(change: Record<string, unknown>): string[] {
  const own = Object.fromEntries(Object.entries(change).filter(([k]) => !k.includes(":")));
  const others = { ...stackOthers("prod"), ...Object.fromEntries(Object.entries(change).filter(([k]) => k.includes(":"))) };
  try {
    loadConfig(mapSource({ ...prod, ...own }, [...SECRET_KEYS, "alertWebhook"], others));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const node1 = { name: "node-1", privateIp: "10.0.4.20", priority: 100 };
const node2 = { name: "node-2", privateIp: "10.0.4.21", priority: 50 };
const nodes = (...list: object[]) => ({ nodes: list });
/** Two VIPs for the active-active rows, on a prod stack that no longer sets havip. */
const vipA = { address: "10.0.4.99", virtualRouterId: 51, preferred: "node-1" };
const vipB = { address: "10.0.4.98", virtualRouterId: 52, preferred: "node-2" };
const withoutHavip = { havip: undefined };
const clb = { frontDoor: "clb" };
const zoneB = { availabilityZone: "ap-guangzhou-4", subnetCidr: "10.0.5.0/24" };
const bothFormsFix = (key: string) => `Fix: remove it (pulumi config rm ${key}) and give the address and router id in vips.`;
const existingSubnet = { vpcId: "vpc-2ab3cd4e", subnetId: "subnet-5fg6hi7j" };
const viaBastion = { sshVia: "bastion", bastionHost: "203.0.113.5", adminCidr: "10.0.1.5/32" };

const passFix = "Fix: run: pulumi config set --secret vrrpAuthPass '<1-8 random characters>'.";
const passChars = `iam-ha:vrrpAuthPass: contains a space, quote, brace, ; # \\ ! $ or a non-ASCII character, which keepalived.conf cannot hold. ${passFix}`;
const dbPassFix = "Fix: run: pulumi config set --secret dbPassword '<a strong password>'.";
const inSubnetFix = "Fix: use an address inside the subnet: an HAVIP only moves between nodes of its own subnet.";
const hostRangeFix = "Fix: use an address from 10.0.4.2 to 10.0.4.254.";
const stackFileFix = "Fix: correct it in the stack file (example: Pulumi.prod.yaml).";
const privateFix = "Tencent Cloud VPCs and subnets use only 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16";
const rsaFix =
  "Fix: make an RSA key with ssh-keygen -t rsa -b 4096 -f ~/.ssh/iam-ha, then set sshPublicKey from ~/.ssh/iam-ha.pub and sshPrivateKey from ~/.ssh/iam-ha.";
const hostKeyFix = "Fix: on the bastion, print its host key (cat /etc/ssh/ssh_host_ed25519_key.pub) and run: pulumi config set bastionHostKey '<that line>'.";
const regexFix =
  "Fix: write it in RE2 syntax (https://github.com/google/re2/wiki/Syntax): no lookaround, backreferences, atomic groups, possessive quantifiers or JavaScript-only escapes; or set imageId.";
const regexLine = (pattern: string, what: string) =>
  `iam-ha:imageNameRegex: "${pattern}" uses ${what}, which Go's RE2 (the provider's regexp) cannot run. ${regexFix}`;
const userFix = (example: string) => `Fix: use 1-32 lowercase letters, digits, _ or -, starting with a letter or _, e.g. ${example}.`;
const bastionHostLine = (host: string) =>
  `iam-ha:bastionHost: "${host}" is not an IPv4 address or a DNS name. Fix: set the bastion's address, e.g. 203.0.113.5 or bastion.example.com.`;
const portLine = (port: number, what: string) => `iam-ha:sites[0].port: ${port} is ${what}. Fix: run the backend on another port, e.g. 8080.`;
const vipPortLine = (port: number, what: string) => `iam-ha:sites[0].port: ${port} is ${what}. Fix: serve the site on another port, e.g. 8888.`;
const webhookFix = "Fix: percent-encode it (a space is %20, é is %C3%A9), then run: pulumi config set --secret alertWebhook 'https://…'.";

const systemSchemaLine = (name: string) =>
  `iam-ha:dbName: "${name}" is one of MariaDB's own schemas: privileges on it (mysql.* holds every account) let the peers take over the server. Fix: use the IAM database, e.g. iam.`;

const ed25519 = sshKeygen("ed25519").publicKey;
const ecdsa = sshKeygen("ecdsa", 256).publicKey;
const rsa1024 = sshKeygen("rsa", 1024).publicKey;

describe("every bad input is refused before anything is created, with its key and fix", () => {
  test.each<[string, Record<string, unknown>, string]>([
    // ---- addresses (issue 10 item 1: Tencent reserves the network, gateway and broadcast addresses)
    [
      "a malformed node IP",
      nodes(node1, { ...node2, privateIp: "10.0.4" }),
      'iam-ha:nodes[1].privateIp: "10.0.4" is not an IPv4 address. Fix: write it as a.b.c.d, e.g. 10.0.4.20.',
    ],
    [
      "a node outside the subnet",
      nodes(node1, { ...node2, privateIp: "10.0.5.21" }),
      `iam-ha:nodes[1].privateIp: 10.0.5.21 is outside subnetCidr 10.0.4.0/24. ${inSubnetFix}`,
    ],
    ["the HAVIP outside the subnet", { havip: "10.0.5.99" }, `iam-ha:havip: 10.0.5.99 is outside subnetCidr 10.0.4.0/24. ${inSubnetFix}`],
    [
      "a node on the network address",
      nodes(node1, { ...node2, privateIp: "10.0.4.0" }),
      `iam-ha:nodes[1].privateIp: 10.0.4.0 is the subnet's network address, which Tencent Cloud reserves. ${hostRangeFix}`,
    ],
    [
      "a node on the gateway address",
      nodes(node1, { ...node2, privateIp: "10.0.4.1" }),
      `iam-ha:nodes[1].privateIp: 10.0.4.1 is the subnet's gateway address, which Tencent Cloud reserves. ${hostRangeFix}`,
    ],
    [
      "the HAVIP on the gateway address",
      { havip: "10.0.4.1" },
      `iam-ha:havip: 10.0.4.1 is the subnet's gateway address, which Tencent Cloud reserves. ${hostRangeFix}`,
    ],
    [
      "the HAVIP on the broadcast address",
      { havip: "10.0.4.255" },
      `iam-ha:havip: 10.0.4.255 is the subnet's broadcast address, which Tencent Cloud reserves. ${hostRangeFix}`,
    ],
    [
      "the HAVIP on the gateway of an existing subnet",
      { ...existingSubnet, havip: "10.0.4.1" },
      `iam-ha:havip: 10.0.4.1 is the subnet's gateway address, which Tencent Cloud reserves. ${hostRangeFix}`,
    ],
    [
      "two nodes on one IP",
      nodes(node1, { ...node2, privateIp: "10.0.4.20" }),
      "iam-ha:nodes[1].privateIp: 10.0.4.20 is also used by nodes[0]. Fix: give every node its own privateIp.",
    ],
    ["the HAVIP on a node's IP", { havip: "10.0.4.21" }, "iam-ha:havip: 10.0.4.21 is node-2's own address. Fix: pick a free address for the HAVIP."],
    // ---- VPC and subnet CIDRs (item 1: private ranges and the sizes Tencent sells)
    [
      "a malformed CIDR",
      { subnetCidr: "10.0.4.0/33" },
      'iam-ha:subnetCidr: "10.0.4.0/33" is not an IPv4 CIDR. Fix: write it as address/prefix, e.g. 10.0.4.0/24.',
    ],
    ["a CIDR with host bits", { subnetCidr: "10.0.4.7/24" }, 'iam-ha:subnetCidr: "10.0.4.7/24" has host bits set. Fix: use 10.0.4.0/24.'],
    [
      "a VPC outside the private ranges",
      { vpcCidr: "100.64.0.0/16" },
      `iam-ha:vpcCidr: 100.64.0.0/16 is not in a private range; ${privateFix}. Fix: use a CIDR inside one of them, e.g. 10.0.0.0/16.`,
    ],
    [
      "a VPC larger than Tencent sells (/8)",
      { vpcCidr: "10.0.0.0/8" },
      "iam-ha:vpcCidr: 10.0.0.0/8 is a /8; Tencent Cloud VPCs in 10.0.0.0/8 are /12 to /28. Fix: use a prefix from /12 to /28, e.g. 10.0.0.0/16.",
    ],
    [
      "a VPC smaller than Tencent sells (/29)",
      { vpcCidr: "10.0.4.0/29" },
      "iam-ha:vpcCidr: 10.0.4.0/29 is a /29; Tencent Cloud VPCs in 10.0.0.0/8 are /12 to /28. Fix: use a prefix from /12 to /28, e.g. 10.0.0.0/16.",
    ],
    [
      "a subnet larger than Tencent sells (/12)",
      { vpcCidr: "10.0.0.0/12", subnetCidr: "10.0.0.0/12" },
      "iam-ha:subnetCidr: 10.0.0.0/12 is a /12; Tencent Cloud subnets are /16 to /28. Fix: use a prefix from /16 to /28, e.g. 10.0.4.0/24.",
    ],
    [
      "a subnet smaller than Tencent sells (/29)",
      { subnetCidr: "10.0.4.16/29" },
      "iam-ha:subnetCidr: 10.0.4.16/29 is a /29; Tencent Cloud subnets are /16 to /28. Fix: use a prefix from /16 to /28, e.g. 10.0.4.0/24.",
    ],
    [
      "an existing subnet outside the private ranges",
      { ...existingSubnet, subnetCidr: "100.64.4.0/24" },
      `iam-ha:subnetCidr: 100.64.4.0/24 is not in a private range; ${privateFix}. Fix: use a CIDR inside one of them, e.g. 10.0.4.0/24.`,
    ],
    [
      "an existing subnet larger than Tencent sells",
      { ...existingSubnet, subnetCidr: "10.0.0.0/15" },
      "iam-ha:subnetCidr: 10.0.0.0/15 is a /15; Tencent Cloud subnets are /16 to /28. Fix: use a prefix from /16 to /28, e.g. 10.0.4.0/24.",
    ],
    [
      "a subnet outside the VPC",
      { vpcCidr: "10.1.0.0/16" },
      "iam-ha:subnetCidr: 10.0.4.0/24 is not inside vpcCidr 10.1.0.0/16. Fix: pick a subnet inside the VPC.",
    ],
    [
      "only an existing VPC",
      { vpcId: "vpc-2ab3cd4e" },
      "iam-ha:subnetId: an existing VPC and subnet go together. Fix: set both vpcId and subnetId, or neither.",
    ],
    // ---- zone and region (item 5)
    [
      "a zone that is no zone",
      { availabilityZone: "guangzhou" },
      'iam-ha:availabilityZone: "guangzhou" is not a zone name. Fix: use a zone like ap-guangzhou-3.',
    ],
    [
      "a zone of another region",
      { "tencentcloud:region": "ap-shanghai" },
      "iam-ha:availabilityZone: ap-guangzhou-3 is not a zone of tencentcloud:region ap-shanghai. Fix: use a zone of ap-shanghai (e.g. ap-shanghai-2), or run: pulumi config set tencentcloud:region ap-guangzhou.",
    ],
    // ---- nodes and VRRP
    [
      "fewer than two nodes",
      nodes(node1),
      "iam-ha:nodes: has 1 front door(s); failover needs at least 2. Fix: list two or more nodes with role frontDoor (the default).",
    ],
    [
      "one front door beside backend nodes",
      nodes(node1, { ...node2, role: "backend", priority: undefined }),
      "iam-ha:nodes: has 1 front door(s); failover needs at least 2. Fix: list two or more nodes with role frontDoor (the default).",
    ],
    [
      "more front doors than an HAVIP takes",
      nodes(...Array.from({ length: 11 }, (_, i) => ({ name: `node-${i + 1}`, privateIp: `10.0.4.${20 + i}`, priority: 100 - i }))),
      "iam-ha:nodes: has 11 front doors; an HAVIP can be bound to at most 10 instances. Fix: make at most 10 nodes front doors (the rest role: backend), or split them into stacks.",
    ],
    [
      "two nodes with one priority",
      nodes(node1, { ...node2, priority: 100 }),
      "iam-ha:nodes[1].priority: 100 is also used by nodes[0]. Fix: give every front door its own priority.",
    ],
    [
      "a priority on a backend node",
      nodes(node1, node2, { name: "node-3", privateIp: "10.0.4.22", role: "backend", priority: 90 }),
      "iam-ha:nodes[2].priority: is set on node-3, a backend node, which runs no keepalived. Fix: remove it, or make the node a front door (role: frontDoor).",
    ],
    [
      "a role that is none",
      nodes(node1, { ...node2, role: "proxy" }),
      `iam-ha:nodes[1].role: Invalid option: expected one of "frontDoor"|"backend". ${stackFileFix}`,
    ],
    [
      "a priority over 254",
      nodes(node1, { ...node2, priority: 255 }),
      "iam-ha:nodes[1].priority: 255 is outside keepalived's 1-254. Fix: pick a priority from 1 to 254.",
    ],
    [
      "a priority of 0",
      nodes(node1, { ...node2, priority: 0 }),
      "iam-ha:nodes[1].priority: 0 is outside keepalived's 1-254. Fix: pick a priority from 1 to 254.",
    ],
    ["an unknown node field", nodes(node1, { ...node2, ip: "10.0.4.21" }), `iam-ha:nodes[1]: Unrecognized key: "ip". ${stackFileFix}`],
    ["nodes that are no list", { nodes: "node-1" }, "iam-ha:nodes: must be a list. Fix: write it as a YAML list in the stack file (see Pulumi.prod.yaml)."],
    ["a virtual_router_id over 255", { virtualRouterId: 256 }, "iam-ha:virtualRouterId: 256 is outside 1-255. Fix: pick a whole number from 1 to 255."],
    [
      "an advert interval that is no number",
      { advertInt: "fast" },
      'iam-ha:advertInt: must be a number of seconds; got "fast". Fix: run: pulumi config set advertInt 1 (or a fraction such as 0.3 with vrrpVersion 3).',
    ],
    [
      "a fractional advert interval with VRRPv2",
      { advertInt: "0.3" },
      "iam-ha:advertInt: 0.3 is not a whole number of seconds from 1 to 255, which VRRPv2 needs. Fix: run: pulumi config set advertInt 1, or pulumi config set vrrpVersion 3 for a fraction.",
    ],
    [
      "a VRRPv3 advert interval finer than 10 ms",
      { vrrpVersion: 3, advertInt: "0.333", vrrpAuthPass: undefined },
      "iam-ha:advertInt: 0.333 is not 0.01-40.95 s in steps of 0.01, which VRRPv3 needs. Fix: run: pulumi config set advertInt 0.3.",
    ],
    [
      "a VRRPv3 advert interval over 40.95 s",
      { vrrpVersion: 3, advertInt: "41", vrrpAuthPass: undefined },
      "iam-ha:advertInt: 41 is not 0.01-40.95 s in steps of 0.01, which VRRPv3 needs. Fix: run: pulumi config set advertInt 0.3.",
    ],
    [
      "a VRRP password with VRRPv3, which has no authentication",
      { vrrpVersion: 3, advertInt: "0.3" },
      "iam-ha:vrrpAuthPass: is set, but VRRPv3 (vrrpVersion 3) has no authentication. Fix: run: pulumi config rm vrrpAuthPass (the firewall and security group admit VRRP from the peers only).",
    ],
    [
      "a VRRP version keepalived does not speak",
      { vrrpVersion: 4 },
      "iam-ha:vrrpVersion: 4 is not a VRRP version keepalived speaks. Fix: run: pulumi config set vrrpVersion 2 (or 3 for sub-second adverts).",
    ],
    [
      "no VRRP password with VRRPv2",
      { vrrpAuthPass: undefined },
      `iam-ha:vrrpAuthPass: is empty or not set, and VRRPv2 (vrrpVersion 2) authenticates with it. ${passFix}`,
    ],
    ["an empty VRRP password", { vrrpAuthPass: "" }, `iam-ha:vrrpAuthPass: is empty or not set, and VRRPv2 (vrrpVersion 2) authenticates with it. ${passFix}`],
    [
      "a VRRP password over 8 characters",
      { vrrpAuthPass: "123456789" },
      `iam-ha:vrrpAuthPass: has 9 characters; keepalived's PASS authentication uses at most 8. ${passFix}`,
    ],
    ["the article's VRRP password 1111", { vrrpAuthPass: "1111" }, `iam-ha:vrrpAuthPass: is the article's sample password. ${passFix}`],
    ["the article's VRRP password 123456", { vrrpAuthPass: "123456" }, `iam-ha:vrrpAuthPass: is the article's sample password. ${passFix}`],
    ["a VRRP password with a space", { vrrpAuthPass: "S3c r3t" }, passChars],
    ["a VRRP password with a quote", { vrrpAuthPass: 'S3c"r3t' }, passChars],
    ["a VRRP password with a brace and a semicolon", { vrrpAuthPass: "S3c{r;t" }, passChars],
    ["a VRRP password with a # (a comment in keepalived.conf)", { vrrpAuthPass: "S3c#r3t" }, passChars],
    ["a VRRP password with a backslash", { vrrpAuthPass: "S3c\\r3t" }, passChars],
    ["a VRRP password with a ! (item 11: keepalived reads Xy7!k2Qz as Xy7)", { vrrpAuthPass: "Xy7!k2Qz" }, passChars],
    ["a VRRP password with a $ (item 11: keepalived expands $NAME)", { vrrpAuthPass: "S3c$HOME" }, passChars],
    ["a VRRP password with a non-ASCII letter", { vrrpAuthPass: "S3crét" }, passChars],
    // ---- vips (active-active): each VIP its own address and router id, preferred by a front door
    ["vips beside an explicit havip", { vips: [vipA, vipB] }, `iam-ha:havip: is set together with vips, which lists every VIP. ${bothFormsFix("havip")}`],
    [
      "vips beside an explicit virtualRouterId",
      { ...withoutHavip, virtualRouterId: 51, vips: [vipA, vipB] },
      `iam-ha:virtualRouterId: is set together with vips, which lists every VIP. ${bothFormsFix("virtualRouterId")}`,
    ],
    [
      "two VIPs on one address",
      { ...withoutHavip, vips: [vipA, { ...vipB, address: vipA.address }] },
      "iam-ha:vips[1].address: 10.0.4.99 is also vips[0]'s. Fix: give every VIP its own address.",
    ],
    [
      "two VIPs with one router id",
      { ...withoutHavip, vips: [vipA, { ...vipB, virtualRouterId: vipA.virtualRouterId }] },
      "iam-ha:vips[1].virtualRouterId: 51 is also vips[0]'s. Fix: give every VIP its own virtualRouterId.",
    ],
    [
      "a VIP preferring a backend node",
      { ...withoutHavip, ...nodes(node1, node2, { name: "node-3", privateIp: "10.0.4.22", role: "backend" }), vips: [vipA, { ...vipB, preferred: "node-3" }] },
      'iam-ha:vips[1].preferred: "node-3" is not a front door of this stack. Fix: name one of: node-1, node-2.',
    ],
    [
      "a VIP preferring a node that does not exist",
      { ...withoutHavip, vips: [vipA, { ...vipB, preferred: "node-9" }] },
      'iam-ha:vips[1].preferred: "node-9" is not a front door of this stack. Fix: name one of: node-1, node-2.',
    ],
    [
      "a preempt delay over keepalived's 1000 s",
      { ...withoutHavip, vips: [vipA, { ...vipB, preemptDelay: 1001 }] },
      "iam-ha:vips[1].preemptDelay: 1001 is outside 0-1000. Fix: pick a whole number from 0 to 1000.",
    ],
    [
      "a negative preempt delay",
      { ...withoutHavip, vips: [{ ...vipA, preemptDelay: -1 }, vipB] },
      "iam-ha:vips[0].preemptDelay: -1 is outside 0-1000. Fix: pick a whole number from 0 to 1000.",
    ],
    [
      "a VIP outside the subnet",
      { ...withoutHavip, vips: [vipA, { ...vipB, address: "10.0.5.98" }] },
      `iam-ha:vips[1].address: 10.0.5.98 is outside subnetCidr 10.0.4.0/24. ${inSubnetFix}`,
    ],
    [
      "a VIP on a node's IP",
      { ...withoutHavip, vips: [vipA, { ...vipB, address: "10.0.4.21" }] },
      "iam-ha:vips[1].address: 10.0.4.21 is node-2's own address. Fix: pick a free address for the HAVIP.",
    ],
    [
      "vips with frontDoor vipOnly",
      { ...withoutHavip, frontDoor: "vipOnly", vips: [vipA, vipB] },
      "iam-ha:vips: is set with frontDoor vipOnly, which serves the one VIP of havip and virtualRouterId. Fix: remove vips and set havip, or put nginx in front (pulumi config set frontDoor havip).",
    ],
    [
      "an empty vips list",
      { ...withoutHavip, vips: [] },
      "iam-ha:vips: lists no VIP. Fix: list at least one {address, virtualRouterId, preferred}, or remove vips to use havip.",
    ],
    // ---- frontDoor clb: zones, the CLB's checks
    [
      "more zones behind an HAVIP",
      { moreZones: [zoneB] },
      "iam-ha:moreZones: lists 1 more zone(s), but an HAVIP moves only within one subnet. Fix: remove moreZones, or put Tencent's load balancer in front (pulumi config set frontDoor clb).",
    ],
    [
      "a zone listed twice",
      { ...clb, moreZones: [{ ...zoneB, availabilityZone: "ap-guangzhou-3" }] },
      "iam-ha:moreZones[0].availabilityZone: ap-guangzhou-3 is listed twice. Fix: list each zone once.",
    ],
    [
      "zones whose subnets overlap",
      { ...clb, moreZones: [{ ...zoneB, subnetCidr: "10.0.4.128/25" }] },
      "iam-ha:moreZones[0].subnetCidr: 10.0.4.128/25 overlaps 10.0.4.0/24 (ap-guangzhou-3). Fix: give each zone a subnet of its own.",
    ],
    [
      "a zone of another region",
      { ...clb, moreZones: [{ ...zoneB, availabilityZone: "ap-shanghai-2" }] },
      "iam-ha:moreZones[0].availabilityZone: ap-shanghai-2 is not a zone of tencentcloud:region ap-guangzhou. Fix: use a zone of ap-guangzhou (e.g. ap-guangzhou-2), or run: pulumi config set tencentcloud:region ap-shanghai.",
    ],
    [
      "a zone's subnet outside the VPC",
      { ...clb, moreZones: [{ ...zoneB, subnetCidr: "10.1.5.0/24" }] },
      "iam-ha:moreZones[0].subnetCidr: 10.1.5.0/24 is not inside vpcCidr 10.0.0.0/16. Fix: pick a subnet inside the VPC.",
    ],
    [
      "a node in no zone's subnet",
      { ...clb, moreZones: [zoneB], ...nodes(node1, { ...node2, privateIp: "10.0.6.21" }) },
      "iam-ha:nodes[1].privateIp: 10.0.6.21 is in no zone's subnet: 10.0.4.0/24 (ap-guangzhou-3), 10.0.5.0/24 (ap-guangzhou-4). Fix: use an address inside the subnet of the zone the node should sit in.",
    ],
    [
      "more zones with an existing subnet",
      { ...clb, ...existingSubnet, moreZones: [zoneB] },
      "iam-ha:moreZones: is set together with an existing subnetId. Fix: remove vpcId and subnetId (the program makes a subnet per zone), or moreZones.",
    ],
    [
      "vips behind a CLB",
      { ...clb, ...withoutHavip, vips: [vipA, vipB] },
      "iam-ha:vips: is set with frontDoor clb, which has no VIP: the CLB is the front door. Fix: remove vips.",
    ],
    [
      "a CLB master zone without a standby",
      { ...clb, clbMasterZone: "ap-guangzhou-3" },
      "iam-ha:clbSlaveZone: a master zone and a standby zone go together. Fix: set both clbMasterZone and clbSlaveZone, or neither.",
    ],
    [
      "the CLB's standby in its master zone",
      { ...clb, clbMasterZone: "ap-guangzhou-3", clbSlaveZone: "ap-guangzhou-3" },
      "iam-ha:clbSlaveZone: is ap-guangzhou-3, the master zone too. Fix: pick another zone of the region for the standby.",
    ],
    [
      "a CLB health interval no longer than its 2 s timeout",
      { ...clb, clbHealthInterval: 2 },
      "iam-ha:clbHealthInterval: 2 is outside 3-300. Fix: pick a whole number from 3 to 300.",
    ],
    [
      "a CLB healthy threshold of 1",
      { ...clb, clbHealthyThreshold: 1 },
      "iam-ha:clbHealthyThreshold: 1 is outside 2-10. Fix: pick a whole number from 2 to 10.",
    ],
    [
      "a CLB unhealthy threshold over 10",
      { ...clb, clbUnhealthyThreshold: 11 },
      "iam-ha:clbUnhealthyThreshold: 11 is outside 2-10. Fix: pick a whole number from 2 to 10.",
    ],
    // ---- sites (item 14: ports that are not backends)
    [
      "a site without a server name",
      { sites: [{ port: 8080 }] },
      `iam-ha:sites[0].serverName: Invalid input: expected string, received undefined. ${stackFileFix}`,
    ],
    [
      "a site without a port",
      { sites: [{ serverName: "iam.api.marmotedu.com" }] },
      `iam-ha:sites[0].port: Invalid input: expected number, received undefined. ${stackFileFix}`,
    ],
    ["a site on nginx's own port", { sites: [{ serverName: "a.example.com", port: 80 }] }, portLine(80, "the port nginx itself listens on")],
    [
      "a site on SSH's port",
      { sites: [{ serverName: "a.example.com", port: 22 }] },
      portLine(22, "SSH's port: nginx would send HTTP to sshd and the peers' backend rule would open SSH between the nodes"),
    ],
    [
      "a site on sshPort",
      { sshPort: 2222, sites: [{ serverName: "a.example.com", port: 2222 }] },
      portLine(2222, "sshPort, the nodes' SSH port: nginx would send HTTP to sshd and the peers' backend rule would open SSH between the nodes"),
    ],
    [
      "a site on MariaDB's port",
      { sites: [{ serverName: "a.example.com", port: 3306 }] },
      portLine(3306, "MariaDB's port: nginx would send HTTP to MariaDB and the site would publish the database"),
    ],
    // ---- frontDoor vipOnly: a site is its port on the VIP, open to the Internet; no nginx upstreams
    [
      "an unknown front door",
      { frontDoor: "nginx" },
      'iam-ha:frontDoor: "nginx" is not one of havip, vipOnly, clb. Fix: run: pulumi config set frontDoor havip.',
    ],
    [
      "VIP-only: two sites on one port",
      {
        frontDoor: "vipOnly",
        sites: [
          { serverName: "a.example.com", port: 8888 },
          { serverName: "b.example.com", port: 8888 },
        ],
      },
      "iam-ha:sites[1].port: 8888 is also sites[0] (a.example.com)'s port, and with frontDoor vipOnly a site is its port on the VIP (no nginx tells sites apart by name). Fix: give each site a port of its own, or put nginx in front (pulumi config set frontDoor havip).",
    ],
    [
      "VIP-only: a site on SSH's port",
      { frontDoor: "vipOnly", sites: [{ serverName: "a.example.com", port: 22 }] },
      vipPortLine(22, "SSH's port: with frontDoor vipOnly a site's port is open to the Internet on every front door, SSH included"),
    ],
    [
      "VIP-only: a site on sshPort",
      { frontDoor: "vipOnly", sshPort: 2222, sites: [{ serverName: "a.example.com", port: 2222 }] },
      vipPortLine(2222, "sshPort, the nodes' SSH port: with frontDoor vipOnly a site's port is open to the Internet on every front door, SSH included"),
    ],
    [
      "VIP-only: a site on MariaDB's port",
      { frontDoor: "vipOnly", sites: [{ serverName: "a.example.com", port: 3306 }] },
      vipPortLine(3306, "MariaDB's port: with frontDoor vipOnly a site's port is open to the Internet on every front door, which would publish the database"),
    ],
    [
      "VIP-only: a site on the VRRP state port",
      { frontDoor: "vipOnly", sites: [{ serverName: "a.example.com", port: 7799 }] },
      vipPortLine(7799, "the port each front door serves its VRRP state on to the others' VIP watch (frontDoor vipOnly)"),
    ],
    [
      "VIP-only: a backend-only node",
      { frontDoor: "vipOnly", ...nodes(node1, node2, { name: "node-3", privateIp: "10.0.4.22", role: "backend" }) },
      "iam-ha:nodes[2].role: is backend on node-3, but with frontDoor vipOnly no nginx proxies to other nodes: a backend-only node would get no traffic. Fix: make it a front door (remove role), or run nginx in front (pulumi config set frontDoor havip).",
    ],
    // ---- adminCidr (item 14)
    [
      "SSH open to the world",
      { adminCidr: "0.0.0.0/0" },
      "iam-ha:adminCidr: 0.0.0.0/0 would open SSH to the whole Internet. Fix: set your own egress address, e.g. 203.0.113.10/32.",
    ],
    [
      "SSH open to half the Internet",
      { adminCidr: "0.0.0.0/1" },
      "iam-ha:adminCidr: 0.0.0.0/1 is broader than a /16 of public addresses. Fix: narrow it to your egress address (/32) or your office's range, at most a /16; only a private range reached through sshVia bastion or private may be broader.",
    ],
    [
      "a broad public range behind a bastion",
      { ...viaBastion, bastionHostKey: ed25519, adminCidr: "100.0.0.0/8" },
      "iam-ha:adminCidr: 100.0.0.0/8 is broader than a /16 of public addresses. Fix: narrow it to your egress address (/32) or your office's range, at most a /16; only a private range reached through sshVia bastion or private may be broader.",
    ],
    [
      "a private range with sshVia public",
      { adminCidr: "10.0.1.5/32" },
      "iam-ha:adminCidr: 10.0.1.5/32 is a private range, but sshVia is public: SSH to the nodes' public IPs arrives from your public egress address. Fix: set your egress address, e.g. 203.0.113.10/32, or use sshVia bastion or private.",
    ],
    // ---- SSH (items 3 and 12)
    [
      "a public key that is no key",
      { sshPublicKey: "hello" },
      "iam-ha:sshPublicKey: is not an OpenSSH public key. Fix: paste the one line of your key's .pub file.",
    ],
    [
      "an ed25519 public key",
      { sshPublicKey: ed25519 },
      `iam-ha:sshPublicKey: is an ssh-ed25519 key; Tencent Cloud's ImportKeyPair takes only OpenSSH RSA keys. ${rsaFix}`,
    ],
    [
      "an ECDSA public key",
      { sshPublicKey: ecdsa },
      `iam-ha:sshPublicKey: is an ecdsa-sha2-nistp256 key; Tencent Cloud's ImportKeyPair takes only OpenSSH RSA keys. ${rsaFix}`,
    ],
    [
      "a 1024-bit RSA public key",
      { sshPublicKey: rsa1024 },
      `iam-ha:sshPublicKey: is a 1024-bit RSA key; under 2048 bits RSA is too weak (NIST SP 800-131A). ${rsaFix}`,
    ],
    [
      "a key pair id of the wrong shape",
      { sshKeyPairId: "iam-ha-key" },
      'iam-ha:sshKeyPairId: "iam-ha-key" is not a key pair id. Fix: use the id of a key pair already in the account, like skey-4e5ty7i8 (CVM console, SSH keys), or leave it empty to import sshPublicKey.',
    ],
    [
      "a bastion without a host",
      { sshVia: "bastion", adminCidr: "10.0.1.5/32" },
      "iam-ha:bastionHost: is empty but sshVia is bastion. Fix: set the bastion's address, or another sshVia.",
    ],
    [
      "a bastion without its host key",
      viaBastion,
      `iam-ha:bastionHostKey: is empty but sshVia is bastion, and every connection pins the bastion's host key. ${hostKeyFix}`,
    ],
    [
      "a bastion host key that is no key",
      { ...viaBastion, bastionHostKey: "AAAAC3NzaC1lZDI1NTE5" },
      `iam-ha:bastionHostKey: is not an OpenSSH public key line. ${hostKeyFix}`,
    ],
    [
      "a bastion host that could be an ssh option",
      { ...viaBastion, bastionHostKey: ed25519, bastionHost: "-oProxyCommand=id" },
      bastionHostLine("-oProxyCommand=id"),
    ],
    [
      "a bastion host with a shell command",
      { ...viaBastion, bastionHostKey: ed25519, bastionHost: "bastion.example.com;id" },
      bastionHostLine("bastion.example.com;id"),
    ],
    ["a bastion host that is no IPv4 address", { ...viaBastion, bastionHostKey: ed25519, bastionHost: "203.0.113.500" }, bastionHostLine("203.0.113.500")],
    [
      "a bastion user with a command (item 12: x$(touch /tmp/p))",
      { ...viaBastion, bastionHostKey: ed25519, bastionUser: "x$(touch /tmp/p)" },
      `iam-ha:bastionUser: "x$(touch /tmp/p)" is not a POSIX user name. ${userFix("root")}`,
    ],
    [
      "a bastion port that is no port",
      { ...viaBastion, bastionHostKey: ed25519, bastionPort: 70000 },
      "iam-ha:bastionPort: 70000 is outside 1-65535. Fix: pick a whole number from 1 to 65535.",
    ],
    ["an ssh user with a command", { sshUser: "ubuntu`id`" }, `iam-ha:sshUser: "ubuntu\`id\`" is not a POSIX user name. ${userFix("ubuntu")}`],
    [
      "an ssh user that starts with a dash",
      { sshUser: "-oProxyCommand=id" },
      `iam-ha:sshUser: "-oProxyCommand=id" is not a POSIX user name. ${userFix("ubuntu")}`,
    ],
    // ---- image and disk (items 7 and 8)
    [
      "an image regex that is no regex",
      { imageNameRegex: "^Ubuntu(" },
      'iam-ha:imageNameRegex: "^Ubuntu(" is not a regular expression. Fix: fix the pattern or set imageId.',
    ],
    ["an image regex with a lookahead", { imageNameRegex: "^Ubuntu(?=.*22)" }, regexLine("^Ubuntu(?=.*22)", "a lookahead (?=…)")],
    ["an image regex with a negative lookahead", { imageNameRegex: "^Ubuntu(?!.*ARM)" }, regexLine("^Ubuntu(?!.*ARM)", "a lookahead (?!…)")],
    ["an image regex with a lookbehind", { imageNameRegex: "(?<=Ubuntu )22" }, regexLine("(?<=Ubuntu )22", "a lookbehind (?<=…)")],
    ["an image regex with a backreference", { imageNameRegex: "^(\\w+) \\1" }, regexLine("^(\\w+) \\1", "a backreference \\1")],
    ["an image regex with a named backreference", { imageNameRegex: "^(?<os>\\w+) \\k<os>" }, regexLine("^(?<os>\\w+) \\k<os>", "a backreference \\k<…>")],
    ["an image regex with an atomic group", { imageNameRegex: "^(?>Ubuntu)" }, regexLine("^(?>Ubuntu)", "an atomic group (?>…)")],
    [
      "an image regex with a possessive quantifier",
      { imageNameRegex: "^Ubuntu.*+64" },
      regexLine("^Ubuntu.*+64", "a possessive quantifier (*+, ++, ?+, {n}+)"),
    ],
    ["an image regex with a repeat count Go refuses", { imageNameRegex: "^Ubuntu.{1,1001}64" }, regexLine("^Ubuntu.{1,1001}64", "a repeat count over 1000")],
    [
      "an image regex with a JavaScript-only escape",
      { imageNameRegex: "^Ubuntu\\u0020" },
      regexLine("^Ubuntu\\u0020", "the escape \\u, which only JavaScript knows"),
    ],
    ["an unknown OS family", { osFamily: "arch" }, 'iam-ha:osFamily: "arch" is not one of debian, rhel. Fix: run: pulumi config set osFamily debian.'],
    [
      "an unknown system disk type",
      { systemDiskType: "CLOUD_FAST" },
      'iam-ha:systemDiskType: "CLOUD_FAST" is not one of CLOUD_PREMIUM, CLOUD_SSD, CLOUD_BSSD, CLOUD_HSSD, CLOUD_TSSD, CLOUD_BASIC, LOCAL_BASIC, LOCAL_SSD. Fix: run: pulumi config set systemDiskType CLOUD_PREMIUM.',
    ],
    // ---- database
    ["MariaDB's own grant tables as dbName", { dbName: "mysql" }, systemSchemaLine("mysql")],
    ["MariaDB's sys schema as dbName, in capitals", { dbName: "SYS" }, systemSchemaLine("SYS")],
    [
      "a database node that does not exist",
      { dbNode: "node-9" },
      'iam-ha:dbNode: "node-9" is not one of the nodes (node-1, node-2). Fix: name a node from iam-ha:nodes, or leave it empty for the first.',
    ],
    [
      "an unknown privilege",
      { dbPrivileges: "SELECT,FLY" },
      `iam-ha:dbPrivileges: "FLY" is not a MariaDB table privilege. Fix: use ALL or a comma-separated list of ${TABLE_PRIVILEGES.join(", ")}.`,
    ],
    ["a database password with a newline", { dbPassword: "two\nlines" }, `iam-ha:dbPassword: contains a control character such as a newline. ${dbPassFix}`],
    ["the article's database password", { dbPassword: "iam1234" }, `iam-ha:dbPassword: is the article's sample password. ${dbPassFix}`],
    // ---- alerts (item 16: the URL goes into a curl config file)
    [
      "a webhook that is no URL",
      { alertWebhook: "hooks.example.com/x" },
      "iam-ha:alertWebhook: is not an http(s) URL without spaces or quotes. Fix: run: pulumi config set --secret alertWebhook 'https://…'.",
    ],
    [
      "a webhook with a control character",
      { alertWebhook: "https://hooks.example.com/x\u0001y" },
      `iam-ha:alertWebhook: contains a control character or a non-ASCII character, which curl's config file cannot hold. ${webhookFix}`,
    ],
    [
      "a webhook with a non-ASCII character",
      { alertWebhook: "https://hooks.example.com/café" },
      `iam-ha:alertWebhook: contains a control character or a non-ASCII character, which curl's config file cannot hold. ${webhookFix}`,
    ],
    // ---- the stack file itself
    [
      "a typo in a key",
      { havipp: "10.0.4.99" },
      `iam-ha:havipp: is not a key this program reads. Fix: remove it, or use one of: ${readDeclaredKeys()
        .map((k) => k.name)
        .join(", ")}.`,
    ],
    ["a missing required key", { availabilityZone: undefined }, "iam-ha:availabilityZone: is not set. Fix: run: pulumi config set availabilityZone '<value>'."],
  ])("%s", (_what, change, line) => {
    expect(problemsOf(change)).toEqual([line]);
  });
});
