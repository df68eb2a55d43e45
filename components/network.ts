import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../config/problems";
import { FrontDoorKind, NodeConfig, ZoneConfig } from "../config/types";
import * as tencentcloud from "../tencentcloud";

type IngressRule = tencentcloud.types.input.Security.GroupRuleSetIngress;

/** What the security group's ingress rules are made from. */
export interface IngressRulesArgs {
  /** The only source SSH accepts, e.g. an admin's egress address as a /32. Peers inside it are still refused. */
  adminCidr: string;
  /** The nodes' SSH port (config sshPort, default 22). */
  sshPort: number;
  /** Every node, in config order: each may reach every node's backends and VRRP, and the database node's MariaDB. */
  nodes: Pick<NodeConfig, "name" | "privateIp">[];
  /** The ports open to anywhere: nginx's 80 (frontDoor havip), every site's own (vipOnly), or none (clb: the CLB's own group admits the Internet). */
  publicPorts: number[];
  /** Whether the public ports are nginx's (havip, clb) or the sites' own (vipOnly): the rules' descriptions. Default havip. */
  frontDoor?: FrontDoorKind;
  /** The backend ports nginx proxies to on every node (one per site; duplicates are merged); none with frontDoor vipOnly. */
  backendPorts: number[];
  /** The port each front door serves its VRRP state on to the others' VIP watch (vipOnly); none when nginx does it. */
  statePort?: number;
  /** The nodes that run keepalived: only they ask for VRRP state. Default: every node. */
  frontDoors?: string[];
  /** The name of the node that runs MariaDB. No MariaDB rule when no node has that name. */
  databaseNode: string;
}

export interface NetworkArgs extends IngressRulesArgs {
  /** An existing VPC to use (with `subnetId`). Default: a new VPC from `vpcCidr`. */
  vpcId?: string;
  /** An existing subnet of that VPC (with `vpcId`). Default: a new subnet from `subnetCidr`. */
  subnetId?: string;
  /** The new VPC's CIDR (unused with an existing VPC and subnet). */
  vpcCidr: string;
  /** The new subnet's CIDR; an existing subnet must have it. */
  subnetCidr: string;
  /** The new subnet's availability zone; an existing subnet must lie in it. */
  availabilityZone: string;
  /** frontDoor clb: the zones beyond the first, each with a new subnet in the VPC. */
  moreZones?: ZoneConfig[];
}

const MARIADB = "3306";

/**
 * The VPC and subnet (or the existing ones from config) and the nodes' security group: HTTP (or,
 * with frontDoor vipOnly, the sites' ports) from anywhere, from each peer only its backend ports (or
 * the VRRP state port), MariaDB and VRRP, and SSH from the admin CIDR.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetId: pulumi.Output<string>;
  /** Every zone's subnet, by zone: the first's is subnetId. */
  readonly subnetIds: Record<string, pulumi.Output<string>>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly vpc?: tencentcloud.vpc.Instance;
  readonly subnet?: tencentcloud.subnet.Instance;
  readonly securityGroup: tencentcloud.security.Group;
  readonly rules: tencentcloud.security.GroupRuleSet;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:Network", name, {}, opts);
    // What the group waits for: with an existing subnet, its check (a subnet that fails it leaves nothing made).
    let checked: pulumi.Input<pulumi.Resource[]> = [];
    if (args.vpcId && args.subnetId) {
      this.subnetId = checkedSubnet(args.vpcId, args.subnetId, args, this);
      this.vpcId = this.subnetId.apply(() => args.vpcId!);
      checked = this.subnetId.apply(() => []);
    } else {
      this.vpc = new tencentcloud.vpc.Instance(`${name}-vpc`, { name: `${name}-vpc`, cidrBlock: args.vpcCidr }, { parent: this });
      this.subnet = new tencentcloud.subnet.Instance(
        `${name}-subnet`,
        { name: `${name}-subnet`, vpcId: this.vpc.id, cidrBlock: args.subnetCidr, availabilityZone: args.availabilityZone },
        { parent: this },
      );
      this.vpcId = this.vpc.id;
      this.subnetId = this.subnet.id;
    }
    this.subnetIds = { [args.availabilityZone]: this.subnetId };
    for (const zone of args.moreZones ?? []) {
      // The first zone's subnet keeps its name: adding a zone to a running stack makes one more.
      const subnet = new tencentcloud.subnet.Instance(
        `${name}-subnet-${zone.availabilityZone}`,
        { name: `${name}-subnet-${zone.availabilityZone}`, vpcId: this.vpcId, cidrBlock: zone.subnetCidr, availabilityZone: zone.availabilityZone },
        { parent: this },
      );
      this.subnetIds[zone.availabilityZone] = subnet.id;
    }
    this.securityGroup = new tencentcloud.security.Group(
      `${name}-sg`,
      { name: `${name}-nodes`, description: "iam-ha nodes: HTTP from anywhere, backends, MariaDB and VRRP between nodes, SSH from the admin CIDR" },
      { parent: this, dependsOn: checked },
    );
    this.securityGroupId = this.securityGroup.id;
    this.rules = new tencentcloud.security.GroupRuleSet(
      `${name}-sg-rules`,
      {
        securityGroupId: this.securityGroup.id,
        ingresses: ingressRules(args),
        egresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "ALL", port: "ALL", description: "packages and updates" }],
      },
      { parent: this },
    );
    this.registerOutputs({ vpcId: this.vpcId, subnetId: this.subnetId, securityGroupId: this.securityGroupId });
  }
}

