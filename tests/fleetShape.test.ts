import { hostKeyUserData } from "../components/nodes";
import { CvmShape, FleetShape, fleetShape, FleetVerdict, judgeFleetChange } from "../config/fleetShape";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { asPulumiConfig } from "../config/stackFile";
import { runProgram, STACK_REFERENCE_TYPE } from "../lab/program/programUnderMocks";
import { readStackFile } from "../config/stackFile";
import { SECRET_KEYS, sshKeygen, stackValues, TEST_SECRETS, threeNodeValues } from "./fixtures/stacks";

/**
 * Changes that would take every node down at once are refused (issue 9): the pure comparison of
 * the last update's fleet with the new one, then the program itself under mocks.
 */

const USER_DATA = hostKeyUserData("<host private key>", "<host public key>");
// Nodes without public IPs are reached privately, so nodeBandwidthOut may go either way.
const base: Record<string, unknown> = { ...stackValues("prod"), sshVia: "private" };
const node1 = { name: "node-1", privateIp: "10.0.4.20", priority: 100 };
const node2 = { name: "node-2", privateIp: "10.0.4.21", priority: 50 };
const node3 = { name: "node-3", privateIp: "10.0.4.22", priority: 30 };

const shapeOf = (values: Record<string, unknown>, userData = USER_DATA): FleetShape => fleetShape(loadConfig(mapSource(values, SECRET_KEYS)), userData);
const verdict = (before: Record<string, unknown>, after: Record<string, unknown>, allow = false): FleetVerdict =>
  judgeFleetChange(shapeOf(before), shapeOf(after), allow);
const refusal = (v: FleetVerdict) => ("refusal" in v ? v.refusal : undefined);

describe("an update that stops or replaces every running node is refused, naming the change", () => {
  test.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    [
      "nodeBandwidthOut from 1 to 0 (no public IPs)",
      base,
      { ...base, nodeBandwidthOut: 0 },
      "iam-ha:nodeBandwidthOut: a public IP (above 0) → no public IP (0). Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "nodeBandwidthOut from 0 to 1 (public IPs)",
      { ...base, nodeBandwidthOut: 0 },
      base,
      "iam-ha:nodeBandwidthOut: no public IP (0) → a public IP (above 0). Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "the availability zone",
      base,
      { ...base, availabilityZone: "ap-guangzhou-4" },
      "iam-ha:availabilityZone / moreZones: ap-guangzhou-3 → ap-guangzhou-4. Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "a new sshPublicKey (a new key pair)",
      base,
      { ...base, sshPublicKey: sshKeygen("rsa", 2048).publicKey },
      "iam-ha:sshPublicKey / iam-ha:sshKeyPairId changes. Tencent Cloud force-stops (to rebind the key pair) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "an existing key pair instead of the imported one",
      base,
      { ...base, sshKeyPairId: "skey-abcd1234" },
      "iam-ha:sshPublicKey / iam-ha:sshKeyPairId changes. Tencent Cloud force-stops (to rebind the key pair) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "the instance type",
      base,
      { ...base, instanceType: "S5.LARGE8" },
      "iam-ha:instanceType: S5.MEDIUM4 → S5.LARGE8. Tencent Cloud force-stops (to resize) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "the system disk's size",
      base,
      { ...base, systemDiskSize: 100 },
      "iam-ha:systemDiskSize / iam-ha:systemDiskType: CLOUD_PREMIUM 50 GB → CLOUD_PREMIUM 100 GB. Tencent Cloud force-stops (to resize the disk) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "the system disk's type",
      base,
      { ...base, systemDiskType: "CLOUD_SSD" },
      "iam-ha:systemDiskSize / iam-ha:systemDiskType: CLOUD_PREMIUM 50 GB → CLOUD_SSD 50 GB. Tencent Cloud force-stops (to resize the disk) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "an existing VPC and subnet instead of new ones",
      base,
      { ...base, vpcId: "vpc-abcd1234", subnetId: "subnet-abcd1234" },
      "iam-ha:vpcId / subnetId / vpcCidr / subnetCidr / moreZones: a new VPC 10.0.0.0/16, subnet 10.0.4.0/24 → subnet-abcd1234. Tencent Cloud stops (to move it to the new subnet) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "every node's private IP",
      base,
      {
        ...base,
        nodes: [
          { ...node1, privateIp: "10.0.4.30" },
          { ...node2, privateIp: "10.0.4.31" },
        ],
      },
      "iam-ha:nodes[].privateIp: 10.0.4.20 → 10.0.4.30, 10.0.4.21 → 10.0.4.31. Tencent Cloud stops (to readdress it) all 2 CVMs at once (node-1, node-2).",
    ],
    [
      "every node renamed",
      base,
      {
        ...base,
        nodes: [
          { ...node1, name: "node-a" },
          { ...node2, name: "node-b" },
        ],
      },
      "iam-ha:nodes: removes node-1, node-2.",
    ],
    [
      "one node removed and the others readdressed",
      threeNodeValues(),
      {
        ...base,
        nodes: [
          { ...node1, privateIp: "10.0.4.30" },
          { ...node2, privateIp: "10.0.4.31" },
        ],
      },
      "iam-ha:nodes[].privateIp: 10.0.4.20 → 10.0.4.30, 10.0.4.21 → 10.0.4.31. Tencent Cloud stops (to readdress it) 2 CVMs (node-1, node-2).\n  - iam-ha:nodes: removes node-3.",
    ],
  ])("%s", (_, before, after, line) => {
    const message = refusal(verdict(before, after));
    expect(message).toContain(`\n  - ${line}\n`);
    expect(message).toMatch(/^iam-ha: refused: this update takes all \d running nodes down at once, and the front door with them\. Nothing was changed\./);
    expect(message).toContain("pulumi config set iam-ha:allowFleetOutage true");
  });

  test("a change of the user data's form, which replaces every CVM", () => {
    const message = refusal(judgeFleetChange(shapeOf(base), shapeOf(base, `${USER_DATA}# another form\n`), false));
    expect(message).toContain(
      "\n  - the nodes' user data (components/nodes.ts hostKeyUserData) changes. Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).\n",
    );
  });

  test("the whole message: what changes, what Tencent Cloud does, the rule, and the safe way for each change", () => {
    expect(refusal(verdict(base, { ...base, nodeBandwidthOut: 0, instanceType: "S5.LARGE8" }))).toBe(
      [
        "iam-ha: refused: this update takes all 2 running nodes down at once, and the front door with them. Nothing was changed.",
        "  - iam-ha:nodeBandwidthOut: a public IP (above 0) → no public IP (0). Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).",
        "  - iam-ha:instanceType: S5.MEDIUM4 → S5.LARGE8. Tencent Cloud force-stops (to resize) all 2 CVMs at once (node-1, node-2).",
        "An update may stop or replace some nodes, never all of them. The safe way, per change:",
        "  - iam-ha:nodeBandwidthOut: make it in a new stack, move DNS to that stack's publicIp, then destroy this one; a bandwidth change that keeps it above 0 is made in place",
        "  - iam-ha:instanceType: make it in a new stack, move DNS to that stack's publicIp, then destroy this one",
        "  - or, in a maintenance window, let this one update through with iam-ha:allowFleetOutage (pulumi config set iam-ha:allowFleetOutage true; pulumi up; then set it back to false).",
      ].join("\n"),
    );
  });
});

