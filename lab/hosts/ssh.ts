/**
 * SSH into lab hosts: one RSA key pair kept in the cache, the system ssh client run inside the lab
 * netns (the hosts' addresses are reachable only there), accepting only the host keys the program
 * pinned (pinHostKeys), as `pulumi up` and the verifier do.
 */
import * as fs from "fs";
import * as path from "path";
import { runProcess, RunResult } from "../../common/process";
import { runOk, LabError } from "./exec";
import { asSshArgs, hostKeyRefused, knownHostsLine, PinnedHost, sshClientOptions } from "../../common/sshOptions";
import { paths, names } from "./paths";
import type { LabNode } from "./topology";

/** Create the lab key pair once (0600 private key); returns the private key path. */
export async function ensureSshKey(): Promise<string> {
  const key = paths.sshKey();
  if (fs.existsSync(key) && fs.existsSync(`${key}.pub`)) {
    fs.chmodSync(key, 0o600);
    return key;
  }
  fs.mkdirSync(path.dirname(key), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(key), 0o700);
  for (const f of [key, `${key}.pub`]) fs.rmSync(f, { force: true });
  await runOk(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "iam-ha-lab", "-f", key], {
    timeoutMs: 30_000,
    what: `ssh-keygen for the lab key ${key}`,
    hint: "install openssh-client (apt-get install -y openssh-client)",
  });
  fs.chmodSync(key, 0o600);
  return key;
}

/** The lab's private key (OpenSSH format). */
export function privateKey(): string {
  const key = paths.sshKey();
  if (!fs.existsSync(key)) throw new LabError(`lab ssh key ${key} does not exist yet — run labUp (or ensureSshKey) first`);
  return fs.readFileSync(key, "utf8");
}

/** The lab's public key line (what goes into authorized_keys). */
export function publicKey(): string {
  const pub = `${paths.sshKey()}.pub`;
  if (!fs.existsSync(pub)) throw new LabError(`lab ssh public key ${pub} does not exist yet — run labUp (or ensureSshKey) first`);
  return fs.readFileSync(pub, "utf8").trim();
}

/** Makes `hosts`' keys the only ones the lab's ssh accepts (a 0600 known_hosts), replacing any pinned before. */
export function pinHostKeys(hosts: PinnedHost[]): void {
  fs.mkdirSync(path.dirname(paths.knownHosts()), { recursive: true });
  fs.writeFileSync(paths.knownHosts(), hosts.map((h) => `${knownHostsLine(h)}\n`).join(""), { mode: 0o600 });
  fs.chmodSync(paths.knownHosts(), 0o600);
}

/**
 * ssh client options for a connection to `node` as `user`: the lab key, the pinned host keys only,
 * the node's sshd port, and the operator's address as the source (the node's firewall admits SSH
 * from adminCidr only).
 */
function sshOptions(node: LabNode, user: string): string[] {
  if (!fs.existsSync(paths.knownHosts())) throw new LabError(`no host keys are pinned yet (${paths.knownHosts()}) — run the lab's up first`);
  const options = sshClientOptions({ identityFile: paths.sshKey(), knownHostsFile: paths.knownHosts() });
  const from = node.sshFrom ? ["-b", node.sshFrom] : [];
  return ["-F", "/dev/null", ...asSshArgs(options), ...from, "-p", String(node.sshPort ?? 22), "-l", user];
}

/** A node that answers with another host key: nothing was sent to it, and the lab stops here. */
function otherHostKey(node: LabNode): LabError {
  return new LabError(
    `${node.name} (${node.privateIp}) did not present the host key the program pinned for it (its connection's hostKey, delivered in its user data); ` +
      `nothing was sent to it. Someone else answers at ${node.privateIp}, or the node's host key was changed outside the program. ` +
      "Fix: find out which; to start over with new hosts and keys: npm run lab -- down, then npm run lab",
  );
}

/**
 * Run `command` on `node` over ssh (from inside the lab netns), as `opts.user`: a program step as
 * its connection's user (the stack's sshUser), the lab's own tools as root (the default). The
 * string is the remote command exactly as given (the remote login shell runs
 * it); `stdin` is piped in. Never throws for a remote failure: ssh's own
 * failures come back as code 255, a timeout (default 120 s) as code 124 with
 * a note in stderr. Throws if the lab netns does not exist, no host keys are
 * pinned, or the node presents a host key other than its pinned one.
 */
export async function sshExec(node: LabNode, command: string, stdin?: string, opts: { timeoutMs?: number; user?: string } = {}): Promise<RunResult> {
  const nsPath = `/run/netns/${names.labNs()}`;
  if (!fs.existsSync(nsPath)) throw new LabError(`sshExec(${node.name}): lab netns ${names.labNs()} does not exist (${nsPath}) — run labUp first`);
  const ssh = ["ssh", ...sshOptions(node, opts.user ?? "root"), "--", node.privateIp, command];
  const r = await runProcess(["nsenter", `--net=${nsPath}`, "--", ...ssh], {
    input: stdin ?? "",
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  if (hostKeyRefused(r)) throw otherHostKey(node);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
}
