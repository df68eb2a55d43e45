// Mirrors sdk/nodejs/subnet/instance.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets.
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../tokens";
import * as utilities from "./utilities";

export interface InstanceArgs {
  /** The availability zone within which the subnet should be created. */
  availabilityZone: pulumi.Input<string>;
  /** A network address block of the subnet. */
  cidrBlock: pulumi.Input<string>;
  /** The name of subnet to be created. */
  name?: pulumi.Input<string>;
  /** ID of the VPC to be associated. */
  vpcId: pulumi.Input<string>;
}

/** A VPC subnet: it lies in one availability zone. */
export class Instance extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.subnet;

  constructor(name: string, args: InstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { availabilityZone: args.availabilityZone, cidrBlock: args.cidrBlock, name: args.name, vpcId: args.vpcId };
    super(Instance.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
