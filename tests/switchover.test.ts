import { NodeState } from "../common/checks";
import { commandFailed, forwardCommand, Mark, markCommand, release, switchover, SwitchoverTarget } from "../common/switchover";
import { renderKeepalivedFiles } from "../render/keepalived";
import { PATHS } from "../render/osFacts";
import * as fs from "fs";
import * as path from "path";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { SECRET_KEYS, stackValues, threeNodeValues } from "./fixtures/stacks";
import { run, tempDir } from "./fixtures/tools";

/**
 * The planned switchover's choices, against a fake cluster that behaves as keepalived does: a
 * node in maintenance goes to FAULT; a promoted node's priority is its own plus 253, capped at
 * 254; when no node is MASTER, the ready BACKUP with the highest such priority takes the VIP; a
 * MASTER keeps it whatever the others' priorities (nopreempt). The lab test runs the real thing
 * under a request stream.
 */

const HAVIP = "10.0.4.99";

interface FakeOptions {
  /** Steps the fake refuses, as a command failing on the node would ("node-1 maintenance=1"). */
  refuse?: string[];
  /** No election happens: the VIP never lands anywhere. */
  frozen?: boolean;
}

function cluster(states: Record<string, string>, priorities: Record<string, number>, options: FakeOptions = {}) {
  const steps: string[] = [];
  const promoted = new Set<string>();
  const forwarding = new Set<string>();
  const priority = (n: string) => Math.min(254, priorities[n] + (promoted.has(n) ? 253 : 0));
  const master = () => Object.keys(states).find((n) => states[n] === "MASTER");
  const nodes = Object.keys(states).map((name, i) => ({ name, privateIp: `10.0.4.${20 + i}` }));
  const actions = new Map<string, string>();
  for (const on of [true, false]) {
    for (const mark of ["maintenance", "promote"] as Mark[]) actions.set(markCommand(mark, on), `${mark}=${on ? 1 : 0}`);
    for (const holder of nodes)
      actions.set(forwardCommand(on, { havip: HAVIP, vrrpInterface: "eth0", holderIp: holder.privateIp }), on ? `forward=1 (to ${holder.name})` : "forward=0");
  }
  const elect = () => {
    if (options.frozen || master()) return;
    const next = Object.keys(states)
      .filter((n) => states[n] === "BACKUP")
      .sort((a, b) => priority(b) - priority(a))[0];
    if (next) states[next] = "MASTER";
  };
  const target: SwitchoverTarget = {
    nodes,
    havip: HAVIP,
    vrrpInterface: "eth0",
    nodeStates: async (): Promise<NodeState[]> => Object.entries(states).map(([name, state]) => ({ name, state, holdsVip: state === "MASTER" })),
    runAsRoot: async (node: string, command: string) => {
      const action = actions.get(command);
      if (!action) throw new Error(`the fake does not know ${command}`);
      if (options.refuse?.includes(`${node} ${action}`)) throw commandFailed({ code: 255, stderr: "ssh: connect to host port 22: Connection refused\n" });
      const [what, value] = action.split(/[= ]/);
      // Where the VIP is when the forwarding ends: it must have moved by then.
      steps.push(what === "forward" && value === "0" ? `${node} forward=0 (MASTER: ${master() ?? "none"})` : `${node} ${action}`);
      const set = what === "promote" ? promoted : what === "forward" ? forwarding : undefined;
      if (set) {
        if (value === "1") set.add(node);
        else set.delete(node);
        return;
      }
      if (value === "1") states[node] = "FAULT";
      else if (states[node] === "FAULT") states[node] = "BACKUP";
      elect();
    },
  };
  return { target, steps, states, promoted, forwarding };
}

const quick = { graceMs: 10 };

test("promotes the target, forwards the holder's connections from the target, puts it in maintenance; once the VIP has moved, undoes all but the maintenance, last first", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 });
  const r = await switchover(c.target, undefined, quick);
  expect([r.from, r.to]).toEqual(["node-1", "node-2"]);
  expect(c.states).toEqual({ "node-1": "FAULT", "node-2": "MASTER" });
  expect(c.steps).toEqual([
    "node-2 promote=1",
    "node-2 forward=1 (to node-1)",
    "node-1 maintenance=1",
    "node-2 forward=0 (MASTER: node-2)",
    "node-2 promote=0",
  ]);
});

test("with --to, only that node is promoted: it takes the VIP over a BACKUP of higher priority, which is left alone", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP", "node-3": "BACKUP" }, { "node-1": 100, "node-2": 90, "node-3": 80 });
  const r = await switchover(c.target, "node-3", quick);
  expect(r.to).toBe("node-3");
  expect(c.states).toEqual({ "node-1": "FAULT", "node-2": "BACKUP", "node-3": "MASTER" });
  expect(c.steps).toEqual([
    "node-3 promote=1",
    "node-3 forward=1 (to node-1)",
    "node-1 maintenance=1",
    "node-3 forward=0 (MASTER: node-3)",
    "node-3 promote=0",
  ]);
});

test.each([
  [
    "node-2 forward=1 (to node-1)",
    "forwarding the holder's connections on node-2 failed: exit 255: ssh: connect to host port 22: Connection refused",
    ["node-2 promote=1", "node-2 promote=0"],
  ],
  [
    "node-1 maintenance=1",
    "putting in maintenance on node-1 failed: exit 255: ssh: connect to host port 22: Connection refused",
    ["node-2 promote=1", "node-2 forward=1 (to node-1)", "node-2 forward=0 (MASTER: node-1)", "node-2 promote=0"],
  ],
])("when %s fails, the error names the step and the node, and every step before it is undone", async (refuse, message, steps) => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 }, { refuse: [refuse] });
  await expect(switchover(c.target, undefined, quick)).rejects.toThrow(message);
  expect(c.steps).toEqual(steps);
  expect(c.states).toEqual({ "node-1": "MASTER", "node-2": "BACKUP" });
});

