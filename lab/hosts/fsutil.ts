/** Filesystem helpers that are safe around mounts (never recurse into a mounted filesystem). */
import * as fs from "fs";
import * as path from "path";
import { runProcess } from "../../common/process";
import { runOk, LabError } from "./exec";

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const base = path.resolve(dir);
  const text = fs.readFileSync("/proc/self/mountinfo", "utf8");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 5) continue;
    const mp = f[4].replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === base || mp.startsWith(base + "/")) out.push(mp);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Unmount everything at or below `dir` (lazy as a fallback). */
export async function unmountUnder(dir: string): Promise<void> {
  for (let pass = 0; pass < 5; pass++) {
    const mps = mountsUnder(dir);
    if (mps.length === 0) return;
    for (const mp of mps) {
      const r = await runProcess(["umount", mp], { timeoutMs: 30_000 });
      if (r.code !== 0) await runProcess(["umount", "-l", mp], { timeoutMs: 30_000 });
    }
  }
  const left = mountsUnder(dir);
  if (left.length) throw new LabError(`could not unmount ${left.join(", ")} — check with \`findmnt -R ${dir}\` and unmount by hand`);
}

/** rm -rf that first unmounts anything below and never crosses into another filesystem. */
export async function removeTree(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  const abs = path.resolve(dir);
  if (abs === "/" || abs.split("/").length < 3) throw new LabError(`refusing to remove suspicious path ${abs}`);
  await unmountUnder(abs);
  await runOk(["rm", "-rf", "--one-file-system", "--", abs], { timeoutMs: 300_000, what: `removing ${abs}` });
}

export function writeFile(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/** Puts a finished build at `dir` in one rename, so an interrupted build is never taken for a done one. */
export async function replaceDir(built: string, dir: string): Promise<void> {
  if (!fs.existsSync(dir)) {
    fs.renameSync(built, dir);
    return;
  }
  const old = `${dir}.old-${process.pid}`;
  fs.renameSync(dir, old);
  fs.renameSync(built, dir);
  await removeTree(old);
}
