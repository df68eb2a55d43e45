import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runProcess, RunResult } from "../common/process";
import { asSshConfig, sshClientOptions } from "../common/sshOptions";
import { DeployedStack, SetupError } from "./stackOutputs";

export type SshSettings = DeployedStack["ssh"];

/** Runs `command` (a remote shell line) on `host` with `stdin` piped in. ssh's own failures are code 255. */
export type SshRunner = (host: string, command: string, stdin?: string) => Promise<RunResult>;

export interface SshSession {
  run: SshRunner;
  /** The private key's temp file; gone after close(). */
  keyFile: string;
  close(): void;
}

/** The client options in a config file of the session's own (see common/sshOptions.ts for why a file). */
export function sshConfigText(dir: string): string {
  return asSshConfig(
    sshClientOptions({ identityFile: path.join(dir, "key"), knownHostsFile: path.join(dir, "known_hosts"), strictHostKeyChecking: "accept-new" }),
  );
}

/** The ssh arguments for one command; `--` keeps a host from ever being read as an option. */
export function sshArgs(settings: SshSettings, configFile: string, host: string, command: string): string[] {
  const jump = settings.bastion ? ["-J", `${settings.bastion.user}@${settings.bastion.host}:${settings.bastion.port}`] : [];
  return ["-F", configFile, "-p", String(settings.port), "-l", settings.user, ...jump, "--", host, command];
}

/**
 * The system ssh client with the stack's key in a 0600 file of a private temp dir (with a fresh
 * known_hosts), removed by close(). Throws a SetupError when there is no ssh client.
 */
export async function openSshSession(settings: SshSettings, timeoutMs = 30_000): Promise<SshSession> {
  const probe = await runProcess(["ssh", "-V"], { timeoutMs: 10_000 });
  if (probe.notFound) throw new SetupError("no ssh client on PATH: install openssh-client (apt-get install -y openssh-client)");
  // The jump connection gets `-F <file>` through a shell without quotes, so the path must have no spaces.
  const base = os.tmpdir().includes(" ") ? "/tmp" : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, "iam-ha-verify-"));
  const keyFile = path.join(dir, "key");
  const configFile = path.join(dir, "config");
  // ssh refuses a key without its final newline; Pulumi config keeps whatever was pasted.
  fs.writeFileSync(keyFile, `${settings.privateKey.replace(/\r\n/g, "\n").trimEnd()}\n`, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  fs.writeFileSync(configFile, sshConfigText(dir), { mode: 0o600 });
  return {
    keyFile,
    run: (host, command, stdin) => runProcess(["ssh", ...sshArgs(settings, configFile, host, command)], { input: stdin, timeoutMs }),
    close: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
