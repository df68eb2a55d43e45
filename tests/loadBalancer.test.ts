import * as pulumi from "@pulumi/pulumi";
import schema from "../tencentcloud/schema-v0.2.3.json";
import { LoadBalancer, LoadBalancerArgs } from "../components/loadBalancer";
import { ProgramRun, Registration, runProgram } from "../lab/program/programUnderMocks";
import { TYPES } from "../tencentcloud/tokens";
import { named, ofType } from "./fixtures/program";

/**
 * The LoadBalancer component alone under Pulumi's mocks (frontDoor clb): the CLB, its security
 * group, one HTTP listener, and per site one rule and one attachment of every front door.
 */

const NODES = ["zone-a1", "zone-a2", "zone-b1", "zone-b2"];
const SITES = ["iam.api.marmotedu.com", "iam.authz.marmotedu.com"];
const HEALTH = { interval: 3, healthyThreshold: 2, unhealthyThreshold: 4, timeout: 2 };
/** The fake cloud's address for the CLB (a documentation range, which no test sends to). */
const CLB_VIP = "198.51.100.80";
/** A stand-in type for each node's nginx step, which the attachments must wait for. */
const NGINX_STEP = "test:index:NginxStep";

/** A resource of any type, with no inputs: the CVMs and nginx steps the component is given. */
class Stub extends pulumi.CustomResource {
  constructor(type: string, name: string) {
    super(type, name, {});
  }
}

/** What the fake cloud answers: bare ids in the outputs, and the provider's composite ids as the resources' own. */
function cloud(type: string, name: string): Record<string, unknown> {
  switch (type) {
    case TYPES.clb:
      return { id: "lb-test", clbVips: [CLB_VIP] };
    case TYPES.clbListener:
      return { id: "lb-test#lbl-test", listenerId: "lbl-test" };
    case TYPES.clbListenerRule:
      return { id: `lb-test#lbl-test#loc-${name}`, ruleId: `loc-${name}` };
    default:
      return {};
  }
}

type Options = Partial<Pick<LoadBalancerArgs, "clbName" | "masterZone" | "slaveZone">> & { stack?: string };

/** Registers the component with four front doors (CVMs) and their nginx steps, under `stack`. */
async function runBalancer(options: Options = {}): Promise<{ run: ProgramRun; outputs: Record<string, unknown> }> {
  const stack = options.stack ?? "clb";
  const run = await runProgram({
    config: {},
    secretKeys: [],
    stack,
    cloud,
    load: () => {
      const cvms = NODES.map((node) => new Stub(TYPES.instance, node));
      const nginxSteps = NODES.map((node) => new Stub(NGINX_STEP, `${node}-nginx`));
      const balancer = new LoadBalancer("iam-ha", {
        vpcId: "vpc-test",
        clbName: options.clbName ?? `iam-ha-${stack}`,
        masterZone: options.masterZone,
        slaveZone: options.slaveZone,
        chargeType: "TRAFFIC_POSTPAID_BY_HOUR",
        bandwidthOut: 20,
        sites: SITES.map((serverName) => ({ serverName })),
        health: HEALTH,
        targets: Object.fromEntries(NODES.map((node, i) => [node, cvms[i].id])),
        targetsReady: nginxSteps,
      });
      return { address: balancer.address, clbId: balancer.clbId };
    },
  });
  return { run, outputs: run.outputs };
}

const component = (run: ProgramRun) => run.registrations.find((r) => r.type === "iam-ha:network:LoadBalancer")!;
const children = (run: ProgramRun) => run.registrations.filter((r) => r.parent === component(run).urn);

