/**
 * The Tencent Cloud provider SDK the program, the components and the verifier import. Until a
 * registry has @tencentcloud_iac/pulumi 0.2.3, it is our stand-in in ./sdk, shaped like it (see
 * ./sdk/index.ts). To use the real package: `npm install --save-exact @tencentcloud_iac/pulumi@0.2.3`,
 * replace the line below with `export * from "@tencentcloud_iac/pulumi";`, and delete ./sdk and
 * tests/tencentcloudStandIn.test.ts (README: "Switching to the real Tencent Cloud SDK").
 */
export * from "./sdk";
