import * as fs from "fs";
import * as path from "path";
import { paths } from "../hosts/paths";

/**
 * The CVMs' instance ids in the lab: one per node until `lab replace` makes the node anew, as
 * Tencent gives a replaced CVM a new id at the same address. The program writes the id into each
 * step's script, so the next `up` runs every step on the new host.
 */

type Generations = Record<string, number>;

const read = (): Generations => (fs.existsSync(paths.machines()) ? JSON.parse(fs.readFileSync(paths.machines(), "utf8")) : {});

/** The instance id the lab's cloud gives `nodeName`'s CVM now. */
export function machineId(nodeName: string): string {
  return `ins-${nodeName}-${read()[nodeName] ?? 0}`;
}

/** A new CVM for `nodeName`: the next id. */
export function replaceMachine(nodeName: string): string {
  const generations = read();
  generations[nodeName] = (generations[nodeName] ?? 0) + 1;
  fs.mkdirSync(path.dirname(paths.machines()), { recursive: true });
  fs.writeFileSync(paths.machines(), JSON.stringify(generations), { mode: 0o600 });
  return machineId(nodeName);
}

/** New hosts are a new stack: every CVM starts at its first id. */
export function forgetMachines(): void {
  fs.rmSync(paths.machines(), { force: true });
}

/** A removed node's CVM is gone from state: added again, it starts over, as a new CVM. */
export function forgetMachine(nodeName: string): void {
  const generations = read();
  if (!(nodeName in generations)) return;
  delete generations[nodeName];
  fs.writeFileSync(paths.machines(), JSON.stringify(generations), { mode: 0o600 });
}