describe("the CLB front door, with no master or standby zone", () => {
  let run: ProgramRun;
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    ({ run, outputs } = await runBalancer());
  });

  test("is one iam-ha:network:LoadBalancer named iam-ha, whose children are exactly the CLB's resources, by name and type", () => {
    expect(component(run).name).toBe("iam-ha");
    // Registrations arrive as their inputs resolve: compare as sets.
    const byName = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
    expect(
      children(run)
        .map((r) => [r.name, r.type])
        .sort(byName),
    ).toEqual(
      [
        ["iam-ha-clb", TYPES.clb],
        ["iam-ha-clb-http", TYPES.clbListener],
        ["iam-ha-clb-iam.api.marmotedu.com", TYPES.clbListenerRule],
        ["iam-ha-clb-iam.api.marmotedu.com-targets", TYPES.clbAttachment],
        ["iam-ha-clb-iam.authz.marmotedu.com", TYPES.clbListenerRule],
        ["iam-ha-clb-iam.authz.marmotedu.com-targets", TYPES.clbAttachment],
        ["iam-ha-clb-sg", TYPES.securityGroup],
        ["iam-ha-clb-sg-rules", TYPES.securityGroupRuleSet],
      ].sort(byName),
    );
  });

  test("the CLB's own security group admits HTTP from anywhere, and nothing else", () => {
    expect(named(run, "iam-ha-clb-sg").inputs).toEqual({ name: "iam-ha-clb", description: expect.any(String) });
    expect(named(run, "iam-ha-clb-sg-rules").inputs).toEqual({
      securityGroupId: "iam-ha-clb-sg-id",
      ingresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "80", description: "HTTP to the CLB" }],
      egresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "ALL", port: "ALL" }],
    });
  });

  test("the CLB is public, in the nodes' VPC, behind its own group only (loadBalancerPassToTarget), with no zone keys", () => {
    expect(named(run, "iam-ha-clb").inputs).toEqual({
      networkType: "OPEN",
      clbName: "iam-ha-clb",
      vpcId: "vpc-test",
      internetChargeType: "TRAFFIC_POSTPAID_BY_HOUR",
      internetBandwidthMaxOut: 20,
      securityGroups: ["iam-ha-clb-sg-id"],
      loadBalancerPassToTarget: true,
    });
  });

  test("a replaced CLB is deleted first (its name is unique per region), and a zone change replaces it (the provider cannot update one)", () => {
    const clb = named(run, "iam-ha-clb");
    expect(clb.deleteBeforeReplace).toBe(true);
    expect(clb.replaceOnChanges.sort()).toEqual(["masterZoneId", "slaveZoneId"]);
  });

  test("one HTTP listener on port 80, with no health fields (an HTTP listener's checks live on its rules)", () => {
    expect(named(run, "iam-ha-clb-http").inputs).toEqual({ clbId: "lb-test", listenerName: "http", port: 80, protocol: "HTTP" });
  });

  test.each(SITES)("%s has one rule: its domain, checked on /healthz with its own Host, by GET, 2xx only, from 100.64.0.0/10", (site) => {
    expect(ofType(run, TYPES.clbListenerRule).filter((r) => r.inputs.domain === site)).toHaveLength(1);
    expect(named(run, `iam-ha-clb-${site}`).inputs).toEqual({
      clbId: "lb-test",
      listenerId: "lbl-test",
      domain: site,
      url: "/",
      healthCheckSwitch: true,
      healthCheckIntervalTime: HEALTH.interval,
      healthCheckHealthNum: HEALTH.healthyThreshold,
      healthCheckUnhealthNum: HEALTH.unhealthyThreshold,
      healthCheckTimeOut: HEALTH.timeout,
      healthCheckHttpPath: "/healthz",
      healthCheckHttpCode: 2,
      healthCheckHttpDomain: site,
      healthCheckHttpMethod: "GET",
      healthSourceIpType: 1,
      scheduler: "WRR",
    });
  });

  test.each(SITES)("%s has one attachment, to its own rule by bare ids, holding every front door at port 80", (site) => {
    const attachments = ofType(run, TYPES.clbAttachment).filter((r) => r.inputs.ruleId === `loc-iam-ha-clb-${site}`);
    expect(attachments.map((a) => a.name)).toEqual([`iam-ha-clb-${site}-targets`]);
    expect(attachments[0].inputs).toEqual({
      clbId: "lb-test",
      listenerId: "lbl-test",
      ruleId: `loc-iam-ha-clb-${site}`,
      targets: NODES.map((node) => ({ instanceId: `${node}-id`, port: 80, weight: 10 })),
    });
  });

  test("each attachment waits for every front door's nginx step", () => {
    const steps = ofType(run, NGINX_STEP).map((r) => r.urn);
    expect(steps).toHaveLength(NODES.length);
    for (const attachment of ofType(run, TYPES.clbAttachment))
      expect([attachment.name, attachment.dependencies]).toEqual([attachment.name, expect.arrayContaining(steps)]);
  });

  test("nothing else waits for the nginx steps: the CLB, its listener and rules are made meanwhile", () => {
    const steps = ofType(run, NGINX_STEP).map((r) => r.urn);
    const waiting = children(run).filter((r) => r.dependencies.some((d) => steps.includes(d)));
    expect(waiting.map((r) => r.type)).toEqual([TYPES.clbAttachment, TYPES.clbAttachment]);
  });

  test("its outputs are the CLB's first VIP and its bare id", () => {
    expect(outputs).toEqual({ address: CLB_VIP, clbId: "lb-test" });
  });

  test("every child uses only the provider's input names, and gives every required one", () => {
    const resources = schema.resources as Record<string, { inputs: Record<string, boolean> }>;
    const fields = Object.fromEntries(schema.inputTypes["Clb.AttachmentTarget"].map((f) => [f.name, f.required]));
    for (const r of children(run)) {
      const spec = resources[r.type];
      const unknown = Object.keys(r.inputs).filter((k) => !(k in spec.inputs));
      const missing = Object.keys(spec.inputs).filter((k) => spec.inputs[k] && r.inputs[k] === undefined);
      expect({ resource: r.name, unknown, missing }).toEqual({ resource: r.name, unknown: [], missing: [] });
    }
    for (const target of ofType(run, TYPES.clbAttachment).flatMap((a) => a.inputs.targets as Record<string, unknown>[])) {
      expect(Object.keys(target).filter((k) => !(k in fields))).toEqual([]);
    }
  });
});

