import * as pulumi from "@pulumi/pulumi";
import schema from "../tencentcloud/schema-v0.2.3.json";
import * as tencentcloud from "../tencentcloud";
import { FUNCTIONS, PROVIDER, TYPES } from "../tencentcloud/tokens";
import { ProgramRun, runProgram } from "../lab/program/programUnderMocks";
import { runWith } from "./fixtures/program";
import { stackValues } from "./fixtures/stacks";
import { SDK_CONFIG, SDK_FUNCTIONS, SDK_PROVIDER, SDK_RESOURCES } from "./fixtures/tencentcloudSdk";

/**
 * Our bindings (tencentcloud/) against the real SDK, @tencentcloud_iac/pulumi 0.2.3: the same
 * namespaces, class and function names and type tokens, the SDK's resource options, and inputs
 * and outputs its schema has (tencentcloud/schema-v0.2.3.json, a vendored subset).
 */

/** A resource or function in the schema: its inputs (name → required) and outputs. */
type Spec = { inputs: Record<string, boolean>; outputs: string[] };
const resources = schema.resources as Record<string, Spec>;
const functions = schema.functions as Record<string, Spec>;

const PLUGIN = { version: schema.provider.version, pluginDownloadURL: schema.provider.pluginDownloadURL };
/** A caller's own plugin options (say, a newer plugin from a mirror): they must win over the SDK's defaults. */
const CALLER = { version: "0.2.4", pluginDownloadURL: "https://plugins.example.com/tencentcloud" };

type Binding = (new (name: string, args: unknown, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource) & { __pulumiType?: string };
const exported = tencentcloud as unknown as Record<string, Record<string, unknown>>;
const binding = (namespace: string, className: string) => exported[namespace][className] as Binding;

test.each(SDK_RESOURCES)("%s.%s is the SDK's class, with its token %s", (namespace, className, token) => {
  const b = binding(namespace, className);
  expect(typeof b).toBe("function");
  expect(b.name).toBe(className);
  expect(b.__pulumiType).toBe(token);
  expect(Object.values(TYPES)).toContain(token);
  expect(Object.keys(resources)).toContain(token);
});

test("Provider is the SDK's, at the top of the package, with its token", () => {
  const provider = exported[SDK_PROVIDER.className] as unknown as Binding;
  expect(provider.name).toBe(SDK_PROVIDER.className);
  expect(provider.__pulumiType).toBe(SDK_PROVIDER.token);
  expect(PROVIDER).toBe(SDK_PROVIDER.token);
  expect(schema.provider.name).toBe(SDK_PROVIDER.token);
});

test("config is the SDK's config module: one property per provider setting the schema declares", () => {
  expect(Object.keys(tencentcloud.config).sort()).toEqual([...SDK_CONFIG].sort());
  expect(Object.keys(schema.provider.config).sort()).toEqual([...SDK_CONFIG].sort());
});

test.each(SDK_FUNCTIONS)("%s.%s is the SDK's function, invoking %s", (namespace, functionName, token) => {
  expect(typeof exported[namespace][functionName]).toBe("function");
  expect(Object.values(FUNCTIONS)).toContain(token);
  expect(Object.keys(functions)).toContain(token);
});

test.each(SDK_RESOURCES.filter(([, , , outputs]) => outputs.length > 0))("%s.%s: the provider has the outputs we read", (_ns, _cls, token, outputs) => {
  for (const output of outputs) expect(resources[token].outputs).toContain(output);
});

test("the image lookup is the SDK's images.getInstance, and reads outputs it has", () => {
  expect(Object.keys(schema.functions)).toContain(FUNCTIONS.getImages);
  expect(schema.outputTypes["Images.GetInstanceImage"]).toEqual(expect.arrayContaining(["imageId", "imageName", "createdTime"]));
});

test("the HAVIP lookup is the SDK's ha.getVips, with the inputs and outputs the verifier uses", () => {
  const fn = functions[FUNCTIONS.getVips];
  expect(Object.keys(fn.inputs)).toEqual(expect.arrayContaining(["id", "vpcId", "subnetId", "addressIp", "name"]));
  expect(fn.outputs).toContain("haVipLists");
  expect(schema.outputTypes["Ha.GetVipsHaVipList"]).toEqual(expect.arrayContaining(["id", "vip", "instanceId", "state"]));
});

test("the subnet lookup is the SDK's vpc.getSubnets, with the filters and results the network check uses", () => {
  const fn = functions[FUNCTIONS.getSubnets];
  expect(Object.keys(fn.inputs)).toEqual(expect.arrayContaining(["vpcId", "subnetId"]));
  expect(fn.outputs).toContain("instanceLists");
  expect(schema.outputTypes["Vpc.GetSubnetsInstanceList"]).toEqual(expect.arrayContaining(["subnetId", "vpcId", "availabilityZone", "cidrBlock"]));
});

test("the CLB health lookup is the SDK's clb.getTargetHealth, with the argument and per-target results the verifier uses", () => {
  const fn = functions[FUNCTIONS.getTargetHealth];
  expect(fn.inputs).toMatchObject({ loadBalancerIds: true });
  expect(fn.outputs).toContain("loadBalancers");
  expect(schema.outputTypes["Clb.GetTargetHealthLoadBalancer"]).toEqual(expect.arrayContaining(["loadBalancerId", "listeners"]));
  expect(schema.outputTypes["Clb.GetTargetHealthLoadBalancerListener"]).toEqual(expect.arrayContaining(["listenerId", "port", "rules"]));
  expect(schema.outputTypes["Clb.GetTargetHealthLoadBalancerListenerRule"]).toEqual(expect.arrayContaining(["locationId", "domain", "targets"]));
  expect(schema.outputTypes["Clb.GetTargetHealthLoadBalancerListenerRuleTarget"]).toEqual(
    expect.arrayContaining(["ip", "port", "targetId", "healthStatus", "healthStatusDetail"]),
  );
});

test("a CLB attachment's targets use only the fields of Clb.AttachmentTarget, port the one it requires", () => {
  const fields = Object.fromEntries(schema.inputTypes["Clb.AttachmentTarget"].map((f) => [f.name, f.required]));
  expect(fields).toEqual({ eniIp: false, instanceId: false, port: true, weight: false });
});

interface Invocation {
  token: string;
  version: string;
  pluginDownloadURL: string;
}

/** Every required input of `token`, with a placeholder value (all of them are strings). */
function requiredInputs(token: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resources[token].inputs)
      .filter(([, required]) => required)
      .map(([name]) => [name, `${name}-1`]),
  );
}