describe("backend-only nodes do not count: the rule is about the nodes that can hold the VIP", () => {
  const app = { name: "app-3", privateIp: "10.0.4.22", role: "backend" };
  const withBackend = { ...base, nodes: [node1, node2, app] };

  test("every front door stopped while a backend-only node stays untouched is still refused", () => {
    const readdressed = { ...withBackend, nodes: [{ ...node1, privateIp: "10.0.4.30" }, { ...node2, privateIp: "10.0.4.31" }, app] };
    expect(refusal(verdict(withBackend, readdressed))).toContain("Tencent Cloud stops (to readdress it) all 2 CVMs at once (node-1, node-2).");
  });

  test("a backend-only node readdressed (stopped) or removed, with the front doors untouched, passes", () => {
    expect(verdict(withBackend, { ...withBackend, nodes: [node1, node2, { ...app, privateIp: "10.0.4.32" }] })).toEqual({});
    expect(verdict(withBackend, base)).toEqual({});
  });
});

describe("an update that keeps a running node untouched passes", () => {
  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ["nothing changed", base, base],
    ["nodeBandwidthOut from 1 to 5 (made in place)", base, { ...base, nodeBandwidthOut: 5 }],
    ["a node added", base, threeNodeValues()],
    ["a node removed", threeNodeValues(), base],
    ["one node renamed", base, { ...base, nodes: [node1, { ...node2, name: "node-b" }] }],
    ["one node readdressed", base, { ...base, nodes: [node1, { ...node2, privateIp: "10.0.4.31" }] }],
    [
      "two of three nodes readdressed",
      threeNodeValues(),
      { ...base, nodes: [{ ...node1, privateIp: "10.0.4.30" }, { ...node2, privateIp: "10.0.4.31" }, node3] },
    ],
    [
      "a site, the VRRP settings, the secrets and the EIP",
      base,
      { ...base, advertInt: 2, vrrpAuthPass: "N3wPass1", eipBandwidthOut: 20, sites: (base.sites as object[]).slice(0, 1) },
    ],
  ])("%s", (_, before, after) => {
    expect(verdict(before, after)).toEqual({});
  });

  test.each([
    ["the first up, or one after an update by a program that did not export fleetShape", undefined],
    ["an output that is no fleet shape", "not a shape"],
  ])("%s", (_, previous) => {
    expect(judgeFleetChange(previous, shapeOf({ ...base, nodeBandwidthOut: 0 }), false)).toEqual({});
  });

  test("a field the last update did not record is not compared (a newer program adds fields)", () => {
    const old: Record<string, Partial<CvmShape>> = structuredClone(shapeOf(base));
    for (const cvm of Object.values(old)) delete cvm.userData;
    expect(judgeFleetChange(old, shapeOf(base, `${USER_DATA}# another form\n`), false)).toEqual({});
  });
});

