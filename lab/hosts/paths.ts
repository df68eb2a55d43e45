/**
 * Where the lab keeps things, and the names it gives to kernel objects.
 * Defaults can be changed by environment variables.
 *
 *   caches (kept by labDown):   /var/cache/iam-ha-lab/{rootfs-bookworm,repo,ssh,debs}
 *   per-run state (wiped):      /var/lib/iam-ha-lab/<node>/..., <node>.console.log, <node>.pid
 *   the stack's (wiped by down): /var/lib/iam-ha-lab/{host-keys.json,known_hosts}
 */
import * as path from "path";

export interface LabSettings {
  /** Name of the lab network namespace (the "VPC"); the client one is `${netns}-client`. */
  netns: string;
  /** Caches that survive labDown: rootfs, package repo, ssh key. */
  cacheDir: string;
  /** Per-node state (overlay dirs, pid files, console logs), wiped by labDown. */
  stateDir: string;
  /** Debian suite of the host rootfs. */
  suite: string;
  /** Debian mirror debootstrap uses (must be the one configured in /etc/apt). */
  mirror: string;
}

const env = process.env;
export const settings: LabSettings = {
  netns: env.IAM_HA_LAB_NETNS || "iamlab",
  cacheDir: env.IAM_HA_LAB_CACHE || "/var/cache/iam-ha-lab",
  stateDir: env.IAM_HA_LAB_STATE || "/var/lib/iam-ha-lab",
  suite: env.IAM_HA_LAB_SUITE || "bookworm",
  mirror: env.IAM_HA_LAB_MIRROR || "http://deb.debian.org/debian",
};

// The netns name goes into interface names, which the kernel caps at 15 characters.
if (!/^[a-z][a-z0-9-]{0,8}$/.test(settings.netns)) {
  throw new Error(`IAM_HA_LAB_NETNS "${settings.netns}" must match [a-z][a-z0-9-]{0,8} (it is used in interface names, max 15 chars)`);
}

export const names = {
  labNs: () => settings.netns,
  clientNs: () => `${settings.netns}-client`,
  bridge: () => `br-${settings.netns}`,
  /** The bridge of the i-th zone (frontDoor clb): the first zone's is bridge(), the others br-<ns>-z<i> (15 characters at most). */
  zoneBridge: (i: number) => (i === 0 ? `br-${settings.netns}` : `br-${settings.netns}-z${i}`),
  /** veth end in the lab netns (the "internet gateway" side) */
  edgeLab: () => "edge0",
  /** veth end in the client netns */
  edgeClient: () => "eth0",
  nftTable: () => "iam_lab_edge",
};

export const paths = {
  rootfs: () => path.join(settings.cacheDir, `rootfs-${settings.suite}`),
  debootstrapDebs: () => path.join(settings.cacheDir, "debs"),
  repo: () => path.join(settings.cacheDir, "repo"),
  sshDir: () => path.join(settings.cacheDir, "ssh"),
  /** RSA: Tencent's ImportKeyPair takes only RSA public keys, and the lab's key passes the same config rules. */
  sshKey: () => path.join(settings.cacheDir, "ssh", "id_rsa"),
  /** The nodes' pinned host keys, the only ones the lab's ssh accepts (written from the program's connections). */
  knownHosts: () => path.join(settings.stateDir, "known_hosts"),
  /** The host keys the program made, kept as Pulumi's state keeps them, until `down`. */
  hostKeys: () => path.join(settings.stateDir, "host-keys.json"),
  /** How many times each node's CVM was replaced (`lab replace`): its instance id. */
  machines: () => path.join(settings.stateDir, "machines.json"),
  nodeDir: (node: string) => path.join(settings.stateDir, node),
  nodeRoot: (node: string) => path.join(settings.stateDir, node, "root"),
  nodeUpper: (node: string) => path.join(settings.stateDir, node, "upper"),
  nodeWork: (node: string) => path.join(settings.stateDir, node, "work"),
  nodePid: (node: string) => path.join(settings.stateDir, `${node}.pid`),
  nodeConsole: (node: string) => path.join(settings.stateDir, `${node}.console.log`),
  /** Where the repo appears inside every container (read-only bind). */
  repoInContainer: "/srv/iam-ha-repo",
};
