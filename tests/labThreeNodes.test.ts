import * as fs from "fs";
import * as path from "path";
import { runScenario, scenarios } from "../lab/scenarios/failover";
import { labDown } from "../lab/hosts/lab";
import { inNode } from "../lab/hosts/nodeShell";
import { paths } from "../lab/hosts/paths";
import { declaredCommands } from "../lab/program/declaredCommands";
import { down, labChecks, up } from "../lab/program/session";
import { LabStack, loadLabStack } from "../lab/program/stack";
import { labStatus } from "../lab/program/status";
import { requireTools, run } from "./fixtures/tools";

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

const keyBody = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");
const etcSsh = (node: string) => path.join(paths.nodeRoot(node), "etc/ssh");

test("pinned host keys: each node holds only the key its user data gave it, the one every step and verify pin", async () => {
  const { commands, run: program } = await declaredCommands(stack);
  const exported = program.outputs.nodeAddresses as { name: string; hostKey: string }[];
  for (const node of stack.topology.nodes) {
    expect([
      node.name,
      fs
        .readdirSync(etcSsh(node.name))
        .filter((f) => f.startsWith("ssh_host_"))
        .sort(),
    ]).toEqual([node.name, ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]]);
    const onNode = keyBody(fs.readFileSync(path.join(etcSsh(node.name), "ssh_host_ed25519_key.pub"), "utf8"));
    const pinned = new Set(commands.filter((c) => c.host === node.privateIp).map((c) => keyBody(c.hostKey)));
    expect([node.name, [...pinned]]).toEqual([node.name, [onNode]]);
    expect(keyBody(exported.find((n) => n.name === node.name)!.hostKey)).toBe(onNode);
  }
  // What `npm run lab -- verify` runs: the program again, its outputs' keys pinned, every check.
  expect((await labChecks(stack)).filter((c) => !c.ok)).toEqual([]);
  expect(fs.statSync(paths.knownHosts()).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(paths.knownHosts(), "utf8").trim().split("\n").sort()).toEqual(
    stack.topology.nodes.map((n) => `${n.privateIp} ${keyBody(fs.readFileSync(path.join(etcSsh(n.name), "ssh_host_ed25519_key.pub"), "utf8"))}`).sort(),
  );
});

test("three nodes: keepalived stopped on the master moves the VIP to one of the two others", async () => {
  const result = await runScenario(stack, scenarios(stack.config)[0]);
  expect([result.held, result.alertsMissing]).toEqual([true, []]);
  const status = await labStatus(stack.config, stack.topology);
  expect(status.nodes.filter((n) => n.state === "MASTER")).toHaveLength(1);
});

test("a node whose host key was swapped (an impostor) is refused by the program's steps and by verify, naming the node and what to do", async () => {
  const node = stack.topology.nodes[1];
  const files = ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"].map((f) => path.join(etcSsh(node.name), f));
  const genuine = files.map((f) => fs.readFileSync(f));
  const restartSshd = async () => expect((await inNode(node.name, "systemctl restart ssh")).code).toBe(0);
  try {
    for (const f of files) fs.rmSync(f);
    expect(run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f", files[0]]).code).toBe(0);
    await restartSshd();
    const refused = new RegExp(
      `^${node.name} \\(${node.privateIp.replace(/\./g, "\\.")}\\) did not present the host key the program pinned for it .*nothing was sent to it\\. .*Fix: `,
      "s",
    );
    await expect(up(stack)).rejects.toThrow(refused);
    await expect(labChecks(stack)).rejects.toThrow(refused);
  } finally {
    files.forEach((f, i) => fs.writeFileSync(f, genuine[i], { mode: 0o600 }));
    await restartSshd();
  }
  expect((await labChecks(stack)).filter((c) => !c.ok)).toEqual([]);
});
