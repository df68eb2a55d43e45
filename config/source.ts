/** Where raw config comes from: the Pulumi stack at deploy time, a plain map in tests and the lab. */
export interface ConfigSource {
  /** The raw string of `iam-ha:<key>` (lists as JSON), or undefined when the stack does not set it. */
  get(key: string): string | undefined;
  /** Whether the stack stores `iam-ha:<key>` encrypted (`pulumi config set --secret`). */
  isSecret(key: string): boolean;
  /** Every `iam-ha:` key the stack sets, without the namespace. */
  keys(): string[];
}

/** A source over a plain map of key → value (objects and numbers are turned into config strings). */
export function mapSource(values: Record<string, unknown>, secretKeys: string[] = []): ConfigSource {
  const asString = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return {
    get: (key) => (values[key] === undefined ? undefined : asString(values[key])),
    isSecret: (key) => secretKeys.includes(key),
    keys: () => Object.keys(values),
  };
}
