import { PROJECT } from "./declaredKeys";
import { ConfigSource } from "./source";

/** One entry of `pulumi config --json`: lists come as a JSON string and as `objectValue`. */
export interface PulumiConfigEntry {
  value?: string;
  objectValue?: unknown;
  secret?: boolean;
}

export type PulumiConfigJson = Record<string, PulumiConfigEntry | undefined>;

/**
 * A stack's config as `pulumi config --json --show-secrets` prints it, as a source for the one
 * config loader: the verifier reads a deployed stack's config with the same rules and defaults as
 * the program. A secret the CLI did not decrypt has no value; `hiddenSecrets` names them.
 */
/** A setting of another namespace (`tencentcloud:region`), as the stack holds it. */
export interface NamespacedSetting {
  value: string;
  secret: boolean;
}

export function pulumiConfigJsonSource(
  json: PulumiConfigJson,
): ConfigSource & { hiddenSecrets(): string[]; settingsOf(namespace: string): Record<string, NamespacedSetting> } {
  const prefix = `${PROJECT}:`;
  const text = (entry: PulumiConfigEntry | undefined) =>
    entry?.value !== undefined ? String(entry.value) : entry?.objectValue !== undefined ? JSON.stringify(entry.objectValue) : undefined;
  const ownKeys = () =>
    Object.keys(json)
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length));
  return {
    get: (key) => text(json[prefix + key]),
    isSecret: (key) => json[prefix + key]?.secret === true,
    keys: ownKeys,
    hiddenSecrets: () => ownKeys().filter((k) => json[prefix + k]?.secret === true && text(json[prefix + k]) === undefined),
    namespaced: (key) => text(json[key]),
    settingsOf: (namespace) =>
      Object.fromEntries(
        Object.keys(json)
          .filter((k) => k.startsWith(`${namespace}:`) && text(json[k]) !== undefined)
          .map((k) => [k, { value: text(json[k])!, secret: json[k]?.secret === true }]),
      ),
  };
}
