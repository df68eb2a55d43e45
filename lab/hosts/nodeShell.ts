import * as fs from "fs";
import { descendants, runProcess, RunResult } from "../../common/process";
import { LabError } from "./exec";
import { paths } from "./paths";

/**
 * Runs a command inside a node's namespaces directly (like `machinectl shell`), not over SSH:
 * the lab's own probes keep working while a scenario has taken the node's network down.
 */

/** The node's PID 1: the first systemd under its nspawn process (nsenter -t: its namespaces). */
export function leaderPid(node: string): number {
  const pidFile = paths.nodePid(node);
  if (!fs.existsSync(pidFile)) throw new LabError(`node ${node} is not running (no ${pidFile}); run the lab first`);
  const nspawn = Number(fs.readFileSync(pidFile, "utf8").trim());
  const leader = descendants(nspawn).find((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() === "systemd";
    } catch {
      return false;
    }
  });
  if (!leader) throw new LabError(`node ${node}: no systemd under nspawn pid ${nspawn}; see ${paths.nodeConsole(node)}`);
  return leader;
}

/** Async, so a node that does not run rejects (a caller's .catch sees it) rather than throwing. */
export async function inNode(node: string, command: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return runProcess(["nsenter", "-t", String(leaderPid(node)), "-m", "-u", "-i", "-n", "-p", "--", "sh", "-c", command], {
    timeoutMs: opts.timeoutMs ?? 30_000,
    input: opts.input,
  });
}
