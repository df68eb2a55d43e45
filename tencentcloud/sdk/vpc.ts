// Mirrors sdk/nodejs/vpc/instance.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets.
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../tokens";
import * as utilities from "./utilities";

export interface InstanceArgs {
  /** A network address block which should be a subnet of the three internal network segments (10.0.0.0/16, 172.16.0.0/12 and 192.168.0.0/16). */
  cidrBlock: pulumi.Input<string>;
  /** The name of the VPC. */
  name?: pulumi.Input<string>;
}

/** A VPC. */
export class Instance extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.vpc;

  constructor(name: string, args: InstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { cidrBlock: args.cidrBlock, name: args.name };
    super(Instance.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
