import { spawn } from "child_process";

/** What a child process said. `notFound` is set when the program itself is not on PATH. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
  notFound?: boolean;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed (so nothing ever waits on a terminal). */
  input?: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs a program without a shell and never throws. On timeout it kills the child and answers at
 * once, without waiting for grandchildren that may still hold the pipes open.
 */
export function runProcess(program: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (result: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
      finish({ code: 124, stdout: Buffer.concat(out).toString("utf8"), stderr: `${Buffer.concat(err).toString("utf8")}killed after ${options.timeoutMs} ms`, timedOut: true });
    }, options.timeoutMs);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    // A child that exits without reading its stdin makes the write fail with EPIPE; that is not our error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
    child.on("error", (e: NodeJS.ErrnoException) => {
      finish({ code: 127, stdout: "", stderr: `${program}: ${e.message}`, notFound: e.code === "ENOENT" });
    });
    child.on("close", (code) => {
      finish({ code: code ?? 128, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}
