// Mirrors sdk/nodejs/key/pair.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets.
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../tokens";
import * as utilities from "./utilities";

export interface PairArgs {
  /** The key pair's name. It is the only in one TencentCloud account. */
  keyName: pulumi.Input<string>;
  /** You can import an existing public key and using TencentCloud key pair to manage it. */
  publicKey?: pulumi.Input<string>;
}

/** An SSH key pair, imported from our public key. */
export class Pair extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.keyPair;

  constructor(name: string, args: PairArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { keyName: args.keyName, publicKey: args.publicKey };
    super(Pair.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
