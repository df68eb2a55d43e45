/**
 * A local, flat Debian repository with everything the lab hosts may install
 * (LAB_PACKAGES and all recursive Depends/Pre-Depends/Recommends not already in
 * the rootfs). It is bind-mounted read-only into every host at /srv/iam-ha-repo
 * and is the only apt source there:  deb [trusted=yes] file:/srv/iam-ha-repo ./
 *
 * How the set is computed: the host's apt (its lists must be current: apt-get update)
 * is run with `--download-only` against the *rootfs'* dpkg status
 * (-o Dir::State::status=<rootfs>/var/lib/dpkg/status) into the repo dir, i.e.
 * exactly the resolver run the host's `apt-get install` would do, nothing installed on the host.
 */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { runProcess } from "../../common/process";
import { runOk, log, LabError } from "./exec";
import { paths } from "./paths";
import { removeTree, replaceDir, writeFile } from "./fsutil";
import { readRootfsStamp, assertNotBuilding } from "./rootfs";

/** Packages the lab hosts can install. Push to it (before labUp/ensureRepo) to extend. */
export const LAB_PACKAGES: string[] = ["nginx", "keepalived", "mariadb-server", "curl", "nftables"];

const REPO_FORMAT = 1;
const MANIFEST = ".iam-ha-lab-repo.json";

export interface RepoManifest {
  format: number;
  packages: string[];
  rootfsId: string;
  debs: number;
  builtAt: string;
  buildSeconds: number;
}

function wanted(pkgs: readonly string[]): string[] {
  return [...new Set(pkgs.map((p) => p.trim()).filter(Boolean))].sort();
}

function readRepoManifest(dir = paths.repo()): RepoManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), "utf8")) as RepoManifest;
  } catch {
    return undefined;
  }
}

/**
 * Make sure the repo at paths.repo() holds `packages` and their dependencies for the current rootfs.
 * Rebuilt only when the wanted list (or the rootfs) changed. Needs ensureRootfs() first.
 */
export async function ensureRepo(
  packages: readonly string[] = LAB_PACKAGES,
): Promise<{ dir: string; built: boolean; seconds: number; manifest: RepoManifest }> {
  const dir = paths.repo();
  const rootfs = paths.rootfs();
  const rstamp = readRootfsStamp(rootfs);
  if (!rstamp) throw new LabError(`repo: no finished rootfs at ${rootfs} — call ensureRootfs() first`);
  const want = wanted(packages);
  for (const p of want) {
    if (!/^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?$/.test(p)) throw new LabError(`repo: "${p}" is not a Debian package name`);
  }
  const cur = readRepoManifest(dir);
  if (
    cur &&
    cur.format === REPO_FORMAT &&
    cur.rootfsId === rstamp.id &&
    JSON.stringify(cur.packages) === JSON.stringify(want) &&
    fs.existsSync(path.join(dir, "Packages"))
  ) {
    return { dir, built: false, seconds: 0, manifest: cur };
  }

  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  for (const e of fs.readdirSync(parent)) {
    if (e.startsWith(path.basename(dir) + ".tmp-") || e.startsWith(path.basename(dir) + ".old-")) {
      assertNotBuilding(e);
      await removeTree(path.join(parent, e));
    }
  }
  const t0 = Date.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  const scratch = `${tmp}.state`;
  fs.mkdirSync(path.join(tmp, "partial"), { recursive: true });
  fs.mkdirSync(scratch, { recursive: true });
  log(`repo: resolving and downloading ${want.join(", ")} + dependencies missing from the rootfs into ${tmp}…`);
  try {
    const aptOpts = [
      "-o",
      "Debug::NoLocking=1",
      "-o",
      `Dir::State::status=${path.join(rootfs, "var/lib/dpkg/status")}`,
      "-o",
      `Dir::State::extended_states=${path.join(scratch, "extended_states")}`,
      "-o",
      `Dir::Cache::archives=${tmp}/`,
      "-o",
      "APT::Install-Recommends=1",
      "-o",
      "APT::Install-Suggests=0",
      "-o",
      "APT::Get::AllowUnauthenticated=0",
    ];
    // 1) The exact file set apt wants (tmp is still empty, so every needed .deb is listed).
    const plan = await runOk(["apt-get", ...aptOpts, "install", "-y", "--print-uris", ...want], {
      timeoutMs: 5 * 60_000,
      what: "repo: apt-get --print-uris against the rootfs' dpkg status",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      hint: "if a package is 'unable to locate', the host's apt lists are stale or the name is wrong: run `apt-get update` on the host",
    });
    const files = new Set(
      plan.stdout
        .split("\n")
        .map((l) => /^'[^']+' (\S+\.deb) /.exec(l)?.[1])
        .filter((x): x is string => !!x),
    );
    if (files.size === 0) throw new LabError(`repo: apt wants nothing for ${want.join(", ")} — are they all already in the rootfs?`);
    // 2) Reuse the previous build's copies of those files (same name = same version), download the rest.
    if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (files.has(f)) fs.copyFileSync(path.join(dir, f), path.join(tmp, f));
    let lastLog = 0;
    await runOk(["apt-get", ...aptOpts, "install", "-y", "--download-only", ...want], {
      timeoutMs: 30 * 60_000,
      what: "repo: apt-get install --download-only against the rootfs' dpkg status",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      hint: "if a package is 'unable to locate' or a download 404s, the host's apt lists are stale: run `apt-get update` on the host and retry",
      onLine: (line) => {
        if (/^(Need to get|Fetched|E:|W:)/.test(line) || Date.now() - lastLog > 15_000) {
          log(`repo: ${line}`);
          lastLog = Date.now();
        }
      },
    });
    fs.rmSync(path.join(tmp, "partial"), { recursive: true, force: true });
    fs.rmSync(path.join(tmp, "lock"), { force: true });
    const debs = fs.readdirSync(tmp).filter((f) => f.endsWith(".deb"));
    const missing = [...files].filter((f) => !debs.includes(f));
    if (missing.length)
      throw new LabError(
        `repo: apt did not download ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} into ${tmp} — run \`apt-get update\` on the host and retry`,
      );
    await writeIndex(tmp);
    const manifest: RepoManifest = {
      format: REPO_FORMAT,
      packages: want,
      rootfsId: rstamp.id,
      debs: debs.length,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - t0) / 1000),
    };
    writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    await replaceDir(tmp, dir);
    await removeTree(scratch);
    const seconds = (Date.now() - t0) / 1000;
    log(`repo: ready at ${dir}: ${debs.length} .debs (${seconds.toFixed(0)} s)`);
    return { dir, built: true, seconds, manifest };
  } catch (e) {
    await removeTree(tmp).catch(() => undefined);
    await removeTree(scratch).catch(() => undefined);
    throw e;
  }
}

