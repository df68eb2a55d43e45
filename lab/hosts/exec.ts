/**
 * The lab's error type, `runOk` (the shared runner, throwing a message that names the command,
 * its stderr tail and the fix), polling, progress lines, and how the lab starts its own scripts.
 */
import { DEFAULT_TIMEOUT_MS, runProcess, RunOptions, RunResult } from "../../common/process";
import { shellWords } from "../../common/shell";
import * as path from "path";

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

/** Last `n` lines of a text, for error messages. */
export function tail(text: string, n = 20): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  return lines.slice(Math.max(0, lines.length - n)).join("\n");
}

/** Run a command and throw a LabError (command, exit code, stderr tail, hint) if it fails. */
export async function runOk(cmd: readonly string[], opts: RunOptions & { what?: string; hint?: string } = {}): Promise<RunResult> {
  const r = await runProcess(cmd, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : `exited with code ${r.code}`;
    throw new LabError(
      `${opts.what ?? "command"} failed: \`${shellWords(cmd)}\` ${why}\n` +
        `--- stderr (tail) ---\n${tail(r.stderr || r.stdout)}` +
        (opts.hint ? `\n--- what to do ---\n${opts.hint}` : ""),
    );
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
