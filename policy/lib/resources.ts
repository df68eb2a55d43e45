// How the policies name a resource in a message and tell two resources apart.

/** `<type> "<name>"`, the way every message names a resource. */
export const label = (r: { type: string; name: string }): string => `${r.type} "${r.name}"`;

/** The same resource: URNs are unique within a stack. */
export const sameUrn = (a: { urn: string }, b: { urn: string }): boolean => a.urn === b.urn;
