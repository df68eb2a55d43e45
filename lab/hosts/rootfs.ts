/**
 * The Debian rootfs every lab host boots from. Built once with
 * `debootstrap --variant=minbase` into a temp dir next to the cache and
 * renamed into place only when complete, so an interrupted build is never reused.
 */
import * as fs from "fs";
import * as path from "path";
import { runOk, log, LabError } from "./exec";
import { paths, settings } from "./paths";
import { removeTree, mountsUnder, replaceDir, writeFile } from "./fsutil";

/** Packages debootstrap puts into the base rootfs (besides minbase's essentials). */
const ROOTFS_INCLUDE: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "libpam-systemd",
  "openssh-server",
  "iproute2",
  "curl",
  "ca-certificates",
  "python3",
  "sudo",
  "procps",
  "iputils-ping",
  "less",
  "netbase",
];

/** Bump when customizeRootfs() changes, so old caches are rebuilt. */
const ROOTFS_FORMAT = 1;
const STAMP = ".iam-ha-lab-rootfs.json";

export interface RootfsStamp {
  format: number;
  suite: string;
  mirror: string;
  include: string[];
  id: string;
  builtAt: string;
  buildSeconds: number;
}

export function readRootfsStamp(dir = paths.rootfs()): RootfsStamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STAMP), "utf8")) as RootfsStamp;
  } catch {
    return undefined;
  }
}

function stampMatches(s: RootfsStamp | undefined): s is RootfsStamp {
  return (
    !!s && s.format === ROOTFS_FORMAT && s.suite === settings.suite && JSON.stringify([...s.include].sort()) === JSON.stringify([...ROOTFS_INCLUDE].sort())
  );
}

/** Make sure the cached rootfs exists and is current; returns its path and whether it was built now. */
export async function ensureRootfs(): Promise<{ dir: string; built: boolean; seconds: number; stamp: RootfsStamp }> {
  const dir = paths.rootfs();
  const existing = readRootfsStamp(dir);
  if (stampMatches(existing)) return { dir, built: false, seconds: 0, stamp: existing };

  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  // Leftovers of interrupted builds (may still have proc/sys mounted by debootstrap).
  for (const e of fs.readdirSync(parent)) {
    if (e.startsWith(path.basename(dir) + ".tmp-") || e.startsWith(path.basename(dir) + ".old-")) {
      assertNotBuilding(e);
      log(`rootfs: removing leftover ${path.join(parent, e)}`);
      await removeTree(path.join(parent, e));
    }
  }
  if (fs.existsSync(dir)) {
    const users = fs.readFileSync("/proc/self/mountinfo", "utf8").includes(`lowerdir=${dir}`);
    if (users) throw new LabError(`rootfs ${dir} is outdated but still used by running lab hosts — run labDown first`);
  }

  const tmp = `${dir}.tmp-${process.pid}`;
  const debs = paths.debootstrapDebs();
  fs.mkdirSync(debs, { recursive: true });
  const t0 = Date.now();
  log(`rootfs: debootstrap ${settings.suite} --variant=minbase into ${tmp} (first run, ~3-8 min)…`);
  let last = 0;
  try {
    await runOk(
      [
        "debootstrap",
        "--variant=minbase",
        `--include=${ROOTFS_INCLUDE.join(",")}`,
        "--components=main",
        `--cache-dir=${debs}`,
        settings.suite,
        tmp,
        settings.mirror,
      ],
      {
        timeoutMs: 40 * 60_000,
        what: `debootstrap ${settings.suite} into ${tmp}`,
        hint: `check that ${settings.mirror} is reachable (it is the mirror configured in /etc/apt) and that debootstrap is installed (apt-get install -y debootstrap); the partial dir is removed on the next run`,
        onLine: (line) => {
          const now = Date.now();
          // "I: Retrieving adduser 3.134", "I: Unpacking libc6..." — one line per package; show one every 15 s.
          const routine =
            /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) [a-z0-9][a-z0-9.+:-]*( \S+|\.\.\.)$/.test(line.trim()) &&
            !/^I: (Retrieving|Validating) (Release|InRelease|Packages)/.test(line.trim());
          if (!routine || now - last > 15_000) {
            log(`rootfs: ${line.trim()}`);
            last = now;
          }
        },
      },
    );
    // debootstrap normally unmounts proc/sys itself; be sure before we touch the tree.
    for (const mp of mountsUnder(tmp)) await runOk(["umount", "-l", mp], { what: `unmount ${mp}` });
    await customizeRootfs(tmp);
    const stamp: RootfsStamp = {
      format: ROOTFS_FORMAT,
      suite: settings.suite,
      mirror: settings.mirror,
      include: [...ROOTFS_INCLUDE],
      id: `${Date.now().toString(36)}-${process.pid}`,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - t0) / 1000),
    };
    writeFile(path.join(tmp, STAMP), JSON.stringify(stamp, null, 2) + "\n");
    await replaceDir(tmp, dir);
    const seconds = (Date.now() - t0) / 1000;
    log(`rootfs: ready at ${dir} (${seconds.toFixed(0)} s)`);
    return { dir, built: true, seconds, stamp };
  } catch (e) {
    await removeTree(tmp).catch(() => undefined);
    throw e;
  }
}

