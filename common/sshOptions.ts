/**
 * The ssh client settings of the lab and the verifier alike: the given key only, never a prompt,
 * short timeouts, quiet. The lab passes them as `-o` arguments; the verifier writes them to a
 * config file, because `-J` hands `-F <file>` on to the jump connection and `-o` would not reach it.
 */
export interface SshClientSettings {
  identityFile: string;
  /** Where host keys are kept and checked. */
  knownHostsFile: string;
  /** "accept-new": trust a host on first use within this file; "no": the lab's throwaway hosts. */
  strictHostKeyChecking: "yes" | "accept-new" | "no";
}

export type SshOption = [name: string, value: string];

export function sshClientOptions(settings: SshClientSettings): SshOption[] {
  return [
    ["IdentityFile", settings.identityFile],
    ["IdentitiesOnly", "yes"],
    ["BatchMode", "yes"],
    ["StrictHostKeyChecking", settings.strictHostKeyChecking],
    ["UserKnownHostsFile", settings.knownHostsFile],
    ["GlobalKnownHostsFile", "/dev/null"],
    ["ConnectTimeout", "5"],
    ["ServerAliveInterval", "5"],
    ["ServerAliveCountMax", "3"],
    ["LogLevel", "ERROR"],
  ];
}

/** As command-line arguments (no shell in between, so no quoting). */
export function asSshArgs(options: SshOption[]): string[] {
  return options.flatMap(([name, value]) => ["-o", `${name}=${value}`]);
}

/** As an ssh_config file that applies to every host. */
export function asSshConfig(options: SshOption[]): string {
  return ["Host *", ...options.map(([name, value]) => `  ${name} ${/^[\w.-]+$/.test(value) ? value : `"${value}"`}`), ""].join("\n");
}
