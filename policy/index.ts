// The iam-ha policy pack: `pulumi preview --policy-pack policy` (see docs/operations.md).
// The policies live in policies/ so tests can import them without starting this pack's server.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("iam-ha", { policies });