/** A leftover "<name>.tmp-<pid>" whose pid is still a running node process is a build in progress: refuse. */
export function assertNotBuilding(entry: string): void {
  const pid = Number(/\.(?:tmp|old)-(\d+)(?:\.state)?$/.exec(entry)?.[1]);
  if (!pid || pid === process.pid) return;
  let cmd = "";
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return;
  }
  if (/node/.test(cmd)) throw new LabError(`${entry} is being built by another lab process (pid ${pid}) — wait for it or stop it (kill ${pid}), then retry`);
}

function symlinkForce(target: string, link: string): void {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  try {
    fs.unlinkSync(link);
  } catch {
    /* absent */
  }
  fs.symlinkSync(target, link);
}

/** One-time changes to the base rootfs that are the same for every node. */
async function customizeRootfs(root: string): Promise<void> {
  const p = (rel: string) => path.join(root, rel);
  // apt: only the lab's local repo (bind-mounted read-only at /srv/iam-ha-repo), no way out.
  writeFile(p("etc/apt/sources.list"), `deb [trusted=yes] file:${paths.repoInContainer} ./\n`);
  const sld = p("etc/apt/sources.list.d");
  if (fs.existsSync(sld)) for (const f of fs.readdirSync(sld)) fs.rmSync(path.join(sld, f), { force: true, recursive: true });
  writeFile(p("etc/apt/apt.conf.d/90iam-ha-lab"), 'Acquire::Languages "none";\nAPT::Periodic::Enable "0";\nAcquire::Retries "0";\n');
  fs.mkdirSync(p(paths.repoInContainer), { recursive: true });
  await runOk(["chroot", root, "apt-get", "clean"], { what: "apt-get clean in rootfs", timeoutMs: 60_000 });
  for (const f of fs.readdirSync(p("var/lib/apt/lists"))) {
    if (f !== "partial" && f !== "lock") fs.rmSync(path.join(p("var/lib/apt/lists"), f), { force: true, recursive: true });
  }
  // Units: networkd (static address per node) and sshd on; nothing periodic that grabs apt locks.
  await runOk(["systemctl", `--root=${root}`, "enable", "systemd-networkd.service", "ssh.service"], {
    what: "enable systemd-networkd and ssh in rootfs",
    timeoutMs: 60_000,
  });
  for (const u of ["apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service"]) {
    symlinkForce("/dev/null", p(`etc/systemd/system/${u}`));
  }
  // sshd: key-only root login, no DNS lookups.
  writeFile(
    p("etc/ssh/sshd_config.d/10-iam-ha-lab.conf"),
    "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n",
  );
  for (const f of fs.readdirSync(p("etc/ssh"))) if (f.startsWith("ssh_host_")) fs.rmSync(p(`etc/ssh/${f}`));
  // Per-node identity is written at node creation.
  writeFile(p("etc/machine-id"), "");
  writeFile(p("etc/hostname"), "iam-ha-lab\n");
  fs.mkdirSync(p("root/.ssh"), { recursive: true, mode: 0o700 });
  fs.chmodSync(p("root/.ssh"), 0o700);
}
