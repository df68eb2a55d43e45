import * as pulumi from "@pulumi/pulumi";
import { NodeConfig } from "../config/types";
import * as tencentcloud from "../tencentcloud";

type IngressRule = tencentcloud.types.input.Security.GroupRuleSetIngress;

/** What the security group's ingress rules are made from. */
export interface IngressRulesArgs {
  /** The only source SSH (22/tcp) accepts, e.g. an admin's egress address as a /32. */
  adminCidr: string;
  /** Every node, in config order: each may reach every node's backends and VRRP, and the database node's MariaDB. */
  nodes: Pick<NodeConfig, "name" | "privateIp">[];
  /** The backend ports nginx proxies to on every node (one per site; duplicates are merged). */
  backendPorts: number[];
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
  /** The new subnet's CIDR (unused with an existing VPC and subnet). */
  subnetCidr: string;
  /** The new subnet's availability zone (unused with an existing VPC and subnet). */
  availabilityZone: string;
}

const SSH = "22";
const HTTP = "80";
const MARIADB = "3306";

/**
 * The VPC and subnet (or the existing ones from config) and the nodes' security group: SSH from
 * the admin CIDR only, HTTP from anywhere, and the rest between the nodes only. VRRP forces an
 * ALL rule between peers (see below), which already covers the backend and MariaDB rules; those
 * stay explicit so the intent survives a provider that can name protocol 112.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly vpc?: tencentcloud.vpc.Instance;
  readonly subnet?: tencentcloud.subnet.Instance;
  readonly securityGroup: tencentcloud.security.Group;
  readonly rules: tencentcloud.security.GroupRuleSet;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:Network", name, {}, opts);
    if (args.vpcId && args.subnetId) {
      this.vpcId = pulumi.output(args.vpcId);
      this.subnetId = pulumi.output(args.subnetId);
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
    this.securityGroup = new tencentcloud.security.Group(
      `${name}-sg`,
      { name: `${name}-nodes`, description: "iam-ha nodes: SSH from the admin CIDR, HTTP from anywhere, the rest between nodes" },
      { parent: this },
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

/** The ingress rules, in order. */
function ingressRules(args: IngressRulesArgs): IngressRule[] {
  const backendPorts = [...new Set(args.backendPorts)].sort((a, b) => a - b).join(",");
  const dbNode = args.nodes.find((n) => n.name === args.databaseNode);
  const rules: IngressRule[] = [
    { action: "ACCEPT", cidrBlock: args.adminCidr, protocol: "TCP", port: SSH, description: "SSH from the admin CIDR" },
    { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: HTTP, description: "HTTP to nginx" },
  ];
  for (const node of args.nodes) {
    const from = `${node.privateIp}/32`;
    rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "TCP", port: backendPorts, description: `backends from ${node.name}'s nginx` });
    if (dbNode && node.name !== dbNode.name) {
      rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "TCP", port: MARIADB, description: `MariaDB from ${node.name}` });
    }
    // VRRP adverts are IP protocol 112, which v0.2.3's rules cannot name (TCP/UDP/ICMP/ALL only),
    // so the peers get ALL. Blocked adverts are the commonest cause of two MASTERs.
    rules.push({ action: "ACCEPT", cidrBlock: from, protocol: "ALL", port: "ALL", description: `VRRP adverts from ${node.name}` });
  }
  return rules;
}
