import * as pulumi from "@pulumi/pulumi";
import * as remote from "@pulumi/command/remote";
import { types } from "@pulumi/command";
import { HostStep } from "../render/steps";

export interface RetiredNodeArgs {
  /** Its retire step (render/steps.ts retireStep). */
  step: HostStep;
  /** How to reach it: its address and host key as the last update exported them. */
  connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  /** Runs the step's stdin script: `bash -s -- apply` (as root or through sudo). */
  applyCommand: string;
}

/**
 * A front door the stack no longer declares as one, in the update that removes it or makes it a
 * backend-only node: its CVM is deleted (or its keepalived step removed) only at the end of that
 * update, after the remaining nodes' keepalived dropped it, so first its own keepalived stops. In
 * the next update it is no front door in the last update's outputs, and this is gone.
 */
export class RetiredNode extends pulumi.ComponentResource {
  readonly command: remote.Command;

  constructor(name: string, args: RetiredNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:host:RetiredNode", name, {}, opts);
    this.command = new remote.Command(
      `${name}-${args.step.name}`,
      { connection: args.connection, create: args.applyCommand, stdin: args.step.script, logging: "stdoutAndStderr", addPreviousOutputInEnv: false },
      { parent: this },
    );
    this.registerOutputs({ command: this.command.id });
  }
}

/** A node as the last update exported it (the `nodeAddresses` output). */
export interface ExportedNode {
  name: string;
  privateIp: string;
  /** Absent in outputs from before roles: a front door. */
  role?: string;
  publicIp?: string;
  hostKey: string;
}

/**
 * The front doors the last update had that this one doesn't have (by name) or makes backend-only
 * nodes, except where a declared front door takes over the address: that is a CVM made anew
 * there, not a node leaving. Anything not shaped like `nodeAddresses` (a first up, or an older
 * output) retires nothing.
 */
export function retiredNodes(lastNodeAddresses: unknown, declared: { name: string; privateIp: string; role: string }[]): ExportedNode[] {
  if (!Array.isArray(lastNodeAddresses)) return [];
  const frontDoors = declared.filter((d) => d.role === "frontDoor");
  return lastNodeAddresses.filter(
    (n): n is ExportedNode =>
      typeof n?.name === "string" &&
      typeof n.privateIp === "string" &&
      typeof n.hostKey === "string" &&
      n.role !== "backend" &&
      !frontDoors.some((d) => d.name === n.name || d.privateIp === n.privateIp),
  );
}
