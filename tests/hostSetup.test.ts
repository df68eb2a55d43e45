import { ProgramRun, Registration, unwrap } from "../lab/program/programUnderMocks";
import { TYPES } from "../tencentcloud/tokens";
import { named, ofType, runWith } from "./fixtures/program";
import { stackValues } from "./fixtures/stacks";

/**
 * How the nodes' remote steps behave on `pulumi destroy` and against a node that can't be
 * reached: what the engine would do with each remote.Command, read from its registration.
 */

const COMMAND = "command:remote:Command";

let run: ProgramRun;
beforeAll(async () => {
  run = await runWith(stackValues("prod"));
});

const steps = () => ofType(run, COMMAND);
const nodeOf = (step: Registration) => step.name.split("-").slice(0, 2).join("-");
const dialSeconds = (c: { dialErrorLimit?: number; perDialTimeout?: number }) => (c.dialErrorLimit ?? 10) * (c.perDialTimeout ?? 15);

test("every step goes with its node's CVM: destroying the CVM skips the step's delete, so destroy never dials a node that is going away", () => {
  const cvmUrns = new Map(ofType(run, TYPES.instance).map((cvm) => [cvm.name, cvm.urn]));
  expect(steps().length).toBeGreaterThan(0);
  for (const step of steps()) expect([step.name, step.deletedWith]).toEqual([step.name, cvmUrns.get(`iam-ha-${nodeOf(step)}`)]);
});

test("steps with nothing to undo (ready, packages, the VRRP hold and release) declare no delete, so Pulumi never connects for them on delete", () => {
  const withoutDelete = steps()
    .filter((s) => s.inputs.delete === undefined)
    .map((s) => s.name);
  const nothingToUndo = ["packages", "ready", "vrrp-hold", "vrrp-release"];
  expect(withoutDelete.sort()).toEqual(["node-1", "node-2"].flatMap((n) => nothingToUndo.map((s) => `${n}-${s}`)).sort());
  for (const step of steps().filter((s) => s.inputs.delete !== undefined)) expect(step.inputs.delete).toMatch(/bash -s -- remove$/);
});

test("only the ready step waits minutes for sshd; after it a node that can't be reached fails a step within a minute", () => {
  for (const step of steps()) {
    const connection = unwrap(step.inputs.connection);
    if (step.name.endsWith("-ready")) expect(dialSeconds(connection)).toBeGreaterThanOrEqual(600);
    else expect([step.name, dialSeconds(connection) <= 60]).toEqual([step.name, true]);
  }
  expect(unwrap(named(run, "node-1-nginx").inputs.connection).host).toBe(unwrap(named(run, "node-1-ready").inputs.connection).host);
});