test("an undo that fails does not stop the others, and the first failure is the one reported", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 }, { refuse: ["node-1 maintenance=1", "node-2 forward=0"] });
  await expect(switchover(c.target, undefined, quick)).rejects.toThrow(/^putting in maintenance on node-1 failed/);
  expect(c.steps).toEqual(["node-2 promote=1", "node-2 forward=1 (to node-1)", "node-2 promote=0"]);
});

test("when the target never takes the VIP, every step but the maintenance is undone, and the error says how to release the old holder", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 }, { frozen: true });
  await expect(switchover(c.target, undefined, { ...quick, timeoutMs: 300 })).rejects.toThrow(
    "node-2 did not take the VIP within 0.3 s; node-1 stays in maintenance: release it with --release node-1",
  );
  expect([c.promoted.size, c.forwarding.size]).toEqual([0, 0]);
});

test("refuses what cannot work, saying why, before it marks anything: no holder, an unknown or unready --to, the holder itself", async () => {
  const refusal = async (states: Record<string, string>, to?: string) => {
    const c = cluster(states, { "node-1": 100, "node-2": 50 });
    const message = await switchover(c.target, to, quick).then(
      () => "moved",
      (e: Error) => e.message,
    );
    expect(c.steps).toEqual([]);
    return message;
  };
  expect(await refusal({ "node-1": "BACKUP", "node-2": "BACKUP" })).toMatch(/^no node holds the VIP \(node-1 BACKUP, node-2 BACKUP\)/);
  expect(await refusal({ "node-1": "MASTER", "node-2": "BACKUP" }, "node-9")).toBe("--to node-9 is not a front door of this stack (node-1, node-2)");
  expect(await refusal({ "node-1": "MASTER", "node-2": "FAULT" })).toBe(
    "no BACKUP is ready to take the VIP (node-1 MASTER (holds VIP), node-2 FAULT); bring one back first",
  );
  expect(await refusal({ "node-1": "MASTER", "node-2": "FAULT" }, "node-2")).toMatch(/^node-2 is not a BACKUP ready to take the VIP/);
  expect(await refusal({ "node-1": "MASTER", "node-2": "BACKUP" }, "node-1")).toBe("node-1 already holds the VIP");
});

test("release puts a node back in service", async () => {
  const c = cluster({ "node-1": "FAULT", "node-2": "MASTER" }, { "node-1": 100, "node-2": 50 });
  await release(c.target, "node-1");
  expect(c.states).toEqual({ "node-1": "BACKUP", "node-2": "MASTER" });
  expect(c.steps).toEqual(["node-1 maintenance=0"]);
});

test.each([
  ["maintenance", PATHS.maintenanceFile],
  ["promote", PATHS.promoteFile],
] as const)("the %s mark is one line a shell writes to %s: 1 set, 0 cleared", (mark, file) => {
  const scratch = path.join(tempDir(`iam-ha-${mark}-`), mark);
  for (const on of [true, false]) {
    const command = markCommand(mark, on);
    expect(command.endsWith(`> ${file}`)).toBe(true);
    expect(run("sh", ["-c", command.replace(/> \S+$/, `> ${scratch}`)]).code).toBe(0);
    expect(fs.readFileSync(scratch, "utf8")).toBe(on ? "1\n" : "0\n");
  }
});

test("the forwarding is one nftables table the target loads and drops again (nft itself, in a network namespace of its own)", () => {
  const vip = { havip: HAVIP, vrrpInterface: "lo", holderIp: "10.0.4.20" };
  const on = forwardCommand(true, vip);
  const off = forwardCommand(false, vip);
  const r = run("unshare", ["--net", "sh", "-c", [on, on, "nft list table ip iam_ha_handover", off, off, "nft list tables", "echo ended"].join(" && ")]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('ip daddr 10.0.4.99 tcp flags ! syn ct state invalid,new counter packets 0 bytes 0 dup to 10.0.4.20 device "lo" drop');
  expect(r.stdout.trim().split("\n").pop()).toBe("ended");
  expect(r.stdout).not.toMatch(/^table ip iam_ha_handover$/m);
});

test("keepalived tracks the promote file on every node with a weight that lifts even priority 1 to 254 (value × weight + priority, capped at 254)", () => {
  const configs = [stackValues("prod"), threeNodeValues()].map((values) => loadConfig(mapSource(values, SECRET_KEYS)));
  for (const [config, node] of configs.flatMap((c) => c.nodes.map((n) => [c, n] as const))) {
    const conf = renderKeepalivedFiles(config, node).find((f) => f.path === PATHS.keepalivedConf)!.content;
    const declared = /track_file promote \{\n\s+file "([^"]+)"\n\s+weight (\d+)\n\s+init_file 0\n\}/.exec(conf);
    expect(declared?.[1]).toBe(PATHS.promoteFile);
    expect(1 + Number(declared?.[2])).toBeGreaterThanOrEqual(254);
    expect(conf).toMatch(/track_file \{[^}]*\n\s+promote\n[^}]*\}/);
  }
});