/** Each binding and function twice: with no options of ours, and with the caller's plugin options. */
function everyBinding(): Record<string, unknown> {
  const made: Record<string, pulumi.CustomResource> = {};
  new tencentcloud.Provider("provider");
  new tencentcloud.Provider("provider-caller", {}, CALLER);
  for (const [namespace, className, token] of SDK_RESOURCES) {
    const B = binding(namespace, className);
    made[`${namespace}.${className}`] = new B(`${namespace}.${className}`, requiredInputs(token));
    new B(`${namespace}.${className}-caller`, requiredInputs(token), CALLER);
  }
  return {
    resources: made,
    lookups: [
      pulumi.output(tencentcloud.ha.getVips({ id: "havip-1" })),
      pulumi.output(tencentcloud.ha.getVips({ id: "havip-1" }, CALLER)),
      tencentcloud.images.getInstanceOutput({ imageNameRegex: "^Ubuntu" }),
      tencentcloud.images.getInstanceOutput({ imageNameRegex: "^Ubuntu" }, CALLER),
      tencentcloud.vpc.getSubnetsOutput({ vpcId: "vpc-1", subnetId: "subnet-1" }),
      tencentcloud.vpc.getSubnetsOutput({ vpcId: "vpc-1", subnetId: "subnet-1" }, CALLER),
      pulumi.output(tencentcloud.clb.getTargetHealth({ loadBalancerIds: ["lb-1"] })),
      pulumi.output(tencentcloud.clb.getTargetHealth({ loadBalancerIds: ["lb-1"] }, CALLER)),
    ],
  };
}

