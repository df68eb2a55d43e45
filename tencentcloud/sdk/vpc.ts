// Mirrors sdk/nodejs/vpc/instance.ts and vpc/getSubnets.ts of @tencentcloud_iac/pulumi v0.2.3: the
// inputs iam-ha sets, the arguments it passes and the results it reads.
import * as pulumi from "@pulumi/pulumi";
import { FUNCTIONS, TYPES } from "../tokens";
import * as types from "./types";
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

export interface GetSubnetsOutputArgs {
  /** ID of the subnet to be queried. */
  subnetId?: pulumi.Input<string>;
  /** ID of the VPC to be queried. */
  vpcId?: pulumi.Input<string>;
}

export interface GetSubnetsResult {
  /** List of subnets. */
  readonly instanceLists: types.output.Vpc.GetSubnetsInstanceList[];
}

/** The subnets that match the filters, as an Output. */
export function getSubnetsOutput(args?: GetSubnetsOutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetSubnetsResult> {
  return pulumi.runtime.invokeOutput(
    FUNCTIONS.getSubnets,
    { subnetId: args?.subnetId, vpcId: args?.vpcId },
    pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {}),
  );
}
