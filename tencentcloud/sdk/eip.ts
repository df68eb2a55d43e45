// Mirrors sdk/nodejs/eip/instance.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets
// and the outputs it reads.
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../tokens";
import * as utilities from "./utilities";

export interface InstanceArgs {
  /** The charge type of eip. Valid values: `BANDWIDTH_PACKAGE`, `BANDWIDTH_POSTPAID_BY_HOUR`, `BANDWIDTH_PREPAID_BY_MONTH` and `TRAFFIC_POSTPAID_BY_HOUR`. */
  internetChargeType?: pulumi.Input<string>;
  /** The bandwidth limit of EIP, unit is Mbps. */
  internetMaxBandwidthOut?: pulumi.Input<number>;
  /** The name of eip. */
  name?: pulumi.Input<string>;
}

/** An elastic (public) IP. */
export class Instance extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.eip;

  /** The elastic IP address. */
  declare readonly publicIp: pulumi.Output<string>;

  constructor(name: string, args?: InstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      internetChargeType: args?.internetChargeType,
      internetMaxBandwidthOut: args?.internetMaxBandwidthOut,
      name: args?.name,
      publicIp: undefined /*out*/,
    };
    super(Instance.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