describe("the CLB's zones and name", () => {
  const clbOf = async (options: Options): Promise<Registration> => named((await runBalancer(options)).run, "iam-ha-clb");

  test("with a master and a standby zone, the CLB asks for both", async () => {
    const clb = await clbOf({ masterZone: "ap-guangzhou-3", slaveZone: "ap-guangzhou-4" });
    expect([clb.inputs.masterZoneId, clb.inputs.slaveZoneId]).toEqual(["ap-guangzhou-3", "ap-guangzhou-4"]);
  });

  test('empty zones (the config default "") are left out, as Tencent then places the CLB', async () => {
    const clb = await clbOf({ masterZone: "", slaveZone: "" });
    expect(clb.inputs).not.toHaveProperty("masterZoneId");
    expect(clb.inputs).not.toHaveProperty("slaveZoneId");
  });

  test("the CLB's name from a stack name with dots has them as -, as Tencent allows only letters, digits, _ and -", async () => {
    expect((await clbOf({ stack: "prod.eu-1" })).inputs.clbName).toBe("iam-ha-prod-eu-1");
  });

  test.each([
    ["spaces and slashes", "iam-ha-my team/stack", "iam-ha-my-team-stack"],
    ["underscores, which Tencent allows", "iam-ha-lab_2", "iam-ha-lab_2"],
  ])("a name with %s keeps only letters, digits, _ and -", async (_what, name, clbName) => {
    expect((await clbOf({ clbName: name })).inputs.clbName).toBe(clbName);
  });

  test("the CLB's name is cut to Tencent's 60 characters", async () => {
    const clbName = (await clbOf({ clbName: `iam-ha-${"x".repeat(70)}` })).inputs.clbName as string;
    expect(clbName).toBe(`iam-ha-${"x".repeat(53)}`);
  });
});
