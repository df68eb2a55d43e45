import type { DeclaredCommand } from "./declaredCommands";

/**
 * The plan `pulumi up` makes for the program's remote commands, from what was applied before (the
 * lab's state) and what the program declares now. The rules, from their sources:
 * - pulumi-command v1.2.1 `remote.Command` takes its diff from pulumi-go-provider's infer: any
 *   changed input is an update, and `triggers` is tagged `provider:"replaceOnChanges"`
 *   (provider/pkg/provider/common/inputs.go), so a changed trigger replaces the command.
 * - Its Update runs `update`, or `create` when there is none, with the new inputs; its Delete runs
 *   the old state's `delete`, and nothing when there is none (provider/pkg/provider/remote/commandController.go).
 * - The engine replaces create-first and deletes the replaced one at the end, unless the resource
 *   says deleteBeforeReplace; resources the program no longer declares are deleted at the end,
 *   dependents first; a delete whose `deletedWith` resource goes in the same run is skipped
 *   (pulumi/pulumi pkg/resource/deploy/step.go, isDeletedWith).
 */

/** A command as the lab applied it: what Pulumi's state holds for it. */
export interface AppliedCommand extends DeclaredCommand {
  stdout: string;
}

export type StepOp = "create" | "update" | "replace" | "same" | "delete";

export interface PlannedStep {
  name: string;
  op: StepOp;
  /** update and replace: the inputs that changed. */
  changed?: string[];
  /** replace: the old command's delete runs before the new one's create (deleteBeforeReplace). */
  deleteFirst?: boolean;
  /** delete (or a replacement's delete): why no delete runs on the node. */
  skip?: "nothing to undo" | `goes with ${string}`;
}

/** What the engine knows before a run: the commands in state and every resource's name. */
export interface AppliedState {
  commands: AppliedCommand[];
  resources: string[];
}

/** What the program declares now: its commands in dependency order and every resource's name. */
export interface DeclaredProgram {
  commands: DeclaredCommand[];
  resources: string[];
}

/**
 * Forward steps in the program's dependency order, then the end-of-run deletes (replaced
 * commands, then removed ones, dependents first).
 */
export function planUp(state: AppliedState, program: DeclaredProgram): PlannedStep[] {
  const old = new Map(state.commands.map((c) => [c.name, c]));
  const gone = new Set(state.resources.filter((r) => !program.resources.includes(r)));
  const forward = program.commands.map((command) => stepFor(old.get(command.name), command, gone));
  const replacedLater = forward.filter((s) => s.op === "replace" && !s.deleteFirst).map((s) => old.get(s.name)!);
  const removed = [...state.commands].reverse().filter((c) => !program.commands.some((n) => n.name === c.name));
  const deletes = [...replacedLater, ...removed].map((c) => ({ name: c.name, op: "delete" as const, ...skipOf(c, gone) }));
  return [...forward, ...deletes];
}

function stepFor(old: AppliedCommand | undefined, command: DeclaredCommand, gone: Set<string>): PlannedStep {
  if (!old) return { name: command.name, op: "create" };
  const changed = changedInputs(old.inputs, command.inputs);
  if (changed.length === 0) return { name: command.name, op: "same" };
  if (!changed.includes("triggers")) return { name: command.name, op: "update", changed };
  return { name: command.name, op: "replace", changed, deleteFirst: command.deleteBeforeReplace, ...(command.deleteBeforeReplace ? skipOf(old, gone) : {}) };
}

/** Why the engine makes no delete call for `command`, if it makes none. */
function skipOf(command: AppliedCommand, gone: Set<string>): Pick<PlannedStep, "skip"> {
  if (!command.delete) return { skip: "nothing to undo" };
  if (command.deletedWith && gone.has(command.deletedWith)) return { skip: `goes with ${command.deletedWith}` };
  return {};
}

function changedInputs(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

const SYMBOL: Record<StepOp, string> = { create: "+", update: "~", replace: "+-", same: " ", delete: "-" };

/** The plan as `pulumi preview` would list it: changes only, then a count of what stays. */
export function formatPlan(plan: PlannedStep[]): string {
  const lines = plan
    .filter((s) => s.op !== "same")
    .map((s) => {
      const detail = [
        s.changed && `[${s.changed.join(", ")}]`,
        s.op === "replace" && (s.deleteFirst ? "delete first" : "create first"),
        s.skip && `(no delete on the node: ${s.skip})`,
      ].filter(Boolean);
      return `  ${SYMBOL[s.op].padEnd(2)} ${s.name.padEnd(28)} ${s.op} ${detail.join(" ")}`.trimEnd();
    });
  const same = plan.filter((s) => s.op === "same").length;
  return [...lines, `  ${same} unchanged`].join("\n");
}
