import * as fs from "fs";
import * as path from "path";
import { LabError, log, tail } from "../hosts/exec";
import { settings } from "../hosts/paths";
import type { DeclaredCommand } from "./declaredCommands";
import { AppliedCommand, AppliedState, DeclaredProgram, formatPlan, PlannedStep, planUp } from "./plan";
import { sshExec } from "../hosts/ssh";
import { nodeAt, type LabTopology } from "../hosts/topology";

const STATE_FILE = () => path.join(settings.stateDir, "applied-commands.json");
/** One step may install packages; nothing legitimate takes longer. */
const STEP_TIMEOUT_MS = 10 * 60_000;

/** The plan `pulumi up` would run against what the lab applied before. */
export function labPlan(program: DeclaredProgram): PlannedStep[] {
  return planUp(loadState(), program);
}

/**
 * Applies the program as `pulumi up` would (lab/program/plan.ts): unchanged commands are left
 * alone, new and changed ones run their create with the new stdin, replaced ones per their
 * deleteBeforeReplace, removed ones are deleted at the end. A command starts once the commands it
 * waits for are done, so the nodes progress side by side. Returns the commands that ran.
 */
export async function applyCommands(topology: LabTopology, program: DeclaredProgram): Promise<AppliedCommand[]> {
  const state = loadState();
  const old = new Map(state.commands.map((c) => [c.name, c]));
  const plan = planUp(state, program);
  log(`plan:\n${formatPlan(plan)}`);
  const byName = new Map(plan.map((s) => [s.name, s]));
  const ran: AppliedCommand[] = [];
  const kept: AppliedCommand[] = [];
  const finished = new Map<string, Promise<void>>();
  for (const command of program.commands) {
    const step = byName.get(command.name)!;
    const waits = command.after.map((a) => finished.get(a)!);
    finished.set(
      command.name,
      Promise.all(waits).then(async () => {
        if (step.op === "same") return void kept.push(old.get(command.name)!);
        if (step.op === "replace" && step.deleteFirst) await deleteOne(topology, old.get(command.name)!, step);
        ran.push({ ...command, stdout: await applyOne(topology, command) });
      }),
    );
  }
  // Wait for every command, failed or not, before the deletes and the save: the next run must know all that ran.
  const outcomes = await Promise.allSettled(finished.values());
  const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected").map((o) => o.reason);
  const undeleted: AppliedCommand[] = [];
  if (failures.length === 0) {
    for (const step of plan.filter((s) => s.op === "delete")) {
      const command = state.commands.find((c) => c.name === step.name)!;
      await deleteOne(topology, command, step).catch((error) => {
        failures.push(error);
        if (!program.commands.some((c) => c.name === command.name)) undeleted.push(command);
      });
    }
  }
  const applied = program.commands.map((c) => ran.find((r) => r.name === c.name) ?? kept.find((k) => k.name === c.name) ?? old.get(c.name));
  saveState({ commands: [...applied.filter((c): c is AppliedCommand => c !== undefined), ...undeleted], resources: program.resources });
  if (failures.length > 0) throw failures[0];
  return ran;
}

/** Runs a command's delete as the engine would: with the stdin and connection it was applied with, unless the plan skips it. */
async function deleteOne(topology: LabTopology, command: AppliedCommand, step: PlannedStep): Promise<void> {
  if (step.skip || !command.delete) {
    log(`${command.name}: skipped (${step.skip ?? "nothing to undo"})`);
    return;
  }
  const node = nodeAt(topology, command.host, command.name);
  const r = await sshExec(node, command.delete, command.stdin, { timeoutMs: STEP_TIMEOUT_MS, user: command.user });
  if (r.code !== 0) throw new LabError(`removing ${command.name} on ${node.name} failed (exit ${r.code}): ${tail(r.stderr, 20)}`);
  log(`${command.name}: removed`);
}

async function applyOne(topology: LabTopology, command: DeclaredCommand): Promise<string> {
  const node = nodeAt(topology, command.host, command.name);
  const started = Date.now();
  log(`${command.name}: running on ${node.name} (${command.host})…`);
  const r = await sshExec(node, command.create, command.stdin, { timeoutMs: STEP_TIMEOUT_MS, user: command.user });
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
  return r.stdout;
}

const indent = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => `      ${l}`)
    .join("\n");

/** New hosts are a new stack: nothing has been applied to them. */
export function forgetApplied(): void {
  fs.rmSync(STATE_FILE(), { force: true });
}

function saveState(state: AppliedState): void {
  fs.mkdirSync(settings.stateDir, { recursive: true });
  fs.writeFileSync(STATE_FILE(), JSON.stringify(state), { mode: 0o600 });
}

function loadState(): AppliedState {
  return fs.existsSync(STATE_FILE()) ? JSON.parse(fs.readFileSync(STATE_FILE(), "utf8")) : { commands: [], resources: [] };
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
  const state = loadState();
  const plan = planUp(state, { commands: [], resources: [] });
  const destroyed: DestroyedCommand[] = [];
  for (const step of plan) {
    await deleteOne(
      topology,
      state.commands.find((c) => c.name === step.name)!,
      step,
    );
    destroyed.push({ name: step.name, outcome: step.skip ? "skipped" : "removed" });
  }
  fs.rmSync(STATE_FILE(), { force: true });
  return destroyed;
}