async function ensureScanpackages(): Promise<void> {
  const r = await runProcess(["sh", "-c", "command -v dpkg-scanpackages"], { timeoutMs: 10_000 });
  if (r.code === 0) return;
  log("repo: installing dpkg-dev on the host (for dpkg-scanpackages)…");
  await runOk(["apt-get", "install", "-y", "--no-install-recommends", "dpkg-dev"], {
    timeoutMs: 10 * 60_000,
    what: "apt-get install dpkg-dev on the host",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    hint: "install it by hand: apt-get update && apt-get install -y dpkg-dev",
  });
}

/** Packages (+ .gz) and a Release with hashes, so apt treats it as a normal flat repo. */
async function writeIndex(dir: string): Promise<void> {
  await ensureScanpackages();
  const r = await runOk(["dpkg-scanpackages", "--multiversion", ".", "/dev/null"], { cwd: dir, timeoutMs: 5 * 60_000, what: `dpkg-scanpackages in ${dir}` });
  const packages = r.stdout;
  if (!packages.includes("Package: ")) throw new LabError(`repo: dpkg-scanpackages produced an empty index in ${dir}`);
  writeFile(path.join(dir, "Packages"), packages);
  const zlib = await import("zlib");
  fs.writeFileSync(path.join(dir, "Packages.gz"), zlib.gzipSync(Buffer.from(packages)));
  const files = ["Packages", "Packages.gz"].map((f) => {
    const data = fs.readFileSync(path.join(dir, f));
    return { f, size: data.length, md5: crypto.createHash("md5").update(data).digest("hex"), sha256: crypto.createHash("sha256").update(data).digest("hex") };
  });
  const release = [
    "Origin: iam-ha-lab",
    "Label: iam-ha-lab",
    "Suite: lab",
    "Codename: lab",
    `Date: ${new Date().toUTCString()}`,
    "Architectures: amd64 all",
    "Description: iam-ha lab local packages",
    "MD5Sum:",
    ...files.map((x) => ` ${x.md5} ${x.size} ${x.f}`),
    "SHA256:",
    ...files.map((x) => ` ${x.sha256} ${x.size} ${x.f}`),
    "",
  ].join("\n");
  writeFile(path.join(dir, "Release"), release);
}
