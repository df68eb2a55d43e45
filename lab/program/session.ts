import { Check, formatTable, verify } from "../../common/checks";
import { startReceiver } from "../hosts/alerts";
import { applyCommands, destroyApplied, forgetApplied } from "./apply";
import { AppliedCommand } from "./plan";
import { LabError, log } from "../hosts/exec";
import { hostsRunning, labDown, labUp, replaceHost } from "../hosts/lab";
import { labTarget, loginFromOutsider } from "./labTarget";
import { declaredCommands } from "./declaredCommands";
import { forgetMachines, replaceMachine } from "./machines";
import { forgetHostKeys, pinnedByCommands, pinnedByOutputs, userDataByNode } from "./hostKeys";
import { pinHostKeys } from "../hosts/ssh";
import { ProgramRun } from "./programUnderMocks";
import { LAB_PACKAGES } from "../hosts/repo";
import { LabStack } from "./stack";
import { installStandIns } from "./standins";

/** The lab's main job: hosts, the IAM stand-ins, then exactly the program's remote commands, then the checks. */

export interface UpResult {
  reusedHosts: boolean;
  applied: AppliedCommand[];
  checks: Check[];
}

export async function up(stack: LabStack): Promise<UpResult> {
  const { config, topology } = stack;
  const reusedHosts = hostsRunning(topology);
  // New hosts are a new stack: the program makes new host keys for them.
  if (!reusedHosts) {
    forgetHostKeys();
    forgetApplied();
    forgetMachines();
  }
  // Before any host boots, as on Tencent Cloud: the CVMs' user data carries their host keys, and
  // every connection pins its node's.
  log("running the Pulumi program under mocks to collect its remote commands and the nodes' user data…");
  const program = await declaredCommands(stack);
  const { commands, run } = program;
  pinHostKeys(pinnedByCommands(commands, topology));
  if (reusedHosts) {
    log("hosts are running: applying what changed since the last up, as pulumi up would");
  } else {
    await labUp(topology, { packages: [...LAB_PACKAGES, "mariadb-client"], userData: userDataByNode(run, topology) });
    log("installing what the IAM installation leaves on the nodes (backends, MariaDB)…");
    await installStandIns(config, topology);
  }
  await startReceiver(topology);
  log(`${commands.length} remote commands: ${commands.map((c) => c.name).join(", ")}`);
  const applied = await applyCommands(topology, program);
  const checks = await labChecks(stack, run);
  return { reusedHosts, applied, checks };
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
  log("installing what the IAM installation leaves on the nodes (backends, MariaDB)…");
  await installStandIns(config, topology);
  log(`${nodeName} is a new, bare host: npm run lab -- preview shows its steps to run; npm run lab -- up runs them`);
}

export async function down(stack: LabStack): Promise<void> {
  log("destroying what the program applied, as pulumi destroy would…");
  await destroyApplied(stack.topology);
  await labDown(stack.topology);
  forgetHostKeys();
  log("lab removed; caches stay in place");
}