describe("the bindings under Pulumi's mocks", () => {
  let run: ProgramRun;
  let made: Record<string, pulumi.CustomResource>;
  const invocations: Invocation[] = [];
  beforeAll(async () => {
    // Invokes do not reach the mocks' callbacks with their options: record them at the mock monitor.
    const monitor = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
    const original = monitor.invoke;
    monitor.invoke = function (req: any, callback: unknown) {
      invocations.push({ token: req.getTok(), version: req.getVersion(), pluginDownloadURL: req.getPlugindownloadurl() });
      return original.call(this, req, callback);
    };
    try {
      let exports: Record<string, unknown> = {};
      run = await runProgram({ config: {}, secretKeys: [], stack: "bindings", load: () => (exports = everyBinding()) });
      made = exports.resources as Record<string, pulumi.CustomResource>;
    } finally {
      monitor.invoke = original;
    }
  });
  const registered = (name: string) => run.registrations.find((r) => r.name === name)!;
  const plugin = (name: string) => ({ version: registered(name).version, pluginDownloadURL: registered(name).pluginDownloadURL });

  test.each(SDK_RESOURCES)("%s.%s registers as %s, with the required inputs under the SDK's names", (namespace, className, token) => {
    expect(registered(`${namespace}.${className}`).type).toBe(token);
    expect(registered(`${namespace}.${className}`).inputs).toEqual(requiredInputs(token));
  });

  test("the provider registers as pulumi:providers:tencentcloud", () => {
    expect(registered("provider").type).toBe(`pulumi:providers:${PROVIDER}`);
  });

  test("every resource and the provider ask for the SDK's plugin: tencentcloud 0.2.3 from tencentcloudstack", () => {
    for (const name of ["provider", ...SDK_RESOURCES.map(([ns, cls]) => `${ns}.${cls}`)]) expect([name, plugin(name)]).toEqual([name, PLUGIN]);
  });

  test("a caller's version and pluginDownloadURL win over the plugin defaults (as the SDK merges them)", () => {
    for (const name of ["provider-caller", ...SDK_RESOURCES.map(([ns, cls]) => `${ns}.${cls}-caller`)]) expect([name, plugin(name)]).toEqual([name, CALLER]);
  });

  test("each function invokes its SDK token, with the plugin defaults unless the caller gives its own", () => {
    // Invokes whose arguments are Outputs go out when those resolve: the order is not the calls'.
    const byToken = (a: Invocation, b: Invocation) => `${a.token} ${a.version}`.localeCompare(`${b.token} ${b.version}`);
    expect([...invocations].sort(byToken)).toEqual(
      [
        { token: FUNCTIONS.getVips, ...PLUGIN },
        { token: FUNCTIONS.getVips, ...CALLER },
        { token: FUNCTIONS.getImages, ...PLUGIN },
        { token: FUNCTIONS.getImages, ...CALLER },
        { token: FUNCTIONS.getSubnets, ...PLUGIN },
        { token: FUNCTIONS.getSubnets, ...CALLER },
        { token: FUNCTIONS.getTargetHealth, ...PLUGIN },
        { token: FUNCTIONS.getTargetHealth, ...CALLER },
      ].sort(byToken),
    );
  });

  test.each(SDK_RESOURCES.filter(([, , , outputs]) => outputs.length > 0))("%s.%s exposes the outputs we read", (namespace, className, _token, outputs) => {
    const resource = made[`${namespace}.${className}`] as unknown as Record<string, unknown>;
    for (const output of outputs) expect([output, pulumi.Output.isInstance(resource[output])]).toEqual([output, true]);
  });
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
      const missing = Object.entries(spec.inputs)
        .filter(([k, required]) => required && r.inputs[k] === undefined)
        .map(([k]) => k);
      expect({ resource: r.name, unknown, missing }).toEqual({ resource: r.name, unknown: [], missing: [] });
    }
  });

  test("security group rules use only the fields of GroupRuleSetIngress, and protocols v0.2.3 accepts", () => {
    const fields = schema.inputTypes["Security.GroupRuleSetIngress"].map((f) => f.name);
    const rules = run.registrations.find((r) => r.type === TYPES.securityGroupRuleSet)!.inputs;
    for (const rule of [...(rules.ingresses as object[]), ...(rules.egresses as object[])]) {
      for (const key of Object.keys(rule)) expect(fields).toContain(key);
      expect(["TCP", "UDP", "ICMP", "ICMPv6", "ALL"]).toContain((rule as { protocol: string }).protocol);
    }
  });
});
