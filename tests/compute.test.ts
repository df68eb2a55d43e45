import { isSecretValue, ProgramRun, unwrap } from "../lab/program/programUnderMocks";
import { FUNCTIONS, TYPES } from "../tencentcloud/tokens";
import { named, ofType, runWith } from "./fixtures/program";
import { stackValues } from "./fixtures/stacks";

/** The CVMs under Pulumi's mocks: the image the instance type supports, the system disk type, the key pair, the bastion's pinned host key. */

/** Runs the program with `values` and records the arguments of every image lookup it makes. */
async function runRecordingImageLookups(values: Record<string, unknown>): Promise<{ program: ProgramRun; lookups: Record<string, unknown>[] }> {
  const rpc = require("@pulumi/pulumi/runtime/rpc");
  const monitor = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
  const original = monitor.invoke;
  const lookups: Record<string, unknown>[] = [];
  monitor.invoke = function (req: any, callback: unknown) {
    if (req.getTok() === FUNCTIONS.getImages) lookups.push(rpc.deserializeProperties(req.getArgs()));
    return original.call(this, req, callback);
  };
  try {
    return { program: await runWith(values), lookups };
  } finally {
    monitor.invoke = original;
  }
}

test("the image lookup asks only for images the instance type supports (images.getInstance instanceType → DescribeImages InstanceType)", async () => {
  const { lookups } = await runRecordingImageLookups({ ...stackValues("prod"), instanceType: "SA5.MEDIUM4" });
  expect(lookups).toEqual([{ imageNameRegex: "^Ubuntu Server 22.04 LTS 64", imageTypes: ["PUBLIC_IMAGE"], instanceType: "SA5.MEDIUM4" }]);
});

test.each([
  [{}, "CLOUD_PREMIUM"],
  [{ systemDiskType: "CLOUD_BSSD" }, "CLOUD_BSSD"],
])("with %j every CVM's system disk is %s", async (over, diskType) => {
  const program = await runWith({ ...stackValues("prod"), ...over });
  expect(ofType(program, TYPES.instance).map((i) => i.inputs.systemDiskType)).toEqual([diskType, diskType]);
});

test("with sshKeyPairId the nodes use that existing key pair, and none is imported (Tencent refuses a public key twice)", async () => {
  const program = await runWith({ ...stackValues("prod"), sshKeyPairId: "skey-3glfot13" });
  expect(ofType(program, TYPES.keyPair)).toEqual([]);
  expect(ofType(program, TYPES.instance).map((i) => i.inputs.keyIds)).toEqual([["skey-3glfot13"], ["skey-3glfot13"]]);
  const imported = await runWith(stackValues("prod"));
  expect(ofType(imported, TYPES.instance).map((i) => i.inputs.keyIds)).toEqual([["iam-ha-key-id"], ["iam-ha-key-id"]]);
});

test("through a bastion, every connection pins the bastion's host key (proxy.hostKey = bastionHostKey), kept secret with the connection", async () => {
  const bastionHostKey = unwrap(named(await runWith(stackValues("prod")), "node-1-nginx").inputs.connection).hostKey as string;
  const program = await runWith({ ...stackValues("prod"), sshVia: "bastion", bastionHost: "10.0.4.5", adminCidr: "10.0.4.5/32", bastionHostKey });
  for (const command of ofType(program, "command:remote:Command")) {
    expect(isSecretValue(command.inputs.connection)).toBe(true);
    const connection = unwrap(command.inputs.connection) as { proxy?: { host: string; hostKey?: string } };
    expect([command.name, connection.proxy?.host, connection.proxy?.hostKey]).toEqual([command.name, "10.0.4.5", bastionHostKey]);
  }
});
