/** OpenSSH public key lines ("<type> <base64 blob> [comment]"), read as far as the checks need. */

export interface PublicKeyLine {
  /** The key type the blob itself names, e.g. ssh-rsa or ssh-ed25519. */
  type: string;
  /** The modulus size of an ssh-rsa key in bits; undefined for other types. */
  rsaBits?: number;
}

/**
 * Parses one public key line; undefined unless it is "<type> <base64> [comment]" whose blob starts
 * with the same type. An ssh-rsa blob is string "ssh-rsa", mpint e, mpint n (RFC 4253 section 6.6),
 * each a 4-byte big-endian length and its bytes (RFC 4251 section 5).
 */
export function parsePublicKeyLine(line: string): PublicKeyLine | undefined {
  const [type, base64] = line.trim().split(/\s+/);
  if (!type || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const fields = sshStrings(Buffer.from(base64, "base64"));
  if (fields?.[0]?.toString("latin1") !== type) return undefined;
  if (type !== "ssh-rsa") return { type };
  const modulus = fields[2];
  return modulus ? { type, rsaBits: bitLength(modulus) } : undefined;
}

/** The length-prefixed fields of an SSH wire-format blob; undefined when a length runs past the end. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
  const fields: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    if (at + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(at);
    if (at + 4 + length > blob.length) return undefined;
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

/** Bits of an unsigned big-endian number (an mpint carries a leading zero byte when its top bit is set). */
function bitLength(bytes: Buffer): number {
  const first = bytes.findIndex((b) => b !== 0);
  return first < 0 ? 0 : (bytes.length - first - 1) * 8 + bytes[first].toString(2).length;
}
