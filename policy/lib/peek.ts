// Reading props that may be unknown during preview.
//
// During `pulumi preview`, props that depend on not-yet-created resources are "unknown". In
// @pulumi/policy 1.21 (server.js, proxy.js, deserialize.js) `args.props` is a proxy that throws
// UnknownValueError when such a value is read, and the pack then downgrades the whole policy to an
// advisory "can't run policy during preview". The policies read props through `peek()`, which turns
// that throw into UNKNOWN, so one unknown value (an EIP's publicIp, a subnet's id) does not switch a
// policy off; they use `propertyDependencies` / `dependencies` where values are not known yet, and
// never read an unknown value as "absent" (an unknown port is not "all ports").

/** Marks a value that is not known yet (during preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
type Peeked = unknown | typeof UNKNOWN;

function isUnknownValueError(e: unknown): boolean {
  // @pulumi/policy's proxy.js throws `UnknownValueError` ("... can't be known during preview");
  // the class is internal, so match it by name.
  return e instanceof Error && (e.constructor.name === "UnknownValueError" || /can't be known during preview/.test(e.message));
}

/** `obj[key]`, or UNKNOWN when the policy proxy says the value is not known during preview. */
export function peek(obj: unknown, key: string | number): Peeked {
  if (obj === null || obj === undefined || obj === UNKNOWN || typeof obj !== "object") {
    return obj === UNKNOWN ? UNKNOWN : undefined;
  }
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch (e) {
    if (isUnknownValueError(e)) {
      return UNKNOWN;
    }
    throw e;
  }
}

/** A known string, or undefined (absent, unknown or not a string). */
export function knownString(v: Peeked): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A known string, undefined when absent, or UNKNOWN (not known during preview). */
export function stringOrUnknown(v: Peeked): string | undefined | typeof UNKNOWN {
  return v === UNKNOWN ? UNKNOWN : knownString(v);
}

/** The elements of a (possibly unknown) array prop; unknown elements come back as UNKNOWN. */
export function peekArray(v: Peeked): Peeked[] | typeof UNKNOWN {
  if (v === UNKNOWN) {
    return UNKNOWN;
  }
  if (!Array.isArray(v)) {
    return [];
  }
  const out: Peeked[] = [];
  for (let i = 0; i < v.length; i++) {
    out.push(peek(v, i));
  }
  return out;
}
