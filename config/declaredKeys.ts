import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/** One `config:` entry of Pulumi.yaml: the single home of each key's type and default. */
export interface DeclaredKey {
  name: string;
  /** Absent for lists of objects, which Pulumi.yaml cannot type. */
  type?: "string" | "integer" | "boolean";
  default?: string | number | boolean;
  secret: boolean;
  description: string;
}

export const PROJECT = "iam-ha";
const PROJECT_FILE = path.join(__dirname, "..", "Pulumi.yaml");

export function readDeclaredKeys(file: string = PROJECT_FILE): DeclaredKey[] {
  const project = parse(fs.readFileSync(file, "utf8"));
  return Object.entries<Record<string, unknown>>(project.config ?? {}).map(([name, spec]) => ({
    name,
    type: spec.type as DeclaredKey["type"],
    default: spec.default as DeclaredKey["default"],
    secret: spec.secret === true,
    description: String(spec.description ?? "").trim(),
  }));
}
