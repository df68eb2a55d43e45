import { COMMAND_TYPE, isSecretValue, ProgramRun, runProgram, unwrap } from "./programUnderMocks";
import { TYPES } from "../../tencentcloud/tokens";
import { LabError } from "../hosts/exec";
import type { LabStack } from "./stack";

/** One remote command as the Pulumi program declares it: what `pulumi up` would run over SSH. */
export interface DeclaredCommand {
  /** The resource name, e.g. node-1-nginx. */
  name: string;
  /** The node's address the connection points at. */
  host: string;
  user: string;
  create: string;
  delete: string;
  stdin: string;
  /** Whether stdin is a secret (it is then never printed). */
  secret: boolean;
  /** Names of the commands it waits for. */
  after: string[];
}

/**
 * Runs the Pulumi program under mocks with the lab's config, the lab's addresses standing in for
 * the cloud's outputs, and returns its remote commands in an order that respects their dependencies.
 */
export async function declaredCommands(stack: LabStack): Promise<{ commands: DeclaredCommand[]; run: ProgramRun }> {
  const run = await runProgram({
    config: stack.pulumiConfig,
    secretKeys: stack.secretKeys,
    stack: stack.name,
    cloud: (type) => (type === TYPES.eip ? { publicIp: stack.topology.eip } : {}),
  });
  const commands = run.registrations.filter((r) => r.type === COMMAND_TYPE);
  const nameOf = new Map(commands.map((c) => [c.urn, c.name]));
  const declared = commands.map((c) => {
    const connection = unwrap(c.inputs.connection) as { host: string; user: string };
    return {
      name: c.name,
      host: connection.host,
      user: connection.user,
      create: c.inputs.create as string,
      delete: c.inputs.delete as string,
      stdin: unwrap(c.inputs.stdin) as string,
      secret: isSecretValue(c.inputs.stdin),
      after: c.dependencies.map((u) => nameOf.get(u)).filter((n): n is string => n !== undefined),
    };
  });
  return { commands: inDependencyOrder(declared), run };
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
