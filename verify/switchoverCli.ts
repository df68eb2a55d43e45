import { shQuote } from "../common/shell";
import { commandFailed, release, switchover, SwitchoverTarget } from "../common/switchover";
import { CliDeps, defaults, parseArgs, withDeployedStack } from "./cli";
import { cloudTarget } from "./cloudTarget";
import { SshSession } from "./ssh";
import { DeployedStack, SetupError, sshAddress } from "./stackOutputs";

const USAGE = `usage: npm run switchover -- --stack <name> [--to <node>] [--from <node>] | --stack <name> --release <node>
  moves the VIP off its holder for maintenance (to --to, or the first ready BACKUP); with several VIPs,
  --from takes that node out with every VIP it holds (default: the first VIP's holder); the old holder
  stays out of the way, also across a reboot, until --release puts it back in service (as BACKUP: the VIPs stay)
  (the local lab: npm run lab -- switchover [--to <node>] [--from <node>] [--release <node>])
exit: 0 done, 1 the VIP did not move, 2 usage or setup error`;

/** The deployed stack as the switchover sees it: each front door's state, and commands as root over SSH. */
function deployedTarget(stack: DeployedStack, session: SshSession): SwitchoverTarget {
  const sudo = stack.ssh.user === "root" ? "" : "sudo -n ";
  const { havip } = stack;
  if (!havip) {
    throw new SetupError(
      `stack ${stack.name} stands behind a CLB (frontDoor clb): there is no VIP to move. The CLB stops sending to a front door once it fails its health checks; to take one out for maintenance, stop its nginx`,
    );
  }
  return {
    nodes: stack.nodes.filter((n) => stack.frontDoors.includes(n.name)).map((n) => ({ name: n.name, privateIp: n.privateIp })),
    nodeStates: cloudTarget(stack, { ssh: session.run }).nodeStates,
    vips: stack.vips.map((vip) => vip.address),
    vrrpInterface: stack.vrrpInterface,
    runAsRoot: async (name, command) => {
      const node = stack.nodes.find((n) => n.name === name)!;
      const r = await session.run(sshAddress(stack, node), `${sudo}sh -c ${shQuote(command)}`);
      if (r.code !== 0) throw commandFailed(r);
    },
  };
}

export async function main(argv: string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = { ...defaults, ...overrides };
  try {
    const { stack, values } = parseArgs(argv, USAGE, ["to", "from", "release"]);
    return await withDeployedStack(stack, deps, async (deployed, session) => {
      const target = deployedTarget(deployed, session);
      if (values.release) {
        await release(target, values.release);
        deps.out(`${values.release} released: back in service as BACKUP; the VIP stays where it is\n`);
        return 0;
      }
      try {
        const r = await switchover(target, { to: values.to, from: values.from });
        deps.out(
          `${r.what} moved from ${r.from} to ${r.to} in ${r.seconds.toFixed(2)} s. ${r.from} stays in maintenance: npm run switchover -- --stack ${stack} --release ${r.from}\n`,
        );
        return 0;
      } catch (error) {
        deps.err(`switchover: ${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
      }
    });
  } catch (error) {
    deps.err(`switchover: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
