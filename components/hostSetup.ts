import * as pulumi from "@pulumi/pulumi";
import * as remote from "@pulumi/command/remote";
import { types } from "@pulumi/command";
import { HostStep, NodePlan } from "../render/steps";
import { RUNNING_NODE_DIALS } from "./nodes";

export interface HostSetupArgs {
  /** The node's steps, rendered from config (render/steps.ts). */
  plan: NodePlan;
  /** How to reach the node over SSH; it holds the private key, so it is secret. */
  connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  /** Runs a step's stdin script: `bash -s -- apply` (as root or through sudo). */
  applyCommand: string;
  /** Undoes a step on destroy, with the script of the state being destroyed. */
  removeCommand: string;
  /** What the first step waits for besides the node's CVM: the rules that let SSH in. */
  reachableAfter: pulumi.Resource[];
  /**
   * The other nodes' steps a step waits for, by step name (components/roll.ts): a change to nginx
   * or keepalived rolls one node at a time, each node only after the previous one passed its
   * health gate. Called once per step while the nodes are being declared; the answer may resolve
   * later, once every node's steps exist. Default: none.
   */
  waitsOn?: (stepName: string) => pulumi.Output<pulumi.Resource[]>;
  /**
   * The node's CVM. The first step waits for it. Every step is `deletedWith` it: a step's delete
   * only matters on a node that stays, so when the CVM goes in the same run (`pulumi destroy`, a
   * node removed or replaced) the engine skips the delete and an unreachable node never holds up
   * a destroy. Its id is written into every step's script: a new CVM at the same address (same
   * connection, same files) is a changed input, so `pulumi up` runs each step on it again.
   */
  machine: pulumi.CustomResource;
}

type Connection = types.input.remote.ConnectionArgs;

/** The step's script for the CVM `machineId` (a comment line on top, which bash skips); secret when the step is. */
function stepScriptFor(machineId: pulumi.Input<string>, step: HostStep): pulumi.Output<string> {
  const script = pulumi.interpolate`# for CVM ${machineId}\n${step.script}`;
  return step.secret ? pulumi.secret(script) : script;
}
// After "ready" (which waits for a new CVM's sshd as long as the connection allows) the node is up.
const withRunningNodeDials = (c: Connection): Connection => ({ ...c, ...RUNNING_NODE_DIALS, proxy: c.proxy && { ...c.proxy, ...RUNNING_NODE_DIALS } });

/**
 * A node's remote steps, one command each, run one after another (apt's lock and a sane order):
 * ready → packages → firewall → nginx → vrrp-hold → keepalived → vrrp-release → grants. A step re-runs only when its script
 * changes; file contents and secrets travel on stdin, never in a command line.
 */
export class HostSetup extends pulumi.ComponentResource {
  /** By step name. */
  readonly steps: Record<string, remote.Command> = {};

  constructor(name: string, args: HostSetupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:host:HostSetup", name, {}, opts);
    let previous: remote.Command | undefined;
    for (const step of args.plan.steps) {
      const after = previous ? [previous] : [args.machine, ...args.reachableAfter];
      const others = args.waitsOn?.(step.name);
      previous = this.command(name, step, args, others ? others.apply((theirs) => [...after, ...theirs]) : after);
      this.steps[step.name] = previous;
    }
    this.registerOutputs({ steps: Object.keys(this.steps) });
  }

  private command(name: string, step: HostStep, args: HostSetupArgs, after: pulumi.Input<pulumi.Resource[]>): remote.Command {
    const connection = step.kind === "ready" ? args.connection : pulumi.output(args.connection).apply(withRunningNodeDials);
    return new remote.Command(
      `${name}-${step.name}`,
      {
        connection,
        create: args.applyCommand,
        // A step with nothing to undo has no delete, so Pulumi makes no connection for it on delete.
        delete: step.undoable ? args.removeCommand : undefined,
        stdin: stepScriptFor(args.machine.id, step),
        // Host tools may echo a config line with the secret in it (keepalived -t does).
        logging: step.secret ? "none" : "stdoutAndStderr",
        // Without AcceptEnv on the node this would only warn on every update.
        addPreviousOutputInEnv: false,
        // Only a grant has an identity (its account): another one replaces the step.
        triggers: step.identity,
      },
      {
        parent: this,
        dependsOn: after,
        additionalSecretOutputs: step.secret ? ["stdout", "stderr"] : [],
        // A new identity (another account) must not be made before the old one is dropped.
        deleteBeforeReplace: true,
        deletedWith: args.machine,
      },
    );
  }
}
