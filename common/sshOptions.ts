import type { RunResult } from "./process";

/**
 * The ssh client settings of the lab and the verifier alike: the given key only, never a prompt,
 * only pinned host keys, short timeouts, quiet. The lab passes them as `-o` arguments; the
 * verifier writes them to a config file, which its bastion hop reads too.
 */
export interface SshClientSettings {
  identityFile: string;
  /** The pinned host keys (knownHostsLine): the only keys ssh accepts, StrictHostKeyChecking yes, never trust on first use. */
  knownHostsFile: string;
}

export type SshOption = [name: string, value: string];

export function sshClientOptions(settings: SshClientSettings): SshOption[] {
  return [
    ["IdentityFile", settings.identityFile],
    ["IdentitiesOnly", "yes"],
    ["BatchMode", "yes"],
    ["StrictHostKeyChecking", "yes"],
    ["UserKnownHostsFile", settings.knownHostsFile],
    ["GlobalKnownHostsFile", "/dev/null"],
    ["ConnectTimeout", "5"],
    ["ServerAliveInterval", "5"],
    ["ServerAliveCountMax", "3"],
    ["LogLevel", "ERROR"],
  ];
}

/** One host and the only key it may present ("ssh-ed25519 AAAA…", an authorized_keys line). */
export interface PinnedHost {
  /** What the host is, for messages: a node's name, "the bastion". */
  name: string;
  host: string;
  port: number;
  key: string;
}

/** The host's known_hosts line: `[host]:port` unless the port is 22, as ssh looks it up (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT). */
export function knownHostsLine(pinned: PinnedHost): string {
  const name = pinned.port === 22 ? pinned.host : `[${pinned.host}]:${pinned.port}`;
  return `${name} ${pinned.key.trim().split(/\s+/).slice(0, 2).join(" ")}`;
}

/** Whether ssh refused the host: its key is not the pinned one (or none is pinned). OpenSSH then exits 255 having sent nothing. */
export function hostKeyRefused(r: RunResult): boolean {
  return r.code === 255 && /Host key verification failed/.test(r.stderr);
}

/** As command-line arguments (no shell in between, so no quoting). */
export function asSshArgs(options: SshOption[]): string[] {
  return options.flatMap(([name, value]) => ["-o", `${name}=${value}`]);
}

/** As an ssh_config file that applies to every host. */
export function asSshConfig(options: SshOption[]): string {
  return ["Host *", ...options.map(([name, value]) => `  ${name} ${/^[\w.-]+$/.test(value) ? value : `"${value}"`}`), ""].join("\n");
}