/**
 * The existing subnet's id, once Tencent confirms it lies in that VPC, in availabilityZone and with
 * subnetCidr (the nodes' addresses and the HAVIP were checked against those); otherwise the
 * deployment fails, naming the keys and the fix, before anything that needs the subnet is made.
 */
function checkedSubnet(
  vpcId: string,
  subnetId: string,
  want: Pick<NetworkArgs, "availabilityZone" | "subnetCidr">,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  return tencentcloud.vpc.getSubnetsOutput({ vpcId, subnetId }, { parent }).apply(({ instanceLists }) => {
    const problems = new Problems();
    const subnet = instanceLists.find((s) => s.subnetId === subnetId);
    if (!subnet) {
      problems.add("subnetId", `VPC ${vpcId} has no subnet ${subnetId}`, `set subnetId to a subnet of vpcId ${vpcId}, or vpcId to the subnet's VPC`);
    } else {
      const { availabilityZone: zone, cidrBlock: cidr } = subnet;
      if (zone !== want.availabilityZone) {
        problems.add(
          "availabilityZone",
          `subnet ${subnetId} is in ${zone}, not ${want.availabilityZone}`,
          `set availabilityZone to ${zone}, or subnetId to a subnet in ${want.availabilityZone}`,
        );
      }
      if (cidr !== want.subnetCidr) {
        problems.add(
          "subnetCidr",
          `subnet ${subnetId} is ${cidr}, not ${want.subnetCidr}`,
          `set subnetCidr to ${cidr} (and the nodes and havip inside it), or subnetId to a subnet of ${want.subnetCidr}`,
        );
      }
    }
    if (!problems.empty)
      throw new pulumi.RunError(`The existing subnet does not fit the stack configuration:\n${problems.lines.map((p) => `  - ${p}`).join("\n")}`);
    return subnetId;
  });
}

/**
 * The ingress rules, in order. Tencent matches a group's rules from the top and the first match,
 * ACCEPT or DROP, decides; a packet no rule matches is dropped (Tencent Cloud, 安全组概述,
 * https://www.tencentcloud.com/zh/document/product/213/12452; the rule set's `ingress` "is ordered,
 * the first rule has the highest priority": terraform-provider-tencentcloud v1.82.42,
 * tencentcloud/services/vpc/resource_tc_security_group_rule_set.go). v0.2.3's rules name only TCP,
 * UDP, ICMP, ICMPv6 or ALL, and VRRP is IP protocol 112: so each peer's TCP and UDP is dropped after
 * the ports it needs, and only then is ALL accepted from it, which now lets through just what is
 * neither TCP nor UDP (VRRP adverts, ICMP). SSH comes after the peers' drops: an admin CIDR that
 * covers the peers (the subnet, with sshVia private) still gives them no SSH to each other.
 */
function ingressRules(args: IngressRulesArgs): IngressRule[] {
  const ports = (list: number[]) => [...new Set(list)].sort((a, b) => a - b).join(",");
  const backendPorts = ports(args.backendPorts);
  const dbNode = args.nodes.find((n) => n.name === args.databaseNode);
  const peers = args.nodes.map((node) => ({ name: node.name, from: `${node.privateIp}/32` }));
  const doors = args.frontDoors ?? args.nodes.map((n) => n.name);
  // Public anyway; first, so the peers' VIP watch reaches every node's nginx too (havip), and a
  // node's VIP fallback (its connections masqueraded to a peer's site port) passes (vipOnly).
  const nginx = (args.frontDoor ?? "havip") !== "vipOnly";
  const rules: IngressRule[] =
    args.publicPorts.length === 0
      ? []
      : [
          {
            action: "ACCEPT",
            cidrBlock: "0.0.0.0/0",
            protocol: "TCP",
            port: ports(args.publicPorts),
            description: nginx ? "HTTP to nginx" : "the sites, straight on their ports",
          },
        ];
  for (const { name, from } of peers) {
    if (backendPorts) rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "TCP", port: backendPorts, description: `backends from ${name}'s nginx` });
    if (args.statePort && doors.includes(name)) {
      rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "TCP", port: String(args.statePort), description: `VRRP state for ${name}'s VIP watch` });
    }
    // The group is shared by every node, so this opens 3306 on all of them; only the database node listens.
    if (dbNode && name !== dbNode.name) {
      rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "TCP", port: MARIADB, description: `MariaDB from ${name}` });
    }
  }
  for (const { name, from } of peers) {
    rules.push({ action: "DROP", cidrBlock: from, protocol: "TCP", port: "ALL", description: `no other TCP from ${name} (SSH included)` });
    rules.push({ action: "DROP", cidrBlock: from, protocol: "UDP", port: "ALL", description: `no UDP from ${name}` });
  }
  for (const { name, from } of peers) {
    rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "ALL", port: "ALL", description: `VRRP adverts and ICMP from ${name}` });
  }
  rules.push({ action: "ACCEPT", cidrBlock: args.adminCidr, protocol: "TCP", port: String(args.sshPort), description: "SSH from the admin CIDR" });
  return rules;
}
