import * as fs from "fs";
import * as path from "path";
import { LabError, log, tail } from "../hosts/exec";
import { settings } from "../hosts/paths";
import type { DeclaredCommand } from "./declaredCommands";
import { sshExec } from "../hosts/ssh";
import type { LabNode, LabTopology } from "../hosts/topology";

/** What the lab ran: kept so `down` can undo it with each step's own delete and stdin, as Pulumi's state does. */
export interface AppliedCommand {
  name: string;
  host: string;
  delete?: string;
  deletedWith?: string;
  stdin: string;
  stdout: string;
}

const STATE_FILE = () => path.join(settings.stateDir, "applied-commands.json");
/** One step may install packages; nothing legitimate takes longer. */
const STEP_TIMEOUT_MS = 10 * 60_000;

function nodeAt(topology: LabTopology, host: string): LabNode {
  const node = topology.nodes.find((n) => n.privateIp === host);
  if (!node) throw new LabError(`the program connects to ${host}, which is no lab node (${topology.nodes.map((n) => n.privateIp).join(", ")})`);
  return node;
}

/**
 * Runs each command's create with its stdin over SSH on its node, as `pulumi up` would: a command
 * starts once the commands it waits for are done, so the nodes progress side by side.
 */
export async function applyCommands(topology: LabTopology, commands: DeclaredCommand[]): Promise<AppliedCommand[]> {
  const applied: AppliedCommand[] = [];
  const finished = new Map<string, Promise<void>>();
  for (const command of commands) {
    const waits = command.after.map((a) => finished.get(a)!);
    finished.set(
      command.name,
      Promise.all(waits).then(async () => {
        applied.push({ ...(await applyOne(topology, command)), name: command.name });
      }),
    );
  }
  // Wait for every command, failed or not, before saving: `down` must know all that ran.
  const outcomes = await Promise.allSettled(finished.values());
  saveApplied(applied);
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failure) throw failure.reason;
  return applied;
}

async function applyOne(topology: LabTopology, command: DeclaredCommand): Promise<Omit<AppliedCommand, "name">> {
  const node = nodeAt(topology, command.host);
  const started = Date.now();
  log(`${command.name}: running on ${node.name} (${command.host})…`);
  const r = await sshExec(node, command.create, command.stdin, { timeoutMs: STEP_TIMEOUT_MS });
  // Secret steps stay quiet, as logging: "none" keeps them in `pulumi up`.
  const shown = command.secret ? "(output hidden: the step carries a secret)" : tail(r.stdout + r.stderr, 40);
  if (r.code !== 0) {
    // A secret step's own lines ([iam-ha] …) never hold the secret; tool output might.
    const said = command.secret
      ? r.stderr
          .split("\n")
          .filter((l) => l.startsWith("[iam-ha]"))
          .join("\n")
      : shown;
    throw new LabError(`${command.name} failed on ${node.name} (exit ${r.code}): ${said}\nFix the cause, then run the lab again (steps are idempotent).`);
  }
  log(`${command.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s${command.secret ? "" : `\n${indent(shown)}`}`);
  return { host: command.host, delete: command.delete, deletedWith: command.deletedWith, stdin: command.stdin, stdout: r.stdout };
}

const indent = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => `      ${l}`)
    .join("\n");

function saveApplied(applied: AppliedCommand[]): void {
  fs.mkdirSync(settings.stateDir, { recursive: true });
  fs.writeFileSync(STATE_FILE(), JSON.stringify(applied), { mode: 0o600 });
}

function loadApplied(): AppliedCommand[] {
  return fs.existsSync(STATE_FILE()) ? JSON.parse(fs.readFileSync(STATE_FILE(), "utf8")) : [];
}

/** What a destroy did with each applied command, newest first. */
export interface DestroyedCommand {
  name: string;
  /** "removed": its delete ran; "skipped": it goes with its CVM (deletedWith) or has no delete. */
  outcome: "removed" | "skipped";
}

/**
 * Destroys what was applied as `pulumi destroy` would: newest first, each command's delete with
 * the stdin it was applied with, except where the engine makes no call at all. A command without
 * a delete needs none, and one `deletedWith` a resource that goes in the same run (in a destroy,
 * every resource) is skipped: pulumi/pulumi pkg/resource/deploy/step.go, isDeletedWith.
 */
export async function destroyApplied(topology: LabTopology): Promise<DestroyedCommand[]> {
  const destroyed: DestroyedCommand[] = [];
  for (const command of loadApplied().reverse()) {
    if (!command.delete || command.deletedWith) {
      log(`${command.name}: skipped (${command.delete ? `goes with ${command.deletedWith}` : "nothing to undo"})`);
      destroyed.push({ name: command.name, outcome: "skipped" });
      continue;
    }
    const node = nodeAt(topology, command.host);
    const r = await sshExec(node, command.delete, command.stdin, { timeoutMs: STEP_TIMEOUT_MS });
    if (r.code !== 0) throw new LabError(`removing ${command.name} on ${node.name} failed (exit ${r.code}): ${tail(r.stderr, 20)}`);
    log(`${command.name}: removed`);
    destroyed.push({ name: command.name, outcome: "removed" });
  }
  fs.rmSync(STATE_FILE(), { force: true });
  return destroyed;
}
