import { DeclaredKey } from "./declaredKeys";
import { Problems } from "./problems";
import { ConfigSource } from "./source";

export type RawValue = string | number | boolean | unknown[];

/**
 * Secret keys that may stay unset. They cannot have a default in Pulumi.yaml: the CLI would put
 * the default in the stack config in plain text and then refuse it for not being encrypted.
 */
/** Secrets with no default that may stay unset: vrrpAuthPass is required by VRRPv2 only (config/checks.ts). */
export const OPTIONAL_SECRETS = ["alertWebhook", "vrrpAuthPass"];
/** Lists that may stay unset (Pulumi.yaml cannot give a list a default): vips (absent: the one VIP of havip), moreZones (absent: one zone). */
export const OPTIONAL_LISTS = ["vips", "moreZones"];
export type RawValues = Record<string, RawValue | undefined>;

/**
 * Reads every declared key from the source, applies Pulumi.yaml's default and parses the string
 * by the declared type. Unknown keys, missing required keys and secrets stored in plain text
 * are problems. A key with a problem is left undefined.
 */
export function readRawValues(source: ConfigSource, declared: DeclaredKey[], problems: Problems): RawValues {
  const declaredNames = declared.map((k) => k.name);
  for (const key of source.keys().filter((k) => !declaredNames.includes(k))) {
    problems.add(key, "is not a key this program reads", `remove it, or use one of: ${declaredNames.join(", ")}`);
  }
  const raw: RawValues = {};
  for (const key of declared) {
    const text = source.get(key.name);
    if (text === undefined) {
      if (OPTIONAL_LISTS.includes(key.name)) continue;
      const optional = OPTIONAL_SECRETS.includes(key.name);
      if (key.default === undefined && !optional) problems.add(key.name, "is not set", setCommand(key));
      raw[key.name] = optional ? "" : key.default;
      continue;
    }
    if (key.secret && !source.isSecret(key.name)) {
      problems.add(key.name, "is stored in plain text in the stack file", setCommand(key));
      continue;
    }
    raw[key.name] = parseValue(key, text, problems);
  }
  return raw;
}

function setCommand(key: DeclaredKey): string {
  if (key.type === undefined) return `set it in the stack file (Pulumi.<stack>.yaml); see README "Configuration"`;
  const value = key.type === "string" ? "'<value>'" : "<value>";
  return `run: pulumi config set ${key.secret ? "--secret " : ""}${key.name} ${value}`;
}

function parseValue(key: DeclaredKey, text: string, problems: Problems): RawValue | undefined {
  switch (key.type) {
    case "string":
      return text;
    case "integer":
      if (/^-?\d+$/.test(text.trim())) return Number(text);
      problems.add(key.name, `must be a whole number; got "${text}"`, `run: pulumi config set ${key.name} <number>`);
      return undefined;
    case "boolean":
      if (text === "true" || text === "false") return text === "true";
      problems.add(key.name, `must be true or false; got "${text}"`, `run: pulumi config set ${key.name} true`);
      return undefined;
    case undefined:
      try {
        const value = JSON.parse(text);
        if (Array.isArray(value)) return value;
      } catch {
        /* reported below */
      }
      problems.add(key.name, "must be a list", `write it as a YAML list in the stack file (see Pulumi.prod.yaml)`);
      return undefined;
  }
}
