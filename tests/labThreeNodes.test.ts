import { runScenario, scenarios } from "../lab/scenarios/failover";
import { labDown } from "../lab/hosts/lab";
import { down, up } from "../lab/program/session";
import { LabStack, loadLabStack } from "../lab/program/stack";
import { labStatus } from "../lab/program/status";
import { requireTools } from "./fixtures/tools";

/** The lab takes any node count ≥ 2: three nodes, from the lab stack with a third node added. */

jest.setTimeout(10 * 60_000);
requireTools("systemd-nspawn", "debootstrap", "nsenter", "ip", "nft", "ssh");
if (process.getuid?.() !== 0) throw new Error("the lab suite needs root: run `sudo bash scripts/test.sh`");

const nodes = [
  { name: "node-1", privateIp: "10.0.4.20", priority: 100 },
  { name: "node-2", privateIp: "10.0.4.21", priority: 50 },
  { name: "node-3", privateIp: "10.0.4.22", priority: 30 },
];
let stack: LabStack;

beforeAll(async () => {
  stack = await loadLabStack("lab", { nodes });
  await down(stack);
});

afterAll(async () => {
  await down(stack).catch(() => labDown(stack.topology));
});

test("three nodes: every site balances over three backends, one MASTER, both peers log in to MariaDB", async () => {
  const result = await up(stack);
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.find((c) => c.name === "iam.api.marmotedu.com balances over every node's backend")!.detail).toMatch(
    /node-1: [34], node-2: [34], node-3: [34]/,
  );
  expect(result.checks.filter((c) => c.name.startsWith("MariaDB login from")).map((c) => c.name)).toEqual([
    "MariaDB login from node-2",
    "MariaDB login from node-3",
  ]);
  const status = await labStatus(stack.config, stack.topology);
  expect(status.nodes.map((n) => n.state).sort()).toEqual(["BACKUP", "BACKUP", "MASTER"]);
});

test("three nodes: keepalived stopped on the master moves the VIP to one of the two others", async () => {
  const result = await runScenario(stack, scenarios(stack.config)[0]);
  expect([result.held, result.alertsMissing]).toEqual([true, []]);
  const status = await labStatus(stack.config, stack.topology);
  expect(status.nodes.filter((n) => n.state === "MASTER")).toHaveLength(1);
});