describe("nodes across zones (frontDoor clb): each node is judged by its own zone and subnet", () => {
  const clb: Record<string, unknown> = { ...readStackFile("clb", "examples")!.values, ...TEST_SECRETS, sshPublicKey: base.sshPublicKey };
  const secondZone = (change: Record<string, string>) => ({ ...clb, moreZones: [{ ...(clb.moreZones as object[])[0], ...change }] });

  test("each node's shape names the zone and subnet that hold its address", () => {
    const shape = shapeOf(clb);
    expect(Object.entries(shape).map(([name, s]) => [name, s.availabilityZone, s.subnet])).toEqual([
      ["zone-a1", "ap-guangzhou-3", "a new VPC 172.20.0.0/16, subnet 172.20.20.0/24"],
      ["zone-a2", "ap-guangzhou-3", "a new VPC 172.20.0.0/16, subnet 172.20.20.0/24"],
      ["zone-b1", "ap-guangzhou-4", "a new VPC 172.20.0.0/16, subnet 172.20.21.0/24"],
      ["zone-b2", "ap-guangzhou-4", "a new VPC 172.20.0.0/16, subnet 172.20.21.0/24"],
    ]);
  });

  test("moving one zone elsewhere replaces only its nodes: the other zone's stay, so it passes", () => {
    for (const after of [{ ...clb, availabilityZone: "ap-guangzhou-6" }, secondZone({ availabilityZone: "ap-guangzhou-6" })])
      expect(refusal(verdict(clb, after))).toBeUndefined();
  });
});

describe("iam-ha:allowFleetOutage lets one outage through, and asks to be set back", () => {
  test("an outage passes with a warning that says what goes down", () => {
    expect(verdict(base, { ...base, nodeBandwidthOut: 0 }, true)).toEqual({
      warning:
        "iam-ha:allowFleetOutage is true: this update takes the front door down.\n" +
        "  - iam-ha:nodeBandwidthOut: a public IP (above 0) → no public IP (0). Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).\n" +
        "After it, set allowFleetOutage back to false.",
    });
  });

  test("left on for an update without an outage, it warns to set it back", () => {
    expect(verdict(base, base, true)).toEqual({
      warning: "iam-ha:allowFleetOutage is true, and this update keeps a node up anyway. Fix: set it back to false, so the next outage is refused.",
    });
  });
});

describe("the program under mocks", () => {
  /** Runs index.ts with these values, the stack's last outputs as a StackReference to itself reads them; records each type the cloud is asked for. */
  async function up(values: Record<string, unknown>, lastOutputs?: Record<string, unknown>) {
    const asked: string[] = [];
    const run = runProgram({
      config: asPulumiConfig(values, { "tencentcloud:region": "ap-guangzhou" }),
      secretKeys: SECRET_KEYS.map((k) => `iam-ha:${k}`),
      lastOutputs,
      cloud: (type) => {
        asked.push(type);
        return {};
      },
    });
    return { run, asked };
  }

  let first: Record<string, unknown>;
  beforeAll(async () => {
    first = (await (await up(base)).run).outputs;
  });

  test("exports the fleet's shape, one plain entry per node, with the key pair and user data hashed", () => {
    const shape = first.fleetShape as FleetShape;
    expect(Object.keys(shape)).toEqual(["node-1", "node-2"]);
    expect(shape["node-1"]).toEqual({
      availabilityZone: "ap-guangzhou-3",
      publicIp: true,
      keyPair: expect.stringMatching(/^imported [0-9a-f]{16}$/),
      instanceType: "S5.MEDIUM4",
      systemDisk: "CLOUD_PREMIUM 50 GB",
      subnet: "a new VPC 10.0.0.0/16, subnet 10.0.4.0/24",
      privateIp: "10.0.4.20",
      userData: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(JSON.stringify(shape)).not.toContain("ssh-rsa");
  });

  test("refuses nodeBandwidthOut toggled from 1 to 0 before it registers any resource: it only read its last outputs", async () => {
    const { run, asked } = await up({ ...base, nodeBandwidthOut: 0 }, first);
    await expect(run).rejects.toThrow(
      "iam-ha:nodeBandwidthOut: a public IP (above 0) → no public IP (0). Tencent Cloud replaces all 2 CVMs at once (node-1, node-2).",
    );
    expect(asked).toEqual([STACK_REFERENCE_TYPE]);
  });

  test("lets the same change through with iam-ha:allowFleetOutage: true", async () => {
    const { run } = await up({ ...base, nodeBandwidthOut: 0, allowFleetOutage: true }, first);
    expect(((await run).outputs.fleetShape as FleetShape)["node-1"].publicIp).toBe(false);
  });

  test("passes a change to one node (node-2 readdressed)", async () => {
    const { run, asked } = await up({ ...base, nodes: [node1, { ...node2, privateIp: "10.0.4.31" }] }, first);
    await run;
    expect(asked.filter((t) => t.startsWith("tencentcloud:Instance/")).length).toBe(2);
  });

  test("passes the first up, whatever the config", async () => {
    const { run } = await up({ ...base, nodeBandwidthOut: 0 });
    await expect(run).resolves.toBeDefined();
  });
});
