/** Where raw config comes from: the Pulumi stack at deploy time, a plain map in tests and the lab. */
export interface ConfigSource {
  /** The raw string of `iam-ha:<key>` (lists as JSON), or undefined when the stack does not set it. */
  get(key: string): string | undefined;
  /** Whether the stack stores `iam-ha:<key>` encrypted (`pulumi config set --secret`). */
  isSecret(key: string): boolean;
  /** Every `iam-ha:` key the stack sets, without the namespace. */
  keys(): string[];
  /** Another namespace's key as the stack sets it, e.g. namespaced("tencentcloud:region"); undefined when unset. */
  namespaced(key: string): string | undefined;
}

/**
 * A source over a plain map of key → value (objects and numbers are turned into config strings);
 * `others` holds other namespaces' keys by their full name, e.g. {"tencentcloud:region": "ap-guangzhou"}.
 */
export function mapSource(values: Record<string, unknown>, secretKeys: string[] = [], others: Record<string, unknown> = {}): ConfigSource {
  const asString = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return {
    get: (key) => (values[key] === undefined ? undefined : asString(values[key])),
    isSecret: (key) => secretKeys.includes(key),
    keys: () => Object.keys(values),
    namespaced: (key) => (others[key] === undefined ? undefined : asString(others[key])),
  };
}
