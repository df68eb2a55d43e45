import { asPulumiConfig } from "../config/stackFile";
import { commandsOf } from "../lab/program/declaredCommands";
import { AppliedState, DeclaredProgram, formatPlan, PlannedStep, planUp } from "../lab/program/plan";
import { runProgram, sshKeyPair, TLS_PRIVATE_KEY_TYPE } from "../lab/program/programUnderMocks";
import { SECRET_KEYS, stackValues, threeNodeValues } from "./fixtures/stacks";

/**
 * The plan the lab runs for a change, as `pulumi up` would make it for the program's remote
 * commands: which steps run again, which are replaced (and in which order), which are deleted,
 * and which deletes the engine skips. Each case is a change an operator makes on day 2.
 */

// Host keys live in state: the same for every run of one stack, as Pulumi's state keeps them.
const hostKeys = new Map<string, ReturnType<typeof sshKeyPair>>();
const keptKey = (name: string) => hostKeys.get(name) ?? hostKeys.set(name, sshKeyPair()).get(name)!;

/** Runs the program; `newMachines` names CVMs the cloud made anew (a new instance id at the same address). */
async function declared(values: Record<string, unknown>, newMachines: string[] = []): Promise<DeclaredProgram> {
  const run = await runProgram({
    config: asPulumiConfig(values, { "tencentcloud:region": "ap-guangzhou" }),
    secretKeys: SECRET_KEYS.map((k) => `iam-ha:${k}`),
    cloud: (type, name) => (type === TLS_PRIVATE_KEY_TYPE ? keptKey(name) : newMachines.includes(name) ? { id: `${name}-replacement` } : {}),
  });
  return commandsOf(run);
}

const applied = (program: DeclaredProgram): AppliedState => ({ commands: program.commands.map((c) => ({ ...c, stdout: "" })), resources: program.resources });

/** The plan's changes as name → op (with the replacement order and any skipped delete). */
function changes(plan: PlannedStep[]): Record<string, string> {
  return Object.fromEntries(
    plan
      .filter((s) => s.op !== "same")
      .map((s) => [s.name, [s.op, s.op === "replace" && (s.deleteFirst ? "delete first" : "create first"), s.skip].filter(Boolean).join(", ")]),
  );
}

const prod = stackValues("prod");
let prodProgram: DeclaredProgram;
beforeAll(async () => {
  prodProgram = await declared(prod);
});

const planFor = async (values: Record<string, unknown>, from = prodProgram) => planUp(applied(from), await declared(values));

test("nothing changed: every command is left alone, as pulumi up leaves an unchanged resource", async () => {
  const plan = await planFor(prod);
  expect(changes(plan)).toEqual({});
  expect(plan.length).toBe(prodProgram.commands.length);
});

test("a new site: every node's firewall (its port) and nginx are updated, nothing else runs", async () => {
  const sites = [...(prod.sites as object[]), { serverName: "iam.new.marmotedu.com", port: 7070 }];
  expect(changes(await planFor({ ...prod, sites }))).toEqual({
    "node-1-firewall": "update",
    "node-2-firewall": "update",
    "node-1-nginx": "update",
    "node-2-nginx": "update",
  });
});

test("a rotated vrrpAuthPass updates keepalived on every node, and nothing else", async () => {
  expect(changes(await planFor({ ...prod, vrrpAuthPass: "Nw9pAss2" }))).toEqual({ "node-1-keepalived": "update", "node-2-keepalived": "update" });
});

test("a third node: its steps and its grant are created, the others' upstreams, peers and firewalls updated", async () => {
  expect(changes(await planFor(threeNodeValues()))).toEqual({
    "node-1-firewall": "update",
    "node-1-nginx": "update",
    "node-1-keepalived": "update",
    "node-1-grant-node-3": "create",
    "node-2-firewall": "update",
    "node-2-nginx": "update",
    "node-2-keepalived": "update",
    "node-3-ready": "create",
    "node-3-packages": "create",
    "node-3-firewall": "create",
    "node-3-nginx": "create",
    "node-3-keepalived": "create",
  });
});

test("the third node removed: its grant is dropped on the database node, its own steps go with its CVM (no delete on it)", async () => {
  const plan = await planFor(prod, await declared(threeNodeValues()));
  expect(changes(plan)).toMatchObject({
    "node-1-grant-node-3": "delete",
    "node-3-keepalived": "delete, goes with iam-ha-node-3",
    "node-3-nginx": "delete, goes with iam-ha-node-3",
    "node-3-firewall": "delete, goes with iam-ha-node-3",
    "node-3-packages": "delete, nothing to undo",
    "node-3-ready": "delete, nothing to undo",
  });
  // Deletes come last, dependents first: the grant and the node's steps in reverse order of creation.
  const deletes = plan.filter((s) => s.op === "delete").map((s) => s.name);
  expect(plan.slice(-deletes.length).every((s) => s.op === "delete")).toBe(true);
  expect(deletes.indexOf("node-3-keepalived")).toBeLessThan(deletes.indexOf("node-3-nginx"));
  expect(deletes.indexOf("node-3-nginx")).toBeLessThan(deletes.indexOf("node-3-ready"));
});

test("another database user replaces each grant delete-first: the old account is dropped before the new one is made", async () => {
  expect(changes(await planFor({ ...prod, dbUser: "iam2" }))).toEqual({ "node-1-grant-node-2": "replace, delete first" });
});

test("a replaced CVM at the same address (sshVia private: same connection) runs every step of its node again, and only those", async () => {
  const plan = planUp(applied(prodProgram), await declared(prod, ["iam-ha-node-2"]));
  expect(changes(plan)).toEqual(Object.fromEntries(prodProgram.commands.filter((c) => c.name.startsWith("node-2-")).map((c) => [c.name, "update"])));
  expect(plan.filter((s) => s.op === "update").every((s) => JSON.stringify(s.changed) === '["stdin"]')).toBe(true);
});

test("destroy: every step is deleted last-first, and none makes a call on its node", () => {
  const plan = planUp(applied(prodProgram), { commands: [], resources: [] });
  expect(plan.map((s) => s.name)).toEqual([...prodProgram.commands].reverse().map((c) => c.name));
  expect(plan.filter((s) => !s.skip)).toEqual([]);
});

test("lab preview lists the changes as pulumi preview would, and counts the rest", async () => {
  const text = formatPlan(await planFor({ ...prod, vrrpAuthPass: "Nw9pAss2" }));
  expect(text.split("\n")).toEqual([
    expect.stringMatching(/^ {2}~ {2}node-1-keepalived +update \[stdin\]$/),
    expect.stringMatching(/^ {2}~ {2}node-2-keepalived +update \[stdin\]$/),
    `  ${prodProgram.commands.length - 2} unchanged`,
  ]);
});
