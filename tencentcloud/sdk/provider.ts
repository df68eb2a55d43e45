// Mirrors sdk/nodejs/provider.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets.
import * as pulumi from "@pulumi/pulumi";
import { PROVIDER } from "../tokens";
import * as utilities from "./utilities";

export interface ProviderArgs {
  /** The region (the plugin's default: TENCENTCLOUD_REGION, else ap-guangzhou). */
  region?: pulumi.Input<string>;
  /** The API secret id (the plugin's default: TENCENTCLOUD_SECRET_ID). */
  secretId?: pulumi.Input<string>;
  /** The API secret key, kept secret (the plugin's default: TENCENTCLOUD_SECRET_KEY). */
  secretKey?: pulumi.Input<string>;
}

/**
 * An explicit provider: the stack's region and, optionally, credentials. Unlike the SDK's, it does
 * not copy TENCENTCLOUD_* variables into its inputs (the plugin reads them itself) and does not
 * register `additionalSecretOutputs: ["secretKey", "securityToken"]`.
 */
export class Provider extends pulumi.ProviderResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = PROVIDER;

  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      region: args?.region,
      secretId: args?.secretId,
      secretKey: args?.secretKey ? pulumi.secret(args.secretKey) : undefined,
    };
    super(Provider.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
