import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../lab/program/programUnderMocks";

/**
 * The lab and the graph tests stand on lab/program/programUnderMocks.ts, which uses two private
 * parts of @pulumi/pulumi (MockMonitor's registerResource and settings.waitForRPCs). If an upgrade
 * moves either, this fails first and says so, instead of every graph test failing obscurely.
 */

class Part extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Part", name, {}, opts);
  }
}

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, props, opts);
  }
}

/** A resource whose output only settles late: waitForRPCs must still wait for what depends on it. */
function smallProgram(): Record<string, unknown> {
  const part = new Part("part");
  const first = new Thing("first", { size: 1 }, { parent: part });
  const late = pulumi.output(new Promise<string>((resolve) => setTimeout(() => resolve("late"), 400)));
  const second = new Thing(
    "second",
    { from: first.id, when: late, password: pulumi.secret("pw") },
    { parent: part, dependsOn: [first], deleteBeforeReplace: true, additionalSecretOutputs: ["password"], replaceOnChanges: ["from"] },
  );
  return { secondId: second.id };
}

test("records every registration with the options the engine would see, after the last one settled", async () => {
  const run = await runProgram({ config: {}, secretKeys: [], load: smallProgram, stack: "harness" });
  expect(run.registrations.map((r) => [r.type, r.name])).toEqual([
    ["test:index:Part", "part"],
    ["test:index:Thing", "first"],
    ["test:index:Thing", "second"],
  ]);
  const [part, first, second] = run.registrations;
  expect(part.urn).toBe("urn:pulumi:harness::iam-ha::test:index:Part::part");
  expect(first.urn).toBe("urn:pulumi:harness::iam-ha::test:index:Part$test:index:Thing::first");
  expect(second.parent).toBe(part.urn);
  expect(second.dependencies).toEqual([first.urn]);
  expect(second).toMatchObject({ deleteBeforeReplace: true, additionalSecretOutputs: ["password"], replaceOnChanges: ["from"], custom: true });
  expect(second.inputs.when).toBe("late");
  expect(run.outputs).toEqual({ secondId: "second-id" });
});
