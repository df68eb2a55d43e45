/**
 * The subset of @tencentcloud_iac/pulumi 0.2.3 (the Tencent Cloud provider's Node SDK, which our
 * registry lacks) that iam-ha uses, shaped like it: the same namespaces, class and function names,
 * type tokens (../tokens.ts), Args and Result type names, property names and resource options. Each
 * file names the SDK files it mirrors (tag v0.2.3 of tencentcloudstack/pulumi-tencentcloud,
 * sdk/nodejs/); schema-v0.2.3.json is the SDK's schema for the same subset. Importing
 * "@tencentcloud_iac/pulumi" instead of this folder is the one line in ../index.ts; what it registers
 * differently is said in provider.ts and instance.ts.
 */
export * from "./provider";
export { config } from "./config";

import * as clb from "./clb";
import * as eip from "./eip";
import * as ha from "./ha";
import * as images from "./images";
import * as instance from "./instance";
import * as key from "./key";
import * as security from "./security";
import * as subnet from "./subnet";
import * as types from "./types";
import * as vpc from "./vpc";

export { clb, eip, ha, images, instance, key, security, subnet, types, vpc };
