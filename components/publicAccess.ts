import * as pulumi from "@pulumi/pulumi";
import * as tencentcloud from "../tencentcloud";

export interface PublicAccessArgs {
  /** The VPC the HAVIP lives in. */
  vpcId: pulumi.Input<string>;
  /** The nodes' subnet: the HAVIP lies in it, so only its CVMs can take it over. */
  subnetId: pulumi.Input<string>;
  /** The HAVIP's address: free and inside the subnet. */
  havip: string;
  /** The EIP's charge type, e.g. TRAFFIC_POSTPAID_BY_HOUR. */
  eipChargeType: string;
  /** The EIP's outbound bandwidth cap in Mbit/s. */
  eipBandwidthOut: number;
  /** keepalived on every node: the EIP is bound only once a node can hold the HAVIP. */
  vipHolders: pulumi.Resource[];
}

/** The HAVIP, an EIP, and the EIP bound to the HAVIP. */
export class PublicAccess extends pulumi.ComponentResource {
  readonly havip: tencentcloud.ha.Vip;
  readonly eip: tencentcloud.eip.Instance;
  readonly attachment: tencentcloud.ha.VipEipAttachment;
  readonly publicIp: pulumi.Output<string>;

  constructor(name: string, args: PublicAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:PublicAccess", name, {}, opts);
    this.havip = new tencentcloud.ha.Vip(
      `${name}-havip`,
      { name: `${name}-havip`, vpcId: args.vpcId, subnetId: args.subnetId, vip: args.havip },
      { parent: this },
    );
    this.eip = new tencentcloud.eip.Instance(
      `${name}-eip`,
      { name: `${name}-eip`, internetChargeType: args.eipChargeType, internetMaxBandwidthOut: args.eipBandwidthOut },
      { parent: this },
    );
    // An EIP on an HAVIP that no CVM holds is billed as idle: bind it only after keepalived runs
    // everywhere, and on destroy this goes first.
    this.attachment = new tencentcloud.ha.VipEipAttachment(
      `${name}-eip-attachment`,
      { havipId: this.havip.id, addressIp: this.eip.publicIp },
      { parent: this, dependsOn: args.vipHolders },
    );
    this.publicIp = this.eip.publicIp;
    this.registerOutputs({ publicIp: this.publicIp, havip: this.havip.vip });
  }
}
