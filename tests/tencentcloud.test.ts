import schema from "../tencentcloud/schema-v0.2.3.json";
import * as tc from "../tencentcloud/resources";
import { ProgramRun } from "../lab/program/programUnderMocks";
import { runWith } from "./fixtures/program";
import { stackValues } from "./fixtures/stacks";

/** Our declarations of the provider's resources against the real SDK's schema (vendored subset). */

type ResourceSchema = { inputs: Record<string, boolean>; outputs: string[] };
const resources = schema.resources as Record<string, ResourceSchema>;
const bindings = [tc.Vpc, tc.Subnet, tc.SecurityGroup, tc.SecurityGroupRuleSet, tc.KeyPair, tc.Instance, tc.HaVip, tc.Eip, tc.HaVipEipAttachment];

test("the plugin options are the SDK's own", () => {
  expect(tc.PLUGIN).toEqual({ version: schema.provider.version, pluginDownloadURL: schema.provider.pluginDownloadURL });
});

test.each(bindings.map((b) => [b.__pulumiType, b] as const))("%s exists in the provider, with the outputs we read", (token, binding) => {
  expect(Object.keys(resources)).toContain(token);
  for (const output of binding.outputNames) expect(resources[token].outputs).toContain(output);
});

test("the image lookup is the SDK's images.getInstance, and reads outputs it has", () => {
  expect(Object.keys(schema.functions)).toContain(tc.GET_IMAGES);
  expect(schema.outputTypes["Images.GetInstanceImage"]).toEqual(expect.arrayContaining(["imageId", "imageName", "createdTime"]));
});

test("the HAVIP lookup is the SDK's ha.getVips, with the inputs and outputs the verifier uses", () => {
  const fn = (schema.functions as Record<string, { inputs: Record<string, boolean>; outputs: string[] }>)[tc.GET_VIPS];
  expect(Object.keys(fn.inputs)).toEqual(expect.arrayContaining(["id", "vpcId", "subnetId", "addressIp", "name"]));
  expect(fn.outputs).toContain("haVipLists");
  expect(schema.outputTypes["Ha.GetVipsHaVipList"]).toEqual(expect.arrayContaining(["id", "vip", "instanceId", "state"]));
});

describe("what the prod program registers", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runWith(stackValues("prod"));
  });

  test("uses only the provider's input names, and gives every required one", () => {
    const tencent = run.registrations.filter((r) => r.type.startsWith("tencentcloud:"));
    expect(tencent.length).toBeGreaterThan(0);
    for (const r of tencent) {
      const spec = resources[r.type];
      const unknown = Object.keys(r.inputs).filter((k) => r.inputs[k] !== undefined && !(k in spec.inputs));
      const missing = Object.entries(spec.inputs).filter(([k, required]) => required && r.inputs[k] === undefined).map(([k]) => k);
      expect({ resource: r.name, unknown, missing }).toEqual({ resource: r.name, unknown: [], missing: [] });
    }
  });

  test("security group rules use only the fields of GroupRuleSetIngress, and protocols v0.2.3 accepts", () => {
    const fields = schema.inputTypes["Security.GroupRuleSetIngress"].map((f) => f.name);
    const rules = run.registrations.find((r) => r.type === tc.SecurityGroupRuleSet.__pulumiType)!.inputs;
    for (const rule of [...(rules.ingresses as object[]), ...(rules.egresses as object[])]) {
      for (const key of Object.keys(rule)) expect(fields).toContain(key);
      expect(["TCP", "UDP", "ICMP", "ICMPv6", "ALL"]).toContain((rule as { protocol: string }).protocol);
    }
  });
});
