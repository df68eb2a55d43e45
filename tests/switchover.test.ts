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
/** Active-active's second VIP. */
const SECOND = "10.0.4.51";

interface FakeOptions {
  /** Steps the fake refuses, as a command failing on the node would ("node-1 maintenance=1"). */
  refuse?: string[];
  /** No election happens: the VIP never lands anywhere. */
  frozen?: boolean;
  /** Active-active: each further VIP's states by node (same priorities). */
  more?: Record<string, Record<string, string>>;
}

/** The VIPs a forwarding command forwards, and to whom; undefined for the command that ends it. */
function forwarded(command: string): { vips: string[]; holderIp: string } | undefined {
  const rules = [...command.matchAll(/ip daddr (\S+) .*? dup to (\S+) /g)];
  return rules.length ? { vips: rules.map((r) => r[1]), holderIp: rules[0][2] } : undefined;
}

function cluster(states: Record<string, string>, priorities: Record<string, number>, options: FakeOptions = {}) {
  const steps: string[] = [];
  const promoted = new Set<string>();
  const forwarding = new Set<string>();
  const forwardedVips: string[][] = [];
  const byVip: Record<string, Record<string, string>> = { [HAVIP]: states, ...options.more };
  const priority = (n: string) => Math.min(254, priorities[n] + (promoted.has(n) ? 253 : 0));
  const masterOf = (vip: string) => Object.keys(byVip[vip]).find((n) => byVip[vip][n] === "MASTER");
  const nodes = Object.keys(states).map((name, i) => ({ name, privateIp: `10.0.4.${20 + i}` }));
  const marks = new Map<string, string>();
  for (const on of [true, false]) for (const mark of ["maintenance", "promote"] as Mark[]) marks.set(markCommand(mark, on), `${mark}=${on ? 1 : 0}`);
  const actionOf = (command: string) => {
    if (marks.has(command)) return marks.get(command);
    if (command === forwardCommand(false, { vips: [], vrrpInterface: "eth0", holderIp: "" })) return "forward=0";
    const f = forwarded(command);
    const holder = nodes.find((n) => n.privateIp === f?.holderIp);
    if (!f || !holder || command !== forwardCommand(true, { vips: f.vips, vrrpInterface: "eth0", holderIp: f.holderIp })) return undefined;
    forwardedVips.push(f.vips);
    return `forward=1 (to ${holder.name})`;
  };
  const elect = () => {
    if (options.frozen) return;
    for (const vip of Object.keys(byVip)) {
      if (masterOf(vip)) continue;
      const next = Object.keys(byVip[vip])
        .filter((n) => byVip[vip][n] === "BACKUP")
        .sort((a, b) => priority(b) - priority(a))[0];
      if (next) byVip[vip][next] = "MASTER";
    }
  };
  const holding = (vip: string, name: string) => ({ state: byVip[vip][name], holdsVip: byVip[vip][name] === "MASTER" });
  const target: SwitchoverTarget = {
    nodes,
    vips: Object.keys(byVip),
    vrrpInterface: "eth0",
    nodeStates: async (): Promise<NodeState[]> =>
      nodes.map(({ name }) => ({
        name,
        ...holding(HAVIP, name),
        ...(options.more ? { moreVips: Object.fromEntries(Object.keys(options.more).map((vip) => [vip, holding(vip, name)])) } : {}),
      })),
    runAsRoot: async (node: string, command: string) => {
      const action = actionOf(command);
      if (!action) throw new Error(`the fake does not know ${command}`);
      if (options.refuse?.includes(`${node} ${action}`)) throw commandFailed({ code: 255, stderr: "ssh: connect to host port 22: Connection refused\n" });
      const [what, value] = action.split(/[= ]/);
      // Where the VIP is when the forwarding ends: it must have moved by then.
      steps.push(what === "forward" && value === "0" ? `${node} forward=0 (MASTER: ${masterOf(HAVIP) ?? "none"})` : `${node} ${action}`);
      const set = what === "promote" ? promoted : what === "forward" ? forwarding : undefined;
      if (set) {
        if (value === "1") set.add(node);
        else set.delete(node);
        return;
      }
      for (const vip of Object.keys(byVip)) {
        if (value === "1") byVip[vip][node] = "FAULT";
        else if (byVip[vip][node] === "FAULT") byVip[vip][node] = "BACKUP";
      }
      elect();
    },
  };
  return { target, steps, states, byVip, promoted, forwarding, forwardedVips };
}

const quick = { graceMs: 10 };

test("promotes the target, forwards the holder's connections from the target, puts it in maintenance; once the VIP has moved, undoes all but the maintenance, last first", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 });
  const r = await switchover(c.target, {}, quick);
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
  const r = await switchover(c.target, { to: "node-3" }, quick);
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
  await expect(switchover(c.target, {}, quick)).rejects.toThrow(message);
  expect(c.steps).toEqual(steps);
  expect(c.states).toEqual({ "node-1": "MASTER", "node-2": "BACKUP" });
});

