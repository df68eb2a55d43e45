import * as pulumi from "@pulumi/pulumi";
import { IamHaConfig } from "../config/types";
import * as tc from "../tencentcloud/resources";

export interface NetworkArgs {
  /** The validated stack config: subnet, existing VPC ids, admin CIDR, nodes and site ports. */
  config: IamHaConfig;
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
  readonly vpc?: tc.Vpc;
  readonly subnet?: tc.Subnet;
  readonly securityGroup: tc.SecurityGroup;
  readonly rules: tc.SecurityGroupRuleSet;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:Network", name, {}, opts);
    const { network } = args.config;
    if (network.vpcId && network.subnetId) {
      this.vpcId = pulumi.output(network.vpcId);
      this.subnetId = pulumi.output(network.subnetId);
    } else {
      this.vpc = new tc.Vpc(`${name}-vpc`, { name: `${name}-vpc`, cidrBlock: network.vpcCidr }, { parent: this });
      this.subnet = new tc.Subnet(
        `${name}-subnet`,
        { name: `${name}-subnet`, vpcId: this.vpc.id, cidrBlock: network.subnetCidr, availabilityZone: network.availabilityZone },
        { parent: this },
      );
      this.vpcId = this.vpc.id;
      this.subnetId = this.subnet.id;
    }
    this.securityGroup = new tc.SecurityGroup(
      `${name}-sg`,
      { name: `${name}-nodes`, description: "iam-ha nodes: SSH from the admin CIDR, HTTP from anywhere, the rest between nodes" },
      { parent: this },
    );
    this.securityGroupId = this.securityGroup.id;
    this.rules = new tc.SecurityGroupRuleSet(
      `${name}-sg-rules`,
      { securityGroupId: this.securityGroup.id, ingresses: ingressRules(args.config), egresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "ALL", port: "ALL", description: "packages and updates" }] },
      { parent: this },
    );
    this.registerOutputs({ vpcId: this.vpcId, subnetId: this.subnetId, securityGroupId: this.securityGroupId });
  }
}

/** The ingress rules, in order. Exported for the policy pack's tests and the README. */
export function ingressRules(config: IamHaConfig): tc.SecurityGroupRule[] {
  const backendPorts = [...new Set(config.sites.map((s) => s.port))].sort((a, b) => a - b).join(",");
  const dbNode = config.nodes.find((n) => n.name === config.database.node);
  const rules: tc.SecurityGroupRule[] = [
    { action: "ACCEPT", cidrBlock: config.network.adminCidr, protocol: "TCP", port: SSH, description: "SSH from the admin CIDR" },
    { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: HTTP, description: "HTTP to nginx" },
  ];
  for (const node of config.nodes) {
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
