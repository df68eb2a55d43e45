/**
 * Small, bounded process helpers for the lab. Every run has a timeout; every
 * failure message names the command, where it ran, and its stderr tail.
 */
import { spawn, SpawnOptions } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface RunResult { code: number; stdout: string; stderr: string; signal?: string | null; timedOut?: boolean }

export interface RunOptions {
  /** Text written to the child's stdin (stdin is closed afterwards). */
  input?: string;
  /** Hard limit; the child's whole process group is SIGKILLed when it is hit. Default 120 s. */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every complete output line (stdout and stderr), e.g. for progress. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Human description for error messages (e.g. "debootstrap into /var/cache/..."). */
  what?: string;
}

export class LabError extends Error {
  constructor(message: string) { super(message); this.name = "LabError"; }
}

/** Last `n` lines of a text, for error messages. */
export function tail(text: string, n = 20): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  return lines.slice(Math.max(0, lines.length - n)).join("\n");
}

export function fmtCmd(cmd: readonly string[]): string {
  return cmd.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** Pids of all descendants of `pid` (from /proc/<pid>/stat parent links), deepest last. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch { /* exited */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

/** Signal a process and all its descendants (parents first, so they cannot respawn children). */
export function killTree(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  const all = [pid, ...descendants(pid)];
  for (const p of all) { try { process.kill(p, signal); } catch { /* gone */ } }
}

/** Run a command, never throws for a non-zero exit (see `runOk`). Bounded by timeoutMs. */
export function run(cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    // Not detached: a Ctrl-C on the terminal reaches the children too. On timeout the whole tree is killed.
    const so: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] };
    let child;
    try {
      child = spawn(cmd[0], cmd.slice(1), so);
    } catch (e) {
      reject(new LabError(`cannot start ${fmtCmd(cmd)}: ${(e as Error).message}`));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const partial = { stdout: "", stderr: "" };
    const feed = (stream: "stdout" | "stderr", chunk: Buffer) => {
      if (!opts.onLine) return;
      partial[stream] += chunk.toString("utf8");
      const parts = partial[stream].split("\n");
      partial[stream] = parts.pop() ?? "";
      for (const p of parts) opts.onLine(p, stream);
    };
    child.stdout!.on("data", (c: Buffer) => { out.push(c); feed("stdout", c); });
    child.stderr!.on("data", (c: Buffer) => { err.push(c); feed("stderr", c); });
    child.stdin!.on("error", () => { /* child may not read stdin */ });
    if (opts.input !== undefined) child.stdin!.end(opts.input); else child.stdin!.end();
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) killTree(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new LabError(`cannot start ${fmtCmd(cmd)}${opts.what ? ` (${opts.what})` : ""}: ${e.message}` +
        ((e as NodeJS.ErrnoException).code === "ENOENT" ? ` — is ${cmd[0]} installed and on PATH?` : "")));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (opts.onLine) {
        if (partial.stdout) opts.onLine(partial.stdout, "stdout");
        if (partial.stderr) opts.onLine(partial.stderr, "stderr");
      }
      const stdout = Buffer.concat(out).toString("utf8");
      let stderr = Buffer.concat(err).toString("utf8");
      if (timedOut) stderr += `\n[lab] killed after timeout of ${timeoutMs} ms`;
      resolve({ code: code ?? (timedOut ? 124 : 128), stdout, stderr, signal, timedOut });
    });
  });
}

/** Run a command and throw a LabError (command, exit code, stderr tail, hint) if it fails. */
export async function runOk(cmd: readonly string[], opts: RunOptions & { hint?: string } = {}): Promise<RunResult> {
  const r = await run(cmd, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : `exited with code ${r.code}`;
    throw new LabError(
      `${opts.what ?? "command"} failed: \`${fmtCmd(cmd)}\` ${why}\n` +
      `--- stderr (tail) ---\n${tail(r.stderr || r.stdout)}` + (opts.hint ? `\n--- what to do ---\n${opts.hint}` : ""));
  }
  return r;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `check` every `intervalMs` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** Log a "[lab] ..." progress line to stderr (kept off stdout so callers can parse stdout). */
export function log(msg: string): void {
  process.stderr.write(`[lab] ${msg}\n`);
}

/** The project's root: where the lab's own scripts run from (ts-node finds tsconfig there). */
export const PROJECT_ROOT = path.join(__dirname, "..", "..");

/** The command that runs one of the lab's TypeScript scripts (loadgen, the webhook receiver) in another namespace. */
export function tsScript(script: string, args: string[]): string[] {
  return [process.execPath, "-r", "ts-node/register/transpile-only", path.join(PROJECT_ROOT, "lab", script), ...args];
}
