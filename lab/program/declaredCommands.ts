import * as fs from "fs";
import * as path from "path";
import { COMMAND_TYPE, isSecretValue, ProgramRun, runProgram, TLS_PRIVATE_KEY_TYPE, unwrap } from "./programUnderMocks";
import { keptHostKeys } from "./hostKeys";
import { machineId } from "./machines";
import { FUNCTIONS, TYPES } from "../../tencentcloud/tokens";
import { nodeStates } from "./status";
import { LabError } from "../hosts/exec";
import { paths, settings } from "../hosts/paths";
import type { LabStack } from "./stack";
import type { DeclaredProgram } from "./plan";

/** One remote command as the Pulumi program declares it: what `pulumi up` would run over SSH. */
export interface DeclaredCommand {
  /** The resource name, e.g. node-1-nginx. */
  name: string;
  /** The node's address the connection points at. */
  host: string;
  user: string;
  /** The host key the connection pins (an authorized_keys line): the only one the node may present. */
  hostKey: string;
  create: string;
  /** Undefined for a step with nothing to undo: Pulumi then makes no connection on delete. */
  delete?: string;
  /** The resource whose deletion makes this command's delete redundant (its node's CVM), or undefined. */
  deletedWith?: string;
  stdin: string;
  /** Whether stdin is a secret (it is then never printed). */
  secret: boolean;
  /** Names of the commands it waits for. */
  after: string[];
  /** Every input as the engine diffs it (secrets unwrapped: the lab keeps its state root-only). */
  inputs: Record<string, unknown>;
  /** Whether a replacement deletes the old command before it creates the new one. */
  deleteBeforeReplace: boolean;
}

/**
 * Runs the Pulumi program under mocks with the lab's config, the lab's addresses standing in for
 * the cloud's outputs, the host keys it made before and the outputs of the last run (both as in
 * Pulumi's state), and returns its remote commands in an order that respects their dependencies.
 * A run the program refuses (say, one that would take every node down at once) throws and keeps
 * nothing, as a failed `pulumi up` leaves the stack's outputs as they were.
 */
export async function declaredCommands(stack: LabStack): Promise<DeclaredProgram & { run: ProgramRun }> {
  const hostKey = keptHostKeys();
  const holder = await vipHolderNow(stack);
  const run = await runProgram({
    config: stack.pulumiConfig,
    secretKeys: stack.secretKeys,
    stack: stack.name,
    lastOutputs: lastOutputs(stack),
    cloud: (type, name, inputs) => {
      // The lab's edge address is the EIP, or the CLB stand-in's address.
      if (type === TYPES.eip) return { publicIp: stack.topology.eip };
      if (type === TYPES.clb) return { clbVips: [stack.topology.eip] };
      if (type === TLS_PRIVATE_KEY_TYPE) return hostKey(name);
      const node = stack.topology.nodes.find((n) => n.privateIp === inputs.privateIp);
      return type === TYPES.instance && node ? { id: machineId(node.name) } : {};
    },
    // As Tencent's DescribeHaVips: the HAVIP, bound to the CVM whose keepalived announced it.
    invoke: (token) =>
      token === FUNCTIONS.getVips
        ? { haVipLists: [{ id: "havip-lab", vip: stack.topology.havip, instanceId: holder ? machineId(holder) : "", state: "AVAILABLE" }] }
        : undefined,
  });
  return { ...commandsOf(run), run };
}

/** The node that holds the VIP in the running lab, or null (no lab, or nobody holds it). */
async function vipHolderNow(stack: LabStack): Promise<string | null> {
  const holders = (await nodeStates(stack.config, stack.topology)).filter((s) => s.holdsVip);
  return holders.length === 1 ? holders[0].name : null;
}

const OUTPUTS_FILE = () => path.join(settings.stateDir, "stack-outputs.json");

/**
 * The outputs of the lab stack's last run, which the program reads back through a StackReference
 * to itself (index.ts). The host keys are the lab's stack state: new hosts and `down` forget them,
 * and with them gone the lab is a new stack, which has no outputs.
 */
function lastOutputs(stack: LabStack): Record<string, unknown> | undefined {
  if (!fs.existsSync(paths.hostKeys()) || !fs.existsSync(OUTPUTS_FILE())) return undefined;
  const kept = JSON.parse(fs.readFileSync(OUTPUTS_FILE(), "utf8")) as { stack: string; outputs: Record<string, unknown> };
  return kept.stack === stack.name ? kept.outputs : undefined;
}

/** After an up that applied the run: the outputs the next run reads back, as a successful `pulumi up` records them (a preview or a failed up records none). */
export function keepOutputs(stack: LabStack, outputs: Record<string, unknown>): void {
  fs.mkdirSync(settings.stateDir, { recursive: true });
  fs.writeFileSync(OUTPUTS_FILE(), JSON.stringify({ stack: stack.name, outputs }), { mode: 0o600 });
}

/** The remote commands a run of the program registered, in dependency order, and every resource's name. */
export function commandsOf(run: ProgramRun): DeclaredProgram {
  const commands = run.registrations.filter((r) => r.type === COMMAND_TYPE);
  const nameOf = new Map(run.registrations.map((r) => [r.urn, r.name]));
  const commandUrns = new Set(commands.map((c) => c.urn));
  const declared = commands.map((c) => {
    const connection = unwrap(c.inputs.connection) as { host: string; user: string; hostKey: string };
    return {
      name: c.name,
      host: connection.host,
      user: connection.user,
      hostKey: connection.hostKey,
      create: c.inputs.create as string,
      delete: c.inputs.delete as string | undefined,
      deletedWith: nameOf.get(c.deletedWith),
      stdin: unwrap(c.inputs.stdin) as string,
      secret: isSecretValue(c.inputs.stdin),
      after: c.dependencies.filter((u) => commandUrns.has(u)).map((u) => nameOf.get(u)!),
      inputs: unwrap(c.inputs),
      deleteBeforeReplace: c.deleteBeforeReplace,
    };
  });
  return { commands: inDependencyOrder(declared), resources: run.registrations.map((r) => r.name) };
}

function inDependencyOrder(commands: DeclaredCommand[]): DeclaredCommand[] {
  const done = new Set<string>();
  const ordered: DeclaredCommand[] = [];
  while (ordered.length < commands.length) {
    const ready = commands.filter((c) => !done.has(c.name) && c.after.every((a) => done.has(a)));
    if (ready.length === 0)
      throw new LabError(
        `the program's commands depend on each other in a cycle: ${commands
          .filter((c) => !done.has(c.name))
          .map((c) => c.name)
          .join(", ")}`,
      );
    for (const c of ready) {
      done.add(c.name);
      ordered.push(c);
    }
  }
  return ordered;
}
