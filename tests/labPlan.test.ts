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
async function declared(
  values: Record<string, unknown>,
  newMachines: string[] = [],
  lastOutputs?: Record<string, unknown>,
): Promise<DeclaredProgram & { outputs: Record<string, unknown> }> {
  const run = await runProgram({
    config: asPulumiConfig(values, { "tencentcloud:region": "ap-guangzhou" }),
    secretKeys: SECRET_KEYS.map((k) => `iam-ha:${k}`),
    cloud: (type, name) => (type === TLS_PRIVATE_KEY_TYPE ? keptKey(name) : newMachines.includes(name) ? { id: `${name}-replacement` } : {}),
    // The outputs of the last update, as a StackReference to the stack itself reads them.
    lastOutputs,
  });
  return { ...commandsOf(run), outputs: run.outputs };
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

const vrrpRoll = (nodes: string[]) => Object.fromEntries(nodes.flatMap((n) => ["vrrp-hold", "keepalived", "vrrp-release"].map((s) => [`${n}-${s}`, "update"])));

test.each([
  ["a rotated vrrpAuthPass", { vrrpAuthPass: "Nw9pAss2" }],
  ["a new advertInt", { advertInt: 2 }],
  ["a new virtualRouterId", { virtualRouterId: 77 }],
  ["VRRPv3 with 0.3 s adverts", { vrrpVersion: 3, advertInt: "0.3", vrrpAuthPass: undefined }],
])("%s (peers with old and new settings can't hear each other): every node's hold, keepalived and release run again, nothing else", async (_, change) => {
  expect(changes(await planFor({ ...prod, ...change }))).toEqual(vrrpRoll(["node-1", "node-2"]));
});

test("new priorities (old and new configs hear each other): only keepalived runs again, no hold", async () => {
  const nodes = (prod.nodes as object[]).map((n, i) => ({ ...n, priority: [230, 220][i] }));
  expect(changes(await planFor({ ...prod, nodes }))).toEqual({ "node-1-keepalived": "update", "node-2-keepalived": "update" });
});

test("a second VIP (vips): every front door's firewall, nginx (its state location) and VRRP roll run again; the first VIP's HAVIP and EIP stay, the second's are new", async () => {
  const { havip, virtualRouterId, ...rest } = prod as Record<string, unknown>;
  const vips = [
    { address: havip ?? "10.0.4.99", virtualRouterId: virtualRouterId ?? 51, preferred: "node-1" },
    { address: "10.0.4.98", virtualRouterId: 52, preferred: "node-2" },
  ];
  const program = await declared({ ...rest, vips });
  expect(changes(planUp(applied(prodProgram), program))).toEqual({
    "node-1-firewall": "update",
    "node-2-firewall": "update",
    "node-1-nginx": "update",
    "node-2-nginx": "update",
    ...vrrpRoll(["node-1", "node-2"]),
  });
  const cloud = (p: DeclaredProgram) => p.resources.filter((r) => /havip|eip/.test(r));
  expect(
    cloud(program)
      .filter((r) => !cloud(prodProgram).includes(r))
      .sort(),
  ).toEqual([
    "iam-ha-vip-10.0.4.98-eip",
    "iam-ha-vip-10.0.4.98-eip-attachment",
    "iam-ha-vip-10.0.4.98-havip",
    "iam-ha-vip-10.0.4.98-havip-node-1",
    "iam-ha-vip-10.0.4.98-havip-node-2",
  ]);
  expect(cloud(prodProgram).filter((r) => !cloud(program).includes(r))).toEqual([]);
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
    "node-3-vrrp-hold": "create",
    "node-3-keepalived": "create",
    "node-3-vrrp-release": "create",
  });
});

test("a backend-only node: its steps and its grant are created, the front doors' upstreams and firewalls updated, no keepalived change", async () => {
  const nodes = [...(prod.nodes as object[]), { name: "node-3", privateIp: "10.0.4.22", role: "backend" }];
  expect(changes(await planFor({ ...prod, nodes }))).toEqual({
    "node-1-firewall": "update",
    "node-1-nginx": "update",
    "node-1-grant-node-3": "create",
    "node-2-firewall": "update",
    "node-2-nginx": "update",
    "node-3-ready": "create",
    "node-3-packages": "create",
    "node-3-firewall": "create",
  });
});

