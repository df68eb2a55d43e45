import { Check, formatTable, verify } from "../../common/checks";
import { startReceiver } from "../hosts/alerts";
import { applyCommands, destroyApplied, forgetApplied, labPlan } from "./apply";
import { AppliedCommand, formatPlan } from "./plan";
import { LabError, log } from "../hosts/exec";
import { addHosts, hostChanges, hostsRunning, labDown, labUp, rebindEips, removeHosts, replaceHost } from "../hosts/lab";
import { labTarget, loginFromOutsider } from "./labTarget";
import { declaredCommands, keepOutputs } from "./declaredCommands";
import { forgetMachine, forgetMachines, replaceMachine } from "./machines";
import { forgetHostKeys, keepHostKeysOf, pinnedByCommands, pinnedByOutputs, userDataByNode } from "./hostKeys";
import { pinHostKeys } from "../hosts/ssh";
import { ProgramRun } from "./programUnderMocks";
import { LAB_PACKAGES } from "../hosts/repo";
import { LabStack } from "./stack";
import type { LabNode } from "../hosts/topology";
import { installStandIns, startBackends } from "./standins";
import { startClbStandIn, stopClbStandIn } from "./clbStandIn";

/** The lab's main job: hosts, the IAM stand-ins, then exactly the program's remote commands, then the checks. */

export interface UpResult {
  reusedHosts: boolean;
  /** The plan it ran, as `npm run lab -- preview` prints it. */
  plan: string;
  applied: AppliedCommand[];
  checks: Check[];
}

export async function up(stack: LabStack): Promise<UpResult> {
  const { config, topology } = stack;
  const changes = hostChanges(topology);
  const reusedHosts = changes !== undefined;
  // New hosts are a new stack: the program makes new host keys for them.
  if (!reusedHosts) {
    // New hosts: the old CLB's stand-in (if any) served the old ones.
    await stopClbStandIn();
    forgetHostKeys();
    forgetApplied();
    forgetMachines();
  }
  // Before any host boots, as on Tencent Cloud: the CVMs' user data carries their host keys, and
  // every connection pins its node's.
  log("running the Pulumi program under mocks to collect its remote commands and the nodes' user data…");
  const program = await declaredCommands(stack);
  const { commands, run } = program;
  // Nodes leaving the stack still run until the end of the run (their retire step reaches them).
  const reachable = changes ? { ...topology, nodes: [...topology.nodes, ...changes.removed] } : topology;
  pinHostKeys(pinnedByCommands(commands, reachable));
  if (changes) {
    log("hosts are running: applying what changed since the last up, as pulumi up would");
    await addNodes(stack, changes.added, run);
    // The IAM installation serves every site's port before the stack names it (a new site or port).
    await startBackends(
      config,
      topology.nodes.filter((n) => !changes.added.includes(n)),
    );
  } else {
    await labUp(topology, { packages: [...LAB_PACKAGES, "mariadb-client"], userData: userDataByNode(run, topology) });
    log("installing what the IAM installation leaves on the nodes (backends, MariaDB)…");
    await installStandIns(config, topology);
  }
  await startReceiver(topology);
  log(`${commands.length} remote commands: ${commands.map((c) => c.name).join(", ")}`);
  const plan = formatPlan(labPlan(program));
  const applied = await applyCommands(reachable, program);
  // A VIP added or removed: its EIP is bound, or goes, once the nodes' steps ran, as in the run.
  if (changes) await rebindEips(topology);
  keepOutputs(stack, run.outputs);
  // The CLB (frontDoor clb) as the run leaves it: its targets registered once every nginx serves.
  await startClbStandIn(run.registrations, topology);
  if (changes) await removeNodes(stack, changes.removed, program.resources);
  const checks = await labChecks(stack, run);
  return { reusedHosts, plan, applied, checks };
}

/** Nodes new in the stack: their CVMs boot (user data from this run of the program) with what the IAM installation leaves on them. */
async function addNodes(stack: LabStack, nodes: LabNode[], run: ProgramRun): Promise<void> {
  if (nodes.length === 0) return;
  log(`${nodes.map((n) => n.name).join(", ")}: new in the stack, so new CVMs boot before the run's steps, as pulumi up creates them first`);
  await addHosts(stack.topology, nodes, userDataByNode(run, stack.topology));
  await installStandIns(stack.config, stack.topology, nodes);
}

/**
 * Nodes gone from the stack: after the run (their grants dropped, the others' configs without
 * them), their CVMs go, as Pulumi deletes them at the end; with them their host keys and instance ids.
 */
async function removeNodes(stack: LabStack, nodes: LabNode[], resources: string[]): Promise<void> {
  if (nodes.length === 0) return;
  await removeHosts(stack.topology, nodes);
  keepHostKeysOf(resources);
  for (const n of nodes) forgetMachine(n.name);
}

/**
 * The verifier's checks plus the lab's own: the grant admits the peers and no one else. As the
 * verifier does, it accepts only the host keys of the program's outputs (nodeAddresses[].hostKey),
 * from `run` or a new run of the program.
 */
export async function labChecks(stack: LabStack, run?: ProgramRun): Promise<Check[]> {
  const { config, topology } = stack;
  pinHostKeys(pinnedByOutputs(run ?? (await declaredCommands(stack)).run, topology));
  const checks = await verify(labTarget(config, topology));
  const outsider = await loginFromOutsider(config, topology);
  const dbNode = topology.nodes.find((n) => n.name === config.database.node)!;
  checks.push({ name: `MariaDB refuses ${config.database.user} from ${dbNode.privateIp} (not a peer)`, ok: outsider.refused, detail: outsider.detail });
  return checks;
}

export function printChecks(checks: Check[]): void {
  process.stdout.write(`${formatTable(checks)}\n`);
}

/**
 * Replaces `nodeName`'s CVM as Tencent Cloud would: a new instance id, a fresh host at the same
 * address with the same user data (its host key), and the IAM installation's stand-ins. The next
 * `up` runs every step of that node again; meanwhile the VIP stays on a healthy node.
 */
export async function replace(stack: LabStack, nodeName: string): Promise<void> {
  const { config, topology } = stack;
  const node = topology.nodes.find((n) => n.name === nodeName);
  if (!node) throw new LabError(`no node "${nodeName}"; the nodes are ${topology.nodes.map((n) => n.name).join(", ")}`);
  if (!hostsRunning(topology)) throw new LabError(`the lab of stack ${stack.name} is not running: npm run lab -- up --stack ${stack.name}`);
  log(`${nodeName}'s CVM is now ${replaceMachine(nodeName)}`);
  const { run } = await declaredCommands(stack);
  await replaceHost(topology, node, userDataByNode(run, topology)[nodeName]);
  log(`installing what the IAM installation leaves on ${nodeName}…`);
  await installStandIns(config, topology, [node]);
  log(`${nodeName} is a new, bare host: npm run lab -- preview shows its steps to run; npm run lab -- up runs them`);
}

export async function down(stack: LabStack): Promise<void> {
  log("destroying what the program applied, as pulumi destroy would…");
  await destroyApplied(stack.topology);
  await stopClbStandIn();
  await labDown(stack.topology);
  forgetHostKeys();
  log("lab removed; caches stay in place");
}
