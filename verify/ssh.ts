import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runProcess, RunResult } from "../common/process";
import { shQuote } from "../common/shell";
import { asSshConfig, hostKeyRefused, knownHostsLine, PinnedHost, sshClientOptions } from "../common/sshOptions";
import { DeployedStack, SetupError, sshAddress } from "./stackOutputs";

export type SshSettings = DeployedStack["ssh"];

/** Runs `command` (a remote shell line) on `host` with `stdin` piped in. ssh's own failures are code 255. */
export type SshRunner = (host: string, command: string, stdin?: string) => Promise<RunResult>;

export interface SshSession {
  run: SshRunner;
  /** The private key's temp file; gone after close(). */
  keyFile: string;
  close(): void;
}

/** Every host the session may talk to, with the one key each must present: the stack's nodes (nodeAddresses[].hostKey) and its bastion. */
export function knownHosts(stack: Pick<DeployedStack, "ssh" | "nodes">): PinnedHost[] {
  const nodes = stack.nodes.map((node) => ({ name: node.name, host: sshAddress(stack, node), port: stack.ssh.port, key: node.hostKey }));
  const { bastion } = stack.ssh;
  return bastion ? [...nodes, { name: "the bastion", host: bastion.host, port: bastion.port, key: bastion.hostKey }] : nodes;
}

/** The client options in a config file of the session's own, which the bastion hop reads too (-F in its ProxyCommand). */
export function sshConfigText(dir: string): string {
  return asSshConfig(sshClientOptions({ identityFile: path.join(dir, "key"), knownHostsFile: path.join(dir, "known_hosts") }));
}

/**
 * The bastion hop as an explicit ProxyCommand. Not `-J user@host:port`: OpenSSH turns that into a
 * ProxyCommand without quoting it and runs it through the user's shell (reproduced with OpenSSH
 * 9.2: a bastionUser of `x$(touch${IFS}f)` makes the file). Here every word is quoted, and `%` is
 * doubled so ssh's own %-expansion leaves the values alone (ssh_config(5), TOKENS); only %h:%p,
 * the node, are ssh's to fill in.
 */
function proxyCommand(bastion: NonNullable<SshSettings["bastion"]>, configFile: string): string {
  const word = (value: string) => shQuote(value.replace(/%/g, "%%"));
  return ["ssh", "-F", word(configFile), "-p", word(String(bastion.port)), "-l", word(bastion.user), "-W", "'%h:%p'", "--", word(bastion.host)].join(" ");
}

/** The ssh arguments for one command; `--` keeps a host from ever being read as an option. */
export function sshArgs(settings: SshSettings, configFile: string, host: string, command: string): string[] {
  const proxy = settings.bastion ? ["-o", `ProxyCommand=${proxyCommand(settings.bastion, configFile)}`] : [];
  return ["-F", configFile, "-p", String(settings.port), "-l", settings.user, ...proxy, "--", host, command];
}

/** A pinned host key that does not match: nothing was sent, and the run must stop here, loudly. */
function otherHostKey(settings: SshSettings, hosts: PinnedHost[], host: string): SetupError {
  const node = hosts.find((h) => h.host === host);
  const via = settings.bastion ? `, or the bastion ${settings.bastion.host} (bastionHostKey) on the way,` : "";
  return new SetupError(
    `${node?.name ?? host} (${host})${via} did not present the host key the stack pinned for it (nodeAddresses[].hostKey); nothing was sent to it. ` +
      "Someone else may answer at that address (a man in the middle, an IP released and reassigned), or the host was rebuilt outside Pulumi. " +
      "Fix: find out which before anything else; if the node was replaced on purpose, run `pulumi up` so the stack's outputs hold its new key",
  );
}

/**
 * The system ssh client with the stack's key in a 0600 file of a private temp dir, and a known_hosts
 * of the stack's pinned host keys only (StrictHostKeyChecking yes: never trust on first use), removed
 * by close(). Throws a SetupError when there is no ssh client; a run rejects with one when a host
 * presents another key.
 */
export async function openSshSession(settings: SshSettings, hosts: PinnedHost[], timeoutMs = 30_000): Promise<SshSession> {
  const probe = await runProcess(["ssh", "-V"], { timeoutMs: 10_000 });
  if (probe.notFound) throw new SetupError("no ssh client on PATH: install openssh-client (apt-get install -y openssh-client)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iam-ha-verify-"));
  const keyFile = path.join(dir, "key");
  const configFile = path.join(dir, "config");
  // ssh refuses a key without its final newline; Pulumi config keeps whatever was pasted.
  fs.writeFileSync(keyFile, `${settings.privateKey.replace(/\r\n/g, "\n").trimEnd()}\n`, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  fs.writeFileSync(path.join(dir, "known_hosts"), hosts.map((h) => `${knownHostsLine(h)}\n`).join(""), { mode: 0o600 });
  fs.writeFileSync(configFile, sshConfigText(dir), { mode: 0o600 });
  return {
    keyFile,
    run: async (host, command, stdin) => {
      const r = await runProcess(["ssh", ...sshArgs(settings, configFile, host, command)], { input: stdin, timeoutMs });
      if (hostKeyRefused(r)) throw otherHostKey(settings, hosts, host);
      return r;
    },
    close: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
