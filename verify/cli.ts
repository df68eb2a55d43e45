import { Check, formatTable, verify } from "../common/checks";
import { cloudTarget } from "./cloudTarget";
import { readDeployedStack } from "./pulumiCli";
import { knownHosts, openSshSession, SshSession, SshSettings } from "./ssh";
import { PinnedHost } from "../common/sshOptions";
import type { ClbTarget } from "./cloudHolder";
import { DeployedStack, SetupError } from "./stackOutputs";

const USAGE = `usage: npm run verify -- --stack <name>
  checks every site through each VIP's EIP, round robin over every node, exactly one holder of each VIP, the MariaDB logins
  (the local lab: npm run lab -- verify [--stack <name>])
exit: 0 all checks pass, 1 a check failed, 2 usage or setup error`;

/** What main() reaches outside itself; tests replace these, the command line uses the defaults. */
export interface CliDeps {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  httpPort: number;
  pulumiTimeoutMs: number;
  /** An SSH session that accepts only the `hosts`' pinned keys. */
  openSsh(settings: SshSettings, hosts: PinnedHost[]): Promise<SshSession>;
  /** Which instance Tencent Cloud binds the HAVIP to (through the provider's getVips). */
  havipHolder(havipId: string, providerConfig: DeployedStack["providerConfig"]): Promise<string | null>;
  /** How the CLB sees its targets (through the provider's getTargetHealth). */
  clbTargets(clbId: string, providerConfig: DeployedStack["providerConfig"]): Promise<ClbTarget[]>;
}

export const defaults: CliDeps = {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  httpPort: 80,
  pulumiTimeoutMs: 60_000,
  openSsh: (settings, hosts) => openSshSession(settings, hosts),
  // Loaded when used: it pulls in Pulumi's Automation API.
  havipHolder: async (havipId, providerConfig) => (await import("./cloudHolder")).havipHolderFromTencent(havipId, providerConfig),
  clbTargets: async (clbId, providerConfig) => (await import("./cloudHolder")).clbTargetsFromTencent(clbId, providerConfig),
};

/** `--stack <name>` (required) and the `options` a command takes, each with a value (`--to node-2` or `--to=node-2`). */
export function parseArgs(argv: string[], usage = USAGE, options: string[] = []): { stack: string; values: Record<string, string> } {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const name = flag.slice(2);
    if (!flag.startsWith("--") || (name !== "stack" && !options.includes(name))) throw new SetupError(`unexpected argument "${argv[i]}"\n${usage}`);
    const value = inline ?? argv[++i];
    if (!value || value.startsWith("-")) throw new SetupError(`${flag} needs a value\n${usage}`);
    values[name] = value;
  }
  const { stack, ...rest } = values;
  if (!stack) throw new SetupError(`which stack? pass --stack <name>\n${usage}`);
  return { stack, values: rest };
}

/** "EIP <ip>, HAVIP <ip>" for one VIP; each VIP with its EIP for several; the CLB's address behind one. */
function describeVips(stack: DeployedStack): string {
  if (stack.vips.length === 0) return `CLB ${stack.publicIp}${stack.clbId ? ` (${stack.clbId})` : ""}`;
  return stack.vips.length > 1
    ? `VIPs ${stack.vips.map((vip) => `${vip.address} (EIP ${vip.publicIp})`).join(", ")}`
    : `EIP ${stack.publicIp}, HAVIP ${stack.havip}`;
}

/** Reads a deployed stack and runs `use` with an SSH session to its nodes, closed after (also on Ctrl-C). */
export async function withDeployedStack<T>(name: string, deps: CliDeps, use: (stack: DeployedStack, session: SshSession) => Promise<T>): Promise<T> {
  const stack = await readDeployedStack(name, { env: deps.env, timeoutMs: deps.pulumiTimeoutMs });
  deps.out(`stack ${name}: ${describeVips(stack)}, nodes ${stack.nodes.map((n) => n.name).join(", ")} (SSH via ${stack.ssh.via})\n`);
  const session = await deps.openSsh(stack.ssh, knownHosts(stack));
  // The key's temp file must not outlive an interrupted run either.
  const onSignal = () => {
    session.close();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await use(stack, session);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    session.close();
  }
}

function deployedChecks(name: string, deps: CliDeps): Promise<Check[]> {
  return withDeployedStack(name, deps, (stack, session) =>
    verify(cloudTarget(stack, { ssh: session.run, httpPort: deps.httpPort, havipHolder: deps.havipHolder, clbTargets: deps.clbTargets })),
  );
}

export async function main(argv: string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = { ...defaults, ...overrides };
  try {
    const { stack } = parseArgs(argv);
    const checks = await deployedChecks(stack, deps);
    deps.out(`${formatTable(checks)}\n`);
    return checks.every((c) => c.ok) ? 0 : 1;
  } catch (error) {
    deps.err(`verify: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
