import * as pulumi from "@pulumi/pulumi";
import { IamHaConfig } from "../config/types";
import * as tc from "../tencentcloud/resources";

export interface PublicAccessArgs {
  config: IamHaConfig;
  vpcId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  /** keepalived on every node: the EIP is bound only once a node can hold the HAVIP. */
  vipHolders: pulumi.Resource[];
}

/** The HAVIP, an EIP, and the EIP bound to the HAVIP. */
export class PublicAccess extends pulumi.ComponentResource {
  readonly havip: tc.HaVip;
  readonly eip: tc.Eip;
  readonly attachment: tc.HaVipEipAttachment;
  readonly publicIp: pulumi.Output<string>;

  constructor(name: string, args: PublicAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:PublicAccess", name, {}, opts);
    const { config } = args;
    this.havip = new tc.HaVip(`${name}-havip`, { name: `${name}-havip`, vpcId: args.vpcId, subnetId: args.subnetId, vip: config.vrrp.havip }, { parent: this });
    this.eip = new tc.Eip(
      `${name}-eip`,
      { name: `${name}-eip`, internetChargeType: config.eip.chargeType, internetMaxBandwidthOut: config.eip.bandwidthOut },
      { parent: this },
    );
    // An EIP on an HAVIP that no CVM holds is billed as idle: bind it only after keepalived runs
    // everywhere, and on destroy this goes first.
    this.attachment = new tc.HaVipEipAttachment(
      `${name}-eip-attachment`,
      { havipId: this.havip.id, addressIp: this.eip.publicIp },
      { parent: this, dependsOn: args.vipHolders },
    );
    this.publicIp = this.eip.publicIp;
    this.registerOutputs({ publicIp: this.publicIp, havip: this.havip.vip });
  }
}
