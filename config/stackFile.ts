import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT } from "./declaredKeys";

/**
 * The one reader of stack files (Pulumi.<stack>.yaml) outside Pulumi: the lab runs them and the
 * tests load them. `values` are the project's keys without the `iam-ha:` namespace; `others` the
 * rest as written (tencentcloud:region …). Secrets stored there are ciphertext, which only the
 * Pulumi CLI can read: the lab and the tests put their own in their place.
 */
export interface StackFile {
  values: Record<string, unknown>;
  others: Record<string, unknown>;
}

const PROJECT_DIR = path.join(__dirname, "..");
/** Example stacks of the topology variants: an operator copies one beside Pulumi.yaml; the lab runs them where they are. */
export const EXAMPLES_DIR = path.join(PROJECT_DIR, "examples");

/** Pulumi.<stack>.yaml in `dir`; by default the project's, else the example of that name. */
export function stackFilePath(stack: string, dir?: string): string {
  const inProject = path.join(dir ?? PROJECT_DIR, `Pulumi.${stack}.yaml`);
  const example = path.join(EXAMPLES_DIR, `Pulumi.${stack}.yaml`);
  return dir === undefined && !fs.existsSync(inProject) && fs.existsSync(example) ? example : inProject;
}

/** Reads a stack file; undefined when there is none. */
export function readStackFile(stack: string, dir?: string): StackFile | undefined {
  const file = stackFilePath(stack, dir);
  if (!fs.existsSync(file)) return undefined;
  const config: Record<string, unknown> = parse(fs.readFileSync(file, "utf8"))?.config ?? {};
  const prefix = `${PROJECT}:`;
  const values: Record<string, unknown> = {};
  const others: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(prefix)) values[key.slice(prefix.length)] = value;
    else others[key] = value;
  }
  return { values, others };
}

/** Every key as the Pulumi CLI hands config to a program: "namespace:key" → string (lists as JSON). */
export function asPulumiConfig(values: Record<string, unknown>, others: Record<string, unknown> = {}): Record<string, string> {
  const asString = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(others)) config[key] = asString(value);
  for (const [key, value] of Object.entries(values)) config[`${PROJECT}:${key}`] = asString(value);
  return config;
}
