// Mirrors sdk/nodejs/security/group.ts and security/groupRuleSet.ts of @tencentcloud_iac/pulumi
// v0.2.3: the inputs iam-ha sets.
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../tokens";
import * as types from "./types";
import * as utilities from "./utilities";

export interface GroupArgs {
  /** Description of the security group. */
  description?: pulumi.Input<string>;
  /** Name of the security group. */
  name?: pulumi.Input<string>;
}

/** A security group (its rules are a GroupRuleSet). */
export class Group extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.securityGroup;

  constructor(name: string, args?: GroupArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { description: args?.description, name: args?.name };
    super(Group.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface GroupRuleSetArgs {
  /** List of egress rule. NOTE: this block is ordered, the first rule has the highest priority. */
  egresses?: pulumi.Input<pulumi.Input<types.input.Security.GroupRuleSetEgress>[]>;
  /** List of ingress rule. NOTE: this block is ordered, the first rule has the highest priority. */
  ingresses?: pulumi.Input<pulumi.Input<types.input.Security.GroupRuleSetIngress>[]>;
  /** ID of the security group. */
  securityGroupId: pulumi.Input<string>;
}

/** All rules of a group in one resource, in order: nothing else can add a rule unnoticed. */
export class GroupRuleSet extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.securityGroupRuleSet;

  constructor(name: string, args: GroupRuleSetArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { egresses: args.egresses, ingresses: args.ingresses, securityGroupId: args.securityGroupId };
    super(GroupRuleSet.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}
