import { PROJECT } from "./declaredKeys";

/** Collects every configuration problem so the operator sees them all at once. */
export class Problems {
  readonly lines: string[] = [];

  /** Records "iam-ha:<key>: <what is wrong>. Fix: <what to do>". */
  add(key: string, problem: string, fix: string): void {
    this.lines.push(`${PROJECT}:${key}: ${problem}. Fix: ${fix}.`);
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The stack configuration has ${problems.length} problem(s); nothing was created.\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** A whole number from min to max, or a problem naming the range. */
export function checkRange(key: string, value: number, min: number, max: number, problems: Problems): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.add(key, `${value} is outside ${min}-${max}`, `pick a whole number from ${min} to ${max}`);
  }
}
