/**
 * Lab hosts: one systemd-nspawn container per node, systemd as PID 1, booted
 * inside the lab netns with `nsenter --net=/run/netns/<ns> systemd-nspawn -b
 * --register=no --keep-unit ...` (NOT `ip netns exec`: that remounts /sys and
 * breaks nspawn's cgroup detection).
 *
 * Each node: overlayfs (lower = cached rootfs, upper/work per node) mounted at
 * /var/lib/iam-ha-lab/<node>/root, its own cgroup (/sys/fs/cgroup/.../iam-ha-lab/<node>;
 * without it every `--keep-unit` nspawn started from the same cgroup would put its
 * container into the same ".../payload" cgroup and the containers' systemds would
 * fight over one tree), console log in /var/lib/iam-ha-lab/<node>.console.log,
 * nspawn's pid in /var/lib/iam-ha-lab/<node>.pid.
 *
 * Inside: the NIC nspawn calls `host0`, renamed to the stack's vrrpInterface before the network
 * comes up (renameNicAtBoot), its static address from /etc/systemd/network/10-iam-lab.network (sorts
 * before nspawn's 80-container-host0.network), hostname = node name, sshd on the stack's sshPort
 * with the lab key (for root and the stack's sshUser, who gets passwordless sudo) and the host key
 * the program's user data gives the node (as cloud-init does on a CVM).
 */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { spawn } from "child_process";
import YAML from "yaml";
import { shellWords } from "../../common/shell";
import { runProcess } from "../../common/process";
import { runOk, log, LabError, waitFor, tail } from "./exec";
import { paths, names, settings } from "./paths";
import { removeTree, writeFile, unmountUnder } from "./fsutil";
import { prefixOf, subnetOf } from "./network";
import { publicKey, sshExec } from "./ssh";
import type { LabNode, LabTopology } from "./topology";

const CGROUP_ROOT = "/sys/fs/cgroup";
const CGROUP_GROUP = "iam-ha-lab";

/** cgroup directories a node's nspawn is placed in (one per mounted hierarchy nspawn/systemd care about). */
function nodeCgroupDirs(name: string): string[] {
  if (fs.existsSync(path.join(CGROUP_ROOT, "cgroup.controllers"))) return [path.join(CGROUP_ROOT, CGROUP_GROUP, name)]; // pure v2
  const out: string[] = [];
  for (const h of ["systemd", "unified"]) {
    // hybrid / v1
    if (fs.existsSync(path.join(CGROUP_ROOT, h, "cgroup.procs"))) out.push(path.join(CGROUP_ROOT, h, CGROUP_GROUP, name));
  }
  return out;
}

/** All pids in a cgroup subtree. */
function cgroupPids(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of fs.readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n")) if (l.trim()) pids.push(Number(l));
    } catch {
      /* gone */
    }
    for (const e of ents) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return [...new Set(pids)];
}

function removeCgroupTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    /* busy: reported by caller */
  }
}

/** Whether the node's nspawn (from its pid file) still runs. */
export function nodeRunning(name: string): boolean {
  return fs.existsSync(paths.nodePid(name)) && alive(Number(fs.readFileSync(paths.nodePid(name), "utf8")));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}
/** Is `pid` the systemd-nspawn we started for `name`? (guards against stale pid files) */
function isOurNspawn(pid: number, name: string): boolean {
  const c = cmdline(pid);
  return c.includes("systemd-nspawn") && c.includes(paths.nodeRoot(name));
}
/** systemd-nspawn processes for this node found by their command line (if the pid file was lost). */
function findNspawnPids(name: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid !== process.pid && isOurNspawn(pid, name)) out.push(pid);
  }
  return out;
}

/**
 * The host-key part of cloud-init's ssh module (cloudinit/config/cc_ssh.py), before the node's
 * first boot, as on a CVM: ssh_deletekeys (default true) removes /etc/ssh/ssh_host_*key*, and each
 * `<type>_private` / `<type>_public` of ssh_keys becomes /etc/ssh/ssh_host_<type>_key[.pub], 0600.
 * Returns false when the user data gives no host keys.
 */
