// Mirrors sdk/nodejs/images/getInstance.ts of @tencentcloud_iac/pulumi v0.2.3: the arguments
// iam-ha passes and the results it reads.
import * as pulumi from "@pulumi/pulumi";
import { FUNCTIONS } from "../tokens";
import * as types from "./types";
import * as utilities from "./utilities";

export interface GetInstanceOutputArgs {
  /** A regex string to apply to the image list returned by TencentCloud, conflict with 'os_name'. */
  imageNameRegex?: pulumi.Input<string>;
  /** A list of the image type to be queried. Valid values: `PUBLIC_IMAGE`, `PRIVATE_IMAGE`, `SHARED_IMAGE`, `MARKET_IMAGE`. */
  imageTypes?: pulumi.Input<pulumi.Input<string>[]>;
  /** Instance type, such as `S1.SMALL1`. */
  instanceType?: pulumi.Input<string>;
}

export interface GetInstanceResult {
  /** An information list of image. */
  readonly images: types.output.Images.GetInstanceImage[];
}

/** The images that match the filters, as an Output. */
export function getInstanceOutput(args?: GetInstanceOutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetInstanceResult> {
  return pulumi.runtime.invokeOutput(
    FUNCTIONS.getImages,
    { imageNameRegex: args?.imageNameRegex, imageTypes: args?.imageTypes, instanceType: args?.instanceType },
    pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {}),
  );
}
