import { COMMAND_TYPE, isSecretValue, ProgramRun, runProgram, TLS_PRIVATE_KEY_TYPE, unwrap } from "./programUnderMocks";
import { keptHostKeys } from "./hostKeys";
import { machineId } from "./machines";
import { TYPES } from "../../tencentcloud/tokens";
import { LabError } from "../hosts/exec";
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
 * the cloud's outputs and the host keys it made before (as in Pulumi's state), and returns its
 * remote commands in an order that respects their dependencies.
 */
export async function declaredCommands(stack: LabStack): Promise<DeclaredProgram & { run: ProgramRun }> {
  const hostKey = keptHostKeys();
  const run = await runProgram({
    config: stack.pulumiConfig,
    secretKeys: stack.secretKeys,
    stack: stack.name,
    cloud: (type, name, inputs) => {
      if (type === TYPES.eip) return { publicIp: stack.topology.eip };
      if (type === TLS_PRIVATE_KEY_TYPE) return hostKey(name);
      const node = stack.topology.nodes.find((n) => n.privateIp === inputs.privateIp);
      return type === TYPES.instance && node ? { id: machineId(node.name) } : {};
    },
  });
  return { ...commandsOf(run), run };
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
