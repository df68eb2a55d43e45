// Mirrors sdk/nodejs/ha/vip.ts, ha/vipEipAttachment.ts, ha/vipInstanceAttachment.ts and ha/getVips.ts
// of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets and the outputs it reads.
import * as pulumi from "@pulumi/pulumi";
import { FUNCTIONS, TYPES } from "../tokens";
import * as types from "./types";
import * as utilities from "./utilities";

export interface VipArgs {
  /** Whether to enable verification of the submachine or network card range during HAVIP drift. Not enabled by default. */
  checkAssociate?: pulumi.Input<boolean>;
  /** Name of the HA VIP. The length of character is limited to 1-60. */
  name?: pulumi.Input<string>;
  /** Subnet ID. */
  subnetId: pulumi.Input<string>;
  /** Virtual IP address, it must not be occupied and in this VPC network segment. If not set, it will be assigned after resource created automatically. */
  vip?: pulumi.Input<string>;
  /** VPC ID. */
  vpcId: pulumi.Input<string>;
}

/** A high-availability virtual IP: the only VPC address a CVM may take over by gratuitous ARP. */
export class Vip extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.havip;

  /** The virtual IP address. */
  declare readonly vip: pulumi.Output<string>;

  constructor(name: string, args: VipArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { checkAssociate: args.checkAssociate, name: args.name, subnetId: args.subnetId, vip: args.vip, vpcId: args.vpcId };
    super(Vip.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface VipEipAttachmentArgs {
  /** Public address of the EIP (not its id). */
  addressIp: pulumi.Input<string>;
  /** ID of the attached HA VIP. */
  havipId: pulumi.Input<string>;
}

/** An EIP bound to an HA VIP. */
export class VipEipAttachment extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.havipEipAttachment;

  constructor(name: string, args: VipEipAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { addressIp: args.addressIp, havipId: args.havipId };
    super(VipEipAttachment.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface VipInstanceAttachmentArgs {
  /** Unique ID of the HaVip instance. */
  haVipId?: pulumi.Input<string>;
  /** The unique ID of the slave machine or network card to which HaVip is bound. */
  instanceId: pulumi.Input<string>;
  /** The type of HaVip binding. Values:CVM, ENI. */
  instanceType?: pulumi.Input<string>;
}

/** One CVM (or ENI) an HA VIP with `checkAssociate` may move to. */
export class VipInstanceAttachment extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.havipInstanceAttachment;

  constructor(name: string, args: VipInstanceAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { haVipId: args.haVipId, instanceId: args.instanceId, instanceType: args.instanceType };
    super(VipInstanceAttachment.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface GetVipsArgs {
  /** ID of the HA VIP to be queried. */
  id?: string;
  /** VPC id of the HA VIPs to be queried. */
  vpcId?: string;
  /** Subnet id of the HA VIPs to be queried. */
  subnetId?: string;
}

export interface GetVipsResult {
  /** Information list of the dedicated HA VIPs. */
  readonly haVipLists: types.output.Ha.GetVipsHaVipList[];
}

/** HA VIPs as Tencent Cloud sees them now, with the instance each one is bound to. */
export function getVips(args?: GetVipsArgs, opts?: pulumi.InvokeOptions): Promise<GetVipsResult> {
  return pulumi.runtime.invoke(
    FUNCTIONS.getVips,
    { id: args?.id, vpcId: args?.vpcId, subnetId: args?.subnetId },
    pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {}),
  );
}
