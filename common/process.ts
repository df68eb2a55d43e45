/**
 * The one process runner of the lab and the verifier: no shell, every run bounded, never throws.
 * A program that is not installed comes back as `notFound` (code 127) with a hint; a timeout kills
 * the child's whole process tree and answers at once, without waiting for grandchildren that may
 * still hold the pipes open.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { shellWords } from "./shell";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the child, if one did. */
  signal?: NodeJS.Signals | null;
  timedOut?: boolean;
  /** The program itself is not on PATH. */
  notFound?: boolean;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed (so nothing ever waits on a terminal). */
  input?: string;
  /** Hard limit; the child's whole process tree is SIGKILLed when it is hit. Default 120 s. */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every complete output line (stdout and stderr), e.g. for progress. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** Pids of all descendants of `pid` (from /proc/<pid>/stat parent links), deepest last. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Signals a process and all its descendants (parents first, so they cannot respawn children). */
function killTree(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, signal);
    } catch {
      /* gone */
    }
  }
}

/** Splits a stream into lines for `onLine`, keeping the unfinished tail for the next chunk. */
function lineFeeder(onLine: RunOptions["onLine"], stream: "stdout" | "stderr") {
  let partial = "";
  return {
    feed(chunk: Buffer) {
      if (!onLine) return;
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) onLine(p, stream);
    },
    flush() {
      if (onLine && partial) onLine(partial, stream);
    },
  };
}

/** Runs `cmd` (program and arguments). Resolves with what it said; never rejects. */
export function runProcess(cmd: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    // Not detached: a Ctrl-C on the terminal reaches the children too.
    const child = spawn(cmd[0], cmd.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const lines = { stdout: lineFeeder(options.onLine, "stdout"), stderr: lineFeeder(options.onLine, "stderr") };
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");
    let settled = false;
    const finish = (result: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      if (child.pid) killTree(child.pid, "SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
      finish({ code: 124, stdout: text(out), stderr: `${text(err)}\nkilled after ${timeoutMs} ms: ${shellWords(cmd)}`, timedOut: true });
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      out.push(c);
      lines.stdout.feed(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      err.push(c);
      lines.stderr.feed(c);
    });
    // A child that exits without reading its stdin makes the write fail with EPIPE; that is not our error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
    child.on("error", (e: NodeJS.ErrnoException) => {
      const notFound = e.code === "ENOENT";
      const hint = notFound ? ` (is ${cmd[0]} installed and on PATH?)` : "";
      finish({ code: 127, stdout: "", stderr: `cannot start ${shellWords(cmd)}: ${e.message}${hint}`, notFound });
    });
    child.on("close", (code, signal) => {
      lines.stdout.flush();
      lines.stderr.flush();
      finish({ code: code ?? 128, stdout: text(out), stderr: text(err), signal });
    });
  });
}
