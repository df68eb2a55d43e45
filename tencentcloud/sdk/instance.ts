// Mirrors sdk/nodejs/instance/instance.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha
// sets and the outputs it reads. The SDK also registers every CVM with
// `additionalSecretOutputs: ["password"]`; iam-ha sets no password, and leaves that out so its
// registered graph stays as it was.
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../tokens";
import * as utilities from "./utilities";

export interface InstanceArgs {
  /** Associate a public IP address with an instance in a VPC or Classic. Boolean value, Default is false. */
  allocatePublicIp?: pulumi.Input<boolean>;
  /** The available zone for the CVM instance. */
  availabilityZone?: pulumi.Input<string>;
  /** The hostname of the instance. Changing the `hostname` will cause the instance system to restart. */
  hostname?: pulumi.Input<string>;
  /** The image to use for the instance. Modifications may lead to the reinstallation of the instance's operating system. */
  imageId?: pulumi.Input<string>;
  /** The name of the instance. */
  instanceName?: pulumi.Input<string>;
  /** The type of the instance. */
  instanceType?: pulumi.Input<string>;
  /** Internet charge type of the instance; need not be set when `allocatePublicIp` is false. */
  internetChargeType?: pulumi.Input<string>;
  /** Maximum outgoing bandwidth to the public network, in Mbps; need not be set when `allocatePublicIp` is false. */
  internetMaxBandwidthOut?: pulumi.Input<number>;
  /** The key pair to use for the instance, it looks like `skey-16jig7tx`. Modifications may lead to the reinstallation of the instance's operating system. */
  keyIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** A list of orderly security group IDs to associate with. */
  orderlySecurityGroups?: pulumi.Input<pulumi.Input<string>[]>;
  /** The private IP to be assigned to this instance, must be in the provided subnet and available. */
  privateIp?: pulumi.Input<string>;
  /** The ID of a VPC subnet. If you want to create instances in a VPC network, this parameter must be set. */
  subnetId?: pulumi.Input<string>;
  /** Size of the system disk. unit is GB, Default is 50GB. If modified, the instance may force stop. */
  systemDiskSize?: pulumi.Input<number>;
  /** System disk type, e.g. `CLOUD_PREMIUM`. NOTE: If modified, the instance may force stop. */
  systemDiskType?: pulumi.Input<string>;
  /** The user data to be injected into this instance, in plain text. Conflicts with `userData`. Up to 16 KB after base64 encoded. If `userDataReplaceOnChange` is set to `true`, updates to this field will trigger the destruction and recreation of the CVM instance. */
  userDataRaw?: pulumi.Input<string>;
  /** When used in combination with `userData` or `userDataRaw` will trigger a destroy and recreate of the CVM instance when set to `true`. Default is `false`. */
  userDataReplaceOnChange?: pulumi.Input<boolean>;
  /** The ID of a VPC network. If you want to create instances in a VPC network, this parameter must be set. */
  vpcId?: pulumi.Input<string>;
}

/** A CVM. */
export class Instance extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.instance;

  /** Public IP of the instance (with `allocatePublicIp`; empty otherwise). */
  declare readonly publicIp: pulumi.Output<string>;

  constructor(name: string, args?: InstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      allocatePublicIp: args?.allocatePublicIp,
      availabilityZone: args?.availabilityZone,
      hostname: args?.hostname,
      imageId: args?.imageId,
      instanceName: args?.instanceName,
      instanceType: args?.instanceType,
      internetChargeType: args?.internetChargeType,
      internetMaxBandwidthOut: args?.internetMaxBandwidthOut,
      keyIds: args?.keyIds,
      orderlySecurityGroups: args?.orderlySecurityGroups,
      privateIp: args?.privateIp,
      subnetId: args?.subnetId,
      systemDiskSize: args?.systemDiskSize,
      systemDiskType: args?.systemDiskType,
      userDataRaw: args?.userDataRaw,
      userDataReplaceOnChange: args?.userDataReplaceOnChange,
      vpcId: args?.vpcId,
      publicIp: undefined /*out*/,
    };
    super(Instance.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
