import { Check, formatTable, verify } from "../../common/checks";
import { startReceiver } from "../hosts/alerts";
import { applyCommands, AppliedCommand, removeApplied } from "./apply";
import { log } from "../hosts/exec";
import { hostsRunning, labDown, labUp } from "../hosts/lab";
import { labTarget, loginFromOutsider } from "./labTarget";
import { declaredCommands } from "./declaredCommands";
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
  if (reusedHosts) {
    log("hosts are running: re-applying the program's commands (the update path; nothing should change)");
  } else {
    await labUp(topology, { packages: [...LAB_PACKAGES, "mariadb-client"] });
    log("installing what the IAM installation leaves on the nodes (backends, MariaDB)…");
    await installStandIns(config, topology);
  }
  await startReceiver(topology);
  log("running the Pulumi program under mocks to collect its remote commands…");
  const { commands } = await declaredCommands(stack);
  log(`${commands.length} remote commands: ${commands.map((c) => c.name).join(", ")}`);
  const applied = await applyCommands(topology, commands);
  const checks = await labChecks(stack);
  return { reusedHosts, applied, checks };
}

/** The verifier's checks plus the lab's own: the grant admits the peers and no one else. */
export async function labChecks(stack: LabStack): Promise<Check[]> {
  const { config, topology } = stack;
  const checks = await verify(labTarget(config, topology));
  const outsider = await loginFromOutsider(config, topology);
  checks.push({ name: `MariaDB refuses ${config.database.user} from ${topology.routerIp} (not a peer)`, ok: outsider.refused, detail: outsider.detail });
  return checks;
}

export function printChecks(checks: Check[]): void {
  process.stdout.write(`${formatTable(checks)}\n`);
}

export async function down(stack: LabStack): Promise<void> {
  if (hostsRunning(stack.topology)) {
    log("running the program's delete commands (as pulumi destroy would)…");
    await removeApplied(stack.topology);
  }
  await labDown(stack.topology);
  log("lab removed; caches stay in place");
}