function applySshKeys(root: string, userData: string, nodeName: string): boolean {
  if (!userData.startsWith("#cloud-config\n")) throw new LabError(`node ${nodeName}: its user data is not cloud-config (no #cloud-config line)`);
  const config = (YAML.parse(userData) ?? {}) as { ssh_deletekeys?: boolean; ssh_keys?: Record<string, string> };
  const etcSsh = path.join(root, "etc/ssh");
  if (config.ssh_deletekeys !== false) {
    for (const f of fs.readdirSync(etcSsh).filter((f) => /^ssh_host_.*key/.test(f))) fs.rmSync(path.join(etcSsh, f));
  }
  const files = Object.entries(config.ssh_keys ?? {}).flatMap(([key, value]) => {
    const m = /^(rsa|dsa|ecdsa|ed25519)_(private|public)$/.exec(key);
    return m ? [[`ssh_host_${m[1]}_key${m[2] === "public" ? ".pub" : ""}`, value] as const] : [];
  });
  for (const [file, value] of files) writeFile(path.join(etcSsh, file), value.endsWith("\n") ? value : `${value}\n`, 0o600);
  return files.length > 0;
}

/** What systemd-nspawn calls the container's end of --network-bridge (systemd-nspawn(1), --network-veth). */
const NSPAWN_NIC = "host0";

/**
 * A CVM's NIC has the image's name (eth0 on Tencent's images); --network-bridge always names the
 * container's end host0 (systemd-nspawn(1)). A oneshot unit renames it before systemd-networkd
 * configures it: renaming needs the link down, and networkd is what brings it up. (udev's .link
 * files would do this on a VM, but udev does not run in a container.)
 */
async function renameNicAtBoot(root: string, nic: string): Promise<void> {
  const unit = "iam-ha-lab-nic.service";
  writeFile(
    path.join(root, "etc/systemd/system", unit),
    [
      "# iam-ha lab: the NIC gets the name the stack expects (vrrpInterface), as the cloud's image gives it",
      "[Unit]",
      `Description=Name the lab NIC ${nic}`,
      "DefaultDependencies=no",
      "Before=network-pre.target systemd-networkd.service",
      "Wants=network-pre.target",
      `ConditionPathExists=/sys/class/net/${NSPAWN_NIC}`,
      "",
      "[Service]",
      "Type=oneshot",
      `ExecStart=/usr/sbin/ip link set dev ${NSPAWN_NIC} down`,
      `ExecStart=/usr/sbin/ip link set dev ${NSPAWN_NIC} name ${nic}`,
      "",
      "[Install]",
      "WantedBy=sysinit.target",
      "",
    ].join("\n"),
  );
  await runOk(["systemctl", `--root=${root}`, "enable", unit], { what: `enable ${unit} in ${root}`, timeoutMs: 30_000 });
}

/**
 * The stack's sshUser as a cloud image has it (Ubuntu's: cloud-init's default user): a login with
 * the key pair's key and passwordless sudo (cloud-init writes /etc/sudoers.d/90-cloud-init-users
 * the same way), so the steps' `sudo -n` works. Its password is "*": no password login, but not
 * locked either.
 */
