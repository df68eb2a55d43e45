// Mirrors sdk/nodejs/provider.ts of @tencentcloud_iac/pulumi v0.2.3: every setting it takes.
import * as pulumi from "@pulumi/pulumi";
import { PROVIDER } from "../tokens";
import * as types from "./types";
import * as utilities from "./utilities";

export interface ProviderArgs {
  /** TencentCloud account IDs this stack may use (conflicts with forbiddenAccountIds). */
  allowedAccountIds?: pulumi.Input<pulumi.Input<string>[]>;
  assumeRole?: pulumi.Input<types.input.ProviderAssumeRole>;
  assumeRoleWithSaml?: pulumi.Input<types.input.ProviderAssumeRoleWithSaml>;
  assumeRoleWithWebIdentity?: pulumi.Input<types.input.ProviderAssumeRoleWithWebIdentity>;
  /** The name of the CVM instance CAM role. */
  camRoleName?: pulumi.Input<string>;
  /** The cos domain of the API request. */
  cosDomain?: pulumi.Input<string>;
  /** The root domain of the API request, Default is `tencentcloudapi.com`. */
  domain?: pulumi.Input<string>;
  /** Whether to enable pod oidc. */
  enablePodOidc?: pulumi.Input<boolean>;
  /** TencentCloud account IDs this stack must not use (conflicts with allowedAccountIds). */
  forbiddenAccountIds?: pulumi.Input<pulumi.Input<string>[]>;
  mfaCertification?: pulumi.Input<types.input.ProviderMfaCertification>;
  /** The profile name as set in the shared credentials. */
  profile?: pulumi.Input<string>;
  /** The protocol of the API request. Valid values: `HTTP` and `HTTPS`. Default is `HTTPS`. */
  protocol?: pulumi.Input<string>;
  /** The region (the plugin's default: TENCENTCLOUD_REGION, else ap-guangzhou). */
  region?: pulumi.Input<string>;
  /** The API secret id (the plugin's default: TENCENTCLOUD_SECRET_ID). */
  secretId?: pulumi.Input<string>;
  /** The API secret key, kept secret (the plugin's default: TENCENTCLOUD_SECRET_KEY). */
  secretKey?: pulumi.Input<string>;
  /** The security token of temporary credentials, kept secret (the plugin's default: TENCENTCLOUD_SECURITY_TOKEN). */
  securityToken?: pulumi.Input<string>;
  /** The directory of the shared credentials (default ~/.tccli). */
  sharedCredentialsDir?: pulumi.Input<string>;
}

/**
 * An explicit provider. As the SDK's, it sends lists, objects and booleans as JSON text and keeps
 * secretKey and securityToken secret. Unlike the SDK's, it does not copy TENCENTCLOUD_* variables
 * into its inputs (the plugin reads them itself) and does not register
 * `additionalSecretOutputs: ["secretKey", "securityToken"]`.
 */
export class Provider extends pulumi.ProviderResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = PROVIDER;

  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
    const asJson = <T>(value: pulumi.Input<T> | undefined) => pulumi.output(value).apply((v) => JSON.stringify(v));
    const resourceInputs: pulumi.Inputs = {
      allowedAccountIds: asJson(args?.allowedAccountIds),
      assumeRole: asJson(args?.assumeRole),
      assumeRoleWithSaml: asJson(args?.assumeRoleWithSaml),
      assumeRoleWithWebIdentity: asJson(args?.assumeRoleWithWebIdentity),
      camRoleName: args?.camRoleName,
      cosDomain: args?.cosDomain,
      domain: args?.domain,
      enablePodOidc: asJson(args?.enablePodOidc),
      forbiddenAccountIds: asJson(args?.forbiddenAccountIds),
      mfaCertification: asJson(args?.mfaCertification),
      profile: args?.profile,
      protocol: args?.protocol,
      region: args?.region,
      secretId: args?.secretId,
      secretKey: args?.secretKey ? pulumi.secret(args.secretKey) : undefined,
      securityToken: args?.securityToken ? pulumi.secret(args.securityToken) : undefined,
      sharedCredentialsDir: args?.sharedCredentialsDir,
    };
    super(Provider.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
