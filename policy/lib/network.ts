// Small IPv4/IPv6 and port helpers (ipaddr.js, as the rest of the project).
import * as ipaddr from "ipaddr.js";

/** Parses "a.b.c.d/n" or "x::/n"; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const [ip] = cidr.split("/");
  if (!cidr.includes("/") || (ip.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(ip))) {
    return undefined;
  }
  try {
    return ipaddr.parseCIDR(cidr);
  } catch {
    return undefined;
  }
}

/** True for 0.0.0.0/0, ::/0 and anything else whose prefix is 0 (the whole Internet). */
export function isInternetCidr(cidr: string): boolean {
  const s = cidr.trim();
  if (s === "0.0.0.0" || s === "::") {
    return true;
  }
  const parsed = parseCidr(s);
  return parsed !== undefined && parsed[1] === 0;
}

/** Whether an IPv4 address lies inside an IPv4 CIDR; undefined when either does not parse. */
export function ipv4InCidr(ip: string, cidr: string): boolean | undefined {
  const range = parseCidr(cidr);
  if (!range || range[0].kind() !== "ipv4" || !ipaddr.IPv4.isValidFourPartDecimal(ip)) {
    return undefined;
  }
  return ipaddr.IPv4.parse(ip).match(range);
}

/**
 * Whether a Tencent port spec ("22", "80,443", "3000-4000", "ALL", empty = all ports) includes
 * `port`. A spec that does not parse counts as covering it: a security check must not be
 * silenced by a value it cannot read (Tencent would reject such a rule anyway).
 */
export function portSpecCovers(spec: string | undefined, port: number): boolean {
  if (spec === undefined || spec.trim() === "") {
    return true;
  }
  return spec.split(",").some((partRaw) => {
    const part = partRaw.trim();
    if (part.toUpperCase() === "ALL") {
      return true;
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      return Number(range[1]) <= port && port <= Number(range[2]);
    }
    if (/^\d+$/.test(part)) {
      return Number(part) === port;
    }
    return true;
  });
}

/** SSH and MariaDB are TCP; protocol ALL (also Tencent's default when omitted) covers them too. */
export function protocolCoversTcp(protocol: string | undefined): boolean {
  return protocol === undefined || protocol.trim() === "" || ["ALL", "TCP"].includes(protocol.trim().toUpperCase());
}