test("moving a running stack behind a CLB: packages, firewall (no VRRP, no VIP on lo) and nginx (no keepalived drop-in) update; hold, keepalived and release are deleted (their remove runs); the HAVIP and EIP go, the CLB comes", async () => {
  const program = await declared({ ...prod, frontDoor: "clb" });
  const front = (p: DeclaredProgram) => p.resources.filter((r) => /havip|eip|clb/.test(r));
  expect(changes(planUp(applied(prodProgram), program))).toEqual({
    "node-1-packages": "update",
    "node-2-packages": "update",
    "node-1-firewall": "update",
    "node-2-firewall": "update",
    "node-1-nginx": "update",
    "node-2-nginx": "update",
    // keepalived's remove stops it and takes its config away; hold and release leave nothing to undo.
    ...Object.fromEntries(
      ["node-1", "node-2"].flatMap((n) => [
        [`${n}-vrrp-hold`, "delete, nothing to undo"],
        [`${n}-keepalived`, "delete"],
        [`${n}-vrrp-release`, "delete, nothing to undo"],
      ]),
    ),
  });
  expect(front(program).every((r) => r.startsWith("iam-ha-clb"))).toBe(true);
  expect(front(prodProgram).filter((r) => front(program).includes(r))).toEqual([]);
});

test("a front door made a backend-only node: its keepalived stops first, then its nginx and keepalived steps are deleted (their remove runs)", async () => {
  const three = await declared(threeNodeValues());
  const nodes = (threeNodeValues().nodes as { name: string }[]).map((n) => (n.name === "node-3" ? { ...n, role: "backend", priority: undefined } : n));
  const program = await declared({ ...prod, nodes }, [], three.outputs);
  // Before its firewall stops VRRP or a peer drops it, its keepalived stops, as a removed node's does.
  const retire = program.commands.find((c) => c.name === "node-3-retire")!;
  for (const waiting of ["node-3-firewall", "node-2-keepalived"]) expect(program.commands.find((c) => c.name === waiting)!.after).toContain(retire.name);
  expect(changes(planUp(applied(three), program))).toEqual({
    "node-3-retire": "create",
    "node-1-keepalived": "update",
    "node-1-nginx": "update",
    "node-1-firewall": "update",
    "node-2-keepalived": "update",
    "node-2-nginx": "update",
    "node-2-firewall": "update",
    "node-3-packages": "update",
    "node-3-firewall": "update",
    "node-3-nginx": "delete",
    "node-3-vrrp-hold": "delete, nothing to undo",
    "node-3-keepalived": "delete",
    "node-3-vrrp-release": "delete, nothing to undo",
  });
});

test("the third node removed: its keepalived stops first, its grant is dropped, its own steps go with its CVM (no delete on it)", async () => {
  const three = await declared(threeNodeValues());
  const program = await declared(prod, [], three.outputs);
  const plan = planUp(applied(three), program);
  // Before any remaining node drops it from its peers, its keepalived stops: over SSH to the
  // address the last update exported (prod dials public IPs), pinned to its host key.
  const retire = program.commands.find((c) => c.name === "node-3-retire")!;
  const node3 = (three.outputs.nodeAddresses as { name: string; publicIp: string; hostKey: string }[]).find((n) => n.name === "node-3")!;
  expect([retire.host, retire.hostKey]).toEqual([node3.publicIp, node3.hostKey]);
  const firstKeepalived = program.commands.find((c) => c.name.endsWith("-keepalived"))!;
  expect(firstKeepalived.after).toContain("node-3-retire");
  expect(changes(plan)).toMatchObject({
    "node-3-retire": "create",
    "node-1-grant-node-3": "delete",
    "node-3-vrrp-release": "delete, nothing to undo",
    "node-3-keepalived": "delete, goes with iam-ha-node-3",
    "node-3-vrrp-hold": "delete, nothing to undo",
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

test("a dead node removed (removeDeadNodes): no retire step reaches for it; its grant is still dropped", async () => {
  const three = await declared(threeNodeValues());
  const program = await declared({ ...prod, removeDeadNodes: true }, [], three.outputs);
  expect(program.commands.map((c) => c.name)).not.toContain("node-3-retire");
  expect(changes(planUp(applied(three), program))).toMatchObject({ "node-1-grant-node-3": "delete" });
});

test("the update after a removal: the retire step goes (nothing to undo), nothing else changes", async () => {
  const three = await declared(threeNodeValues());
  const removal = await declared(prod, [], three.outputs);
  const next = await declared(prod, [], removal.outputs);
  expect(changes(planUp(applied(removal), next))).toEqual({ "node-3-retire": "delete, nothing to undo" });
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
  const lines = text.split("\n");
  expect(lines.slice(0, -1).sort()).toEqual(
    Object.keys(vrrpRoll(["node-1", "node-2"]))
      .sort()
      .map((name) => expect.stringMatching(new RegExp(`^ {2}~ {2}${name} +update \\[stdin\\]$`))),
  );
  expect(lines[lines.length - 1]).toBe(`  ${prodProgram.commands.length - 6} unchanged`);
});
