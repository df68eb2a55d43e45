import * as path from "path";
import { runProcess } from "../common/process";
import { DeployedStack, deployedStack, SetupError } from "./stackOutputs";

export interface PulumiOptions {
  env?: NodeJS.ProcessEnv;
  /** The project directory: `pulumi config` needs Pulumi.yaml. */
  cwd?: string;
  /** Per command; a backend that does not answer must not hang the verifier. */
  timeoutMs?: number;
}

const PROJECT_DIR = path.join(__dirname, "..");

async function pulumi(args: string[], options: PulumiOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const command = `pulumi ${args.join(" ")}`;
  const r = await runProcess(["pulumi", ...args], { env: options.env, cwd: options.cwd ?? PROJECT_DIR, timeoutMs });
  if (r.notFound)
    throw new SetupError(
      `\`${command}\`: the Pulumi CLI is not on PATH; install the Pulumi CLI (https://www.pulumi.com/docs/install/) and log in (pulumi login)`,
    );
  if (r.timedOut) throw new SetupError(`\`${command}\` did not finish within ${timeoutMs / 1000} s; is the backend reachable (pulumi whoami)?`);
  if (r.code !== 0) {
    // stderr only: stdout of the config command may hold decrypted secrets.
    const said = r.stderr.trim().split("\n").slice(-5).join("\n");
    throw new SetupError(
      `\`${command}\` exited ${r.code}: ${said}\n` +
        "fix: log in to the stack's backend (pulumi login), check the name (pulumi stack ls; pulumi stack select <name>), " +
        "and for a passphrase-encrypted stack set PULUMI_CONFIG_PASSPHRASE",
    );
  }
  return r.stdout;
}

/** The stack's outputs and config, read with the Pulumi CLI. */
export async function readDeployedStack(stack: string, options: PulumiOptions = {}): Promise<DeployedStack> {
  const outputs = await pulumi(["stack", "output", "--json", "--stack", stack], options);
  const config = await pulumi(["config", "--json", "--show-secrets", "--stack", stack], options);
  return deployedStack(stack, outputs, config);
}