async function addLoginUser(root: string, user: string): Promise<void> {
  const passwd = fs.readFileSync(path.join(root, "etc/passwd"), "utf8");
  if (!passwd.split("\n").some((l) => l.startsWith(`${user}:`))) {
    await runOk(["useradd", "--root", root, "--create-home", "--shell", "/bin/bash", "--password", "*", user], {
      what: `useradd ${user} in ${root}`,
      timeoutMs: 30_000,
    });
  }
  const entry = fs
    .readFileSync(path.join(root, "etc/passwd"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`))!
    .split(":");
  const [uid, gid, home] = [Number(entry[2]), Number(entry[3]), entry[5]];
  const sshDir = path.join(root, home, ".ssh");
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  writeFile(path.join(sshDir, "authorized_keys"), publicKey() + "\n", 0o600);
  for (const f of [path.join(root, home), sshDir, path.join(sshDir, "authorized_keys")]) fs.chownSync(f, uid, gid);
  writeFile(
    path.join(root, "etc/sudoers.d/90-iam-ha-lab-users"),
    `# iam-ha lab: the stack's sshUser, as a cloud image has it\n${user} ALL=(ALL) NOPASSWD:ALL\n`,
    0o440,
  );
}

/**
 * The node's root directory, prepared: overlay on the cached rootfs plus per-node identity files,
 * and its SSH host keys from `userData` (the program's cloud-config for the node's CVM) or, without
 * any, new ones.
 */
export async function prepareNode(node: LabNode, t: LabTopology, userData?: string): Promise<string> {
  const dir = paths.nodeDir(node.name);
  const root = paths.nodeRoot(node.name);
  if (fs.existsSync(dir)) throw new LabError(`node ${node.name}: ${dir} already exists — run labDown first`);
  for (const d of [root, paths.nodeUpper(node.name), paths.nodeWork(node.name)]) fs.mkdirSync(d, { recursive: true });
  const overlayOk = fs.readFileSync("/proc/filesystems", "utf8").includes("overlay");
  if (overlayOk) {
    await runOk(
      [
        "mount",
        "-t",
        "overlay",
        `iam-ha-lab-${node.name}`,
        "-o",
        `lowerdir=${paths.rootfs()},upperdir=${paths.nodeUpper(node.name)},workdir=${paths.nodeWork(node.name)}`,
        root,
      ],
      { what: `overlay mount for node ${node.name} at ${root}`, timeoutMs: 30_000, hint: "needs root and overlayfs (modprobe overlay)" },
    );
  } else {
    log(`node ${node.name}: no overlayfs in this kernel, copying the rootfs (cp -a --reflink=auto)…`);
    await runOk(["cp", "-a", "--reflink=auto", `${paths.rootfs()}/.`, root], { what: `copy rootfs for ${node.name}`, timeoutMs: 10 * 60_000 });
  }
  const p = (rel: string) => path.join(root, rel);
  writeFile(p("etc/hostname"), `${node.name}\n`);
  writeFile(p("etc/machine-id"), crypto.randomBytes(16).toString("hex") + "\n", 0o444);
  writeFile(
    p("etc/hosts"),
    ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", ...t.nodes.map((n) => `${n.privateIp}\t${n.name}`), ""].join("\n"),
  );
  writeFile(p("etc/resolv.conf"), "# iam-ha lab: no DNS (the lab has no way out)\n");
  const nic = t.nodeInterface ?? NSPAWN_NIC;
  // Its zone's subnet: the VPC's router there is its gateway.
  const zone = subnetOf(t, node);
  if (nic !== NSPAWN_NIC) await renameNicAtBoot(root, nic);
  writeFile(
    p("etc/systemd/network/10-iam-lab.network"),
    [
      '# iam-ha lab: static address of this node on the lab "VPC subnet" (sorts before 80-container-host0.network)',
      "[Match]",
      `Name=${nic}`,
      "",
      "[Network]",
      `Address=${node.privateIp}/${prefixOf(zone.subnetCidr)}`,
      `Gateway=${zone.routerIp}`,
      "LinkLocalAddressing=no",
      "IPv6AcceptRA=no",
      "",
    ].join("\n"),
  );
  fs.mkdirSync(p("root/.ssh"), { recursive: true, mode: 0o700 });
  fs.chmodSync(p("root/.ssh"), 0o700);
  writeFile(p("root/.ssh/authorized_keys"), publicKey() + "\n", 0o600);
  if (t.loginUser) await addLoginUser(root, t.loginUser);
  if (node.sshPort && node.sshPort !== 22) writeFile(p("etc/ssh/sshd_config.d/20-iam-ha-lab-port.conf"), `# the stack's sshPort\nPort ${node.sshPort}\n`);
  // Own ssh host keys per node (the rootfs ships none): the program's, or new ones.
  if (!(userData && applySshKeys(root, userData, node.name))) {
    await runOk(["ssh-keygen", "-A", "-f", root], { what: `ssh host keys for ${node.name}`, timeoutMs: 60_000 });
  }
  return root;
}

/** Start the node's container in the background (detached; survives this process), on its zone's bridge. Returns nspawn's pid. */
export function startNode(node: LabNode, t: LabTopology): number {
  const root = paths.nodeRoot(node.name);
  const cgDirs = nodeCgroupDirs(node.name);
  for (const d of cgDirs) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(settings.stateDir, { recursive: true });
  const consoleFd = fs.openSync(paths.nodeConsole(node.name), "w");
  const nspawn = [
    "systemd-nspawn",
    "--boot",
    "--register=no",
    "--keep-unit",
    `--directory=${root}`,
    `--machine=${node.name}`,
    `--network-bridge=${subnetOf(t, node).bridge}`,
    `--bind-ro=${paths.repo()}:${paths.repoInContainer}`,
    "--link-journal=no",
    "--resolv-conf=off",
    "--console=read-only",
  ];
  // The shell moves itself into the node's own cgroup(s), then execs nsenter, which execs nspawn (same pid).
  const script =
    cgDirs.map((d) => `echo $$ > ${shellWords([`${d}/cgroup.procs`])} || exit 97; `).join("") +
    `exec ${shellWords(["nsenter", `--net=/run/netns/${names.labNs()}`, "--", ...nspawn])}`;
  const child = spawn("sh", ["-c", script], {
    detached: true,
    stdio: ["ignore", consoleFd, consoleFd],
    env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_COLORS: "0" },
  });
  fs.closeSync(consoleFd);
  if (!child.pid) throw new LabError(`node ${node.name}: could not start systemd-nspawn (see ${paths.nodeConsole(node.name)})`);
  child.unref();
  fs.writeFileSync(paths.nodePid(node.name), `${child.pid}\n`);
  return child.pid;
}