test("an undo that fails does not stop the others, and the first failure is the one reported", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 }, { refuse: ["node-1 maintenance=1", "node-2 forward=0"] });
  await expect(switchover(c.target, {}, quick)).rejects.toThrow(/^putting in maintenance on node-1 failed/);
  expect(c.steps).toEqual(["node-2 promote=1", "node-2 forward=1 (to node-1)", "node-2 promote=0"]);
});

test("when the target never takes the VIP, every step but the maintenance is undone, and the error says how to release the old holder", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 }, { frozen: true });
  await expect(switchover(c.target, {}, { ...quick, timeoutMs: 300 })).rejects.toThrow(
    "node-2 did not take the VIP within 0.3 s; node-1 stays in maintenance: release it with --release node-1",
  );
  expect([c.promoted.size, c.forwarding.size]).toEqual([0, 0]);
});

test("refuses what cannot work, saying why, before it marks anything: no holder, an unknown or unready --to, the holder itself", async () => {
  const refusal = async (states: Record<string, string>, to?: string) => {
    const c = cluster(states, { "node-1": 100, "node-2": 50 });
    const message = await switchover(c.target, { to }, quick).then(
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

describe("active-active: every VIP the holder holds moves, and --from names the holder", () => {
  const priorities = { "node-1": 100, "node-2": 90, "node-3": 80 };
  const spread = () => ({ [SECOND]: { "node-1": "BACKUP", "node-2": "MASTER", "node-3": "BACKUP" } });

  test("--from a node holding only the second VIP: that VIP goes to the first ready node, which already holds the first; nothing else moves", async () => {
    const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP", "node-3": "BACKUP" }, priorities, { more: spread() });
    const r = await switchover(c.target, { from: "node-2" }, quick);
    expect([r.from, r.to, r.vips, r.what]).toEqual(["node-2", "node-1", [SECOND], `VIP ${SECOND}`]);
    expect(c.byVip).toEqual({
      [HAVIP]: { "node-1": "MASTER", "node-2": "FAULT", "node-3": "BACKUP" },
      [SECOND]: { "node-1": "MASTER", "node-2": "FAULT", "node-3": "BACKUP" },
    });
    expect(c.forwardedVips).toEqual([[SECOND]]);
    expect(c.steps[2]).toBe("node-2 maintenance=1");
  });

  test("without --from, the first VIP's holder goes, with every VIP it holds", async () => {
    const c = cluster(
      { "node-1": "MASTER", "node-2": "BACKUP" },
      { "node-1": 100, "node-2": 90 },
      { more: { [SECOND]: { "node-1": "MASTER", "node-2": "BACKUP" } } },
    );
    const r = await switchover(c.target, {}, quick);
    expect([r.from, r.to, r.what]).toEqual(["node-1", "node-2", `VIPs ${HAVIP}, ${SECOND}`]);
    expect(c.forwardedVips).toEqual([[HAVIP, SECOND]]);
    expect(Object.values(c.byVip).map((states) => states["node-2"])).toEqual(["MASTER", "MASTER"]);
  });

  test("a node FAULT for any VIP is not ready; --from a node that holds nothing, or an unknown one, is refused before anything is marked", async () => {
    const refusal = async (states: Record<string, string>, more: Record<string, Record<string, string>>, from?: string) => {
      const c = cluster(states, priorities, { more });
      const message = await switchover(c.target, { from }, quick).then(
        () => "moved",
        (e: Error) => e.message,
      );
      expect(c.steps).toEqual([]);
      return message;
    };
    const three = { "node-1": "MASTER", "node-2": "BACKUP", "node-3": "BACKUP" };
    expect(await refusal(three, spread(), "node-3")).toBe(
      `node-3 holds no VIP (node-1 MASTER (holds VIP), node-2 BACKUP, node-3 BACKUP; ${SECOND}: node-1 BACKUP, node-2 MASTER (holds VIP), node-3 BACKUP): nothing to move off it`,
    );
    expect(await refusal(three, spread(), "node-9")).toBe("--from node-9 is not a front door of this stack (node-1, node-2, node-3)");
    const faulty = { [SECOND]: { "node-1": "FAULT", "node-2": "MASTER", "node-3": "FAULT" } };
    expect(await refusal(three, faulty, "node-2")).toMatch(new RegExp(`^no BACKUP is ready to take the VIP ${SECOND.replace(/\./g, "\\.")} \\(`));
  });
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

test("the forwarding is one nftables table, a rule per moving VIP, that the target loads and drops again (nft itself, in a network namespace of its own)", () => {
  const vip = { vips: [HAVIP, SECOND], vrrpInterface: "lo", holderIp: "10.0.4.20" };
  const on = forwardCommand(true, vip);
  const off = forwardCommand(false, vip);
  const r = run("unshare", ["--net", "sh", "-c", [on, on, "nft list table ip iam_ha_handover", off, off, "nft list tables", "echo ended"].join(" && ")]);
  expect(r.code).toBe(0);
  for (const address of [HAVIP, SECOND])
    expect(r.stdout).toContain(`ip daddr ${address} tcp flags ! syn ct state invalid,new counter packets 0 bytes 0 dup to 10.0.4.20 device "lo" drop`);
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
