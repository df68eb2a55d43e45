import { NodeState } from "../common/checks";
import { maintenanceCommand, release, switchover, SwitchoverTarget } from "../common/switchover";
import * as fs from "fs";
import * as path from "path";
import { run, tempDir } from "./fixtures/tools";

/**
 * The planned switchover's choices, against a fake cluster that behaves as keepalived does: a
 * node marked for maintenance goes to FAULT, and the VIP goes to the BACKUP with the highest
 * priority that is not marked. The lab test runs the real thing under a request stream.
 */

function cluster(states: Record<string, string>, priorities: Record<string, number>) {
  const marked = new Set<string>();
  const marks: string[] = [];
  const current = () => ({ ...states });
  const target: SwitchoverTarget = {
    nodes: Object.keys(states),
    nodeStates: async (): Promise<NodeState[]> => Object.entries(current()).map(([name, state]) => ({ name, state, holdsVip: state === "MASTER" })),
    setMaintenance: async (node, on) => {
      marks.push(`${node}=${on ? 1 : 0}`);
      if (on) marked.add(node);
      else marked.delete(node);
      if (on) states[node] = "FAULT";
      else if (states[node] === "FAULT") states[node] = "BACKUP";
      if (!Object.values(states).includes("MASTER")) {
        const next = Object.keys(states)
          .filter((n) => !marked.has(n) && states[n] === "BACKUP")
          .sort((a, b) => priorities[b] - priorities[a])[0];
        if (next) states[next] = "MASTER";
      }
    },
  };
  return { target, marks, states };
}

test("moves the VIP to the next BACKUP and leaves the old holder in maintenance", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP" }, { "node-1": 100, "node-2": 50 });
  const r = await switchover(c.target);
  expect([r.from, r.to]).toEqual(["node-1", "node-2"]);
  expect(c.states).toEqual({ "node-1": "FAULT", "node-2": "MASTER" });
  expect(c.marks).toEqual(["node-1=1"]);
});

test("with --to, the other BACKUPs are held back while the VIP moves (the choice is --to's, not priority's), then released", async () => {
  const c = cluster({ "node-1": "MASTER", "node-2": "BACKUP", "node-3": "BACKUP" }, { "node-1": 100, "node-2": 90, "node-3": 80 });
  const r = await switchover(c.target, "node-3");
  expect(r.to).toBe("node-3");
  expect(c.states).toEqual({ "node-1": "FAULT", "node-2": "BACKUP", "node-3": "MASTER" });
  expect(c.marks).toEqual(["node-2=1", "node-1=1", "node-2=0"]);
});

test("refuses what cannot work, saying why: no holder, an unknown or unready --to, the holder itself", async () => {
  const refusal = (states: Record<string, string>, to?: string) =>
    switchover(cluster(states, { "node-1": 100, "node-2": 50 }).target, to).then(
      () => "moved",
      (e: Error) => e.message,
    );
  expect(await refusal({ "node-1": "BACKUP", "node-2": "BACKUP" })).toMatch(/^no node holds the VIP \(node-1 BACKUP, node-2 BACKUP\)/);
  expect(await refusal({ "node-1": "MASTER", "node-2": "BACKUP" }, "node-9")).toBe("--to node-9 is not a node of this stack (node-1, node-2)");
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
});

test("the maintenance mark is one line a shell writes: 1 in, 0 out", () => {
  const file = path.join(tempDir("iam-ha-maintenance-"), "maintenance");
  for (const on of [true, false]) {
    const command = maintenanceCommand(on).replace(/> \S+$/, `> ${file}`);
    expect(run("sh", ["-c", command]).code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(on ? "1\n" : "0\n");
  }
});