function consoleTail(name: string, n = 40): string {
  try {
    return tail(fs.readFileSync(paths.nodeConsole(name), "utf8").replace(/\x1b\[[0-9;]*m/g, ""), n);
  } catch {
    return "(no console log)";
  }
}

/** Wait until sshd on the node answers with the lab key (bounded); throws with the console tail if not. */
export async function waitForSsh(node: LabNode, pid: number, timeoutMs = 90_000): Promise<void> {
  let lastErr = "";
  let died = false;
  const ok = await waitFor(
    async () => {
      if (!alive(pid)) {
        died = true;
        return true;
      }
      const r = await sshExec(node, "true", undefined, { timeoutMs: 10_000 });
      lastErr = r.stderr.trim();
      return r.code === 0;
    },
    timeoutMs,
    500,
  );
  if (died) {
    throw new LabError(
      `node ${node.name}: systemd-nspawn (pid ${pid}) exited during boot.\n` + `--- ${paths.nodeConsole(node.name)} (tail) ---\n${consoleTail(node.name)}`,
    );
  }
  if (!ok) {
    throw new LabError(
      `node ${node.name}: ssh to root@${node.privateIp} did not answer within ${timeoutMs / 1000} s (last ssh error: ${lastErr || "none"}).\n` +
        `--- ${paths.nodeConsole(node.name)} (tail) ---\n${consoleTail(node.name)}\n` +
        `--- what to do --- look at the console log above; the container is still running (pid ${pid}); labDown removes it`,
    );
  }
}

/** Wait for the node's boot to finish (systemctl is-system-running --wait); returns the state (running / degraded…). */
export async function waitForBoot(node: LabNode, timeoutMs = 60_000): Promise<{ state: string; failed: string }> {
  const secs = Math.max(1, Math.round(timeoutMs / 1000));
  const r = await sshExec(node, `timeout ${secs} systemctl is-system-running --wait; systemctl --failed --no-legend --plain`, undefined, {
    timeoutMs: timeoutMs + 10_000,
  });
  const lines = r.stdout.trim().split("\n");
  return { state: (lines[0] ?? "").trim() || "unknown", failed: lines.slice(1).join("\n").trim() };
}

/** Stop a node's container (SIGTERM → orderly poweroff, then SIGKILL its whole cgroup), bounded. Fine if not running. */
export async function stopNode(name: string, graceMs = 20_000): Promise<void> {
  const pids = new Set<number>();
  try {
    const pid = Number(fs.readFileSync(paths.nodePid(name), "utf8").trim());
    if (pid > 1 && isOurNspawn(pid, name)) pids.add(pid);
  } catch {
    /* no pid file */
  }
  for (const p of findNspawnPids(name)) pids.add(p);
  for (const p of pids) {
    try {
      process.kill(p, "SIGTERM");
    } catch {
      /* gone */
    }
  }
  if (pids.size) await waitFor(() => [...pids].every((p) => !alive(p)), graceMs, 200);
  // Anything still in the node's cgroups (a hung container, or nspawn killed earlier): SIGKILL, bounded.
  const cg = nodeCgroupDirs(name);
  const left = () => [...new Set([...cg.flatMap(cgroupPids), ...[...pids].filter(alive)])];
  for (let i = 0; i < 3 && left().length; i++) {
    for (const p of left()) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    await waitFor(() => left().length === 0, 5_000, 100);
  }
  const still = left();
  if (still.length)
    throw new LabError(
      `node ${name}: processes ${still.join(", ")} did not die after SIGKILL (uninterruptible?) — check \`ps -o pid,stat,cmd -p ${still.join(",")}\``,
    );
  for (const d of cg) removeCgroupTree(d);
  for (const d of cg) if (fs.existsSync(d)) throw new LabError(`node ${name}: could not remove cgroup ${d} — check cgroup.procs below it`);
  // nspawn's own runtime dirs on the host (normally removed by nspawn at exit; not after SIGKILL).
  for (const d of [`/run/systemd/nspawn/propagate/${name}`, `/run/systemd/nspawn/unix-export/${name}`]) {
    if (fs.existsSync(d)) {
      await unmountUnder(d);
      await runProcess(["rm", "-rf", "--one-file-system", d], { timeoutMs: 30_000 });
    }
  }
  fs.rmSync(paths.nodePid(name), { force: true });
}

/** Remove the (empty) /sys/fs/cgroup/.../iam-ha-lab parents once no node uses them. */
export function removeEmptyCgroupParents(): void {
  for (const d of nodeCgroupDirs("x").map((p) => path.dirname(p))) {
    try {
      if (fs.readdirSync(d, { withFileTypes: true }).every((e) => !e.isDirectory())) fs.rmdirSync(d);
    } catch {
      /* absent or busy */
    }
  }
}

/** Unmount and delete the node's directory (not its console log). Fine if absent. */
export async function removeNode(name: string): Promise<void> {
  await removeTree(paths.nodeDir(name));
}

/** Node names that have state on disk or a pid file (e.g. from an earlier topology). */
export function nodesOnDisk(): string[] {
  const d = settings.stateDir;
  if (!fs.existsSync(d)) return [];
  const out = new Set<string>();
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    if ((e.isDirectory() && fs.existsSync(path.join(d, e.name, "upper"))) || (e.isDirectory() && fs.existsSync(path.join(d, e.name, "root")))) out.add(e.name);
    if (e.isFile() && e.name.endsWith(".pid")) out.add(e.name.slice(0, -4));
  }
  return [...out];
}

/** Is anything of this node still mounted? (for tests/diagnostics) */
