import * as ipaddr from "ipaddr.js";

/** IPv4 helpers on top of ipaddr.js, for the config checks and the lab. */

export interface Cidr {
  network: string;
  prefix: number;
}

/** A dotted quad of four decimal parts ("10.0.4.20"); ipaddr.js alone also takes "10.1" or hex. */
export function isIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** Parses "a.b.c.d/n"; undefined when it is not IPv4 CIDR notation. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefix] = text.split("/");
  if (prefix === undefined || !/^\d{1,2}$/.test(prefix) || !isIpv4(address) || Number(prefix) > 32) {
    return undefined;
  }
  return { network: address, prefix: Number(prefix) };
}

/** The network address of a CIDR, e.g. 10.0.4.0 for 10.0.4.7/24. */
export function networkOf(cidr: Cidr): string {
  return ipaddr.IPv4.networkAddressFromCIDR(`${cidr.network}/${cidr.prefix}`).toString();
}

export function broadcastOf(cidr: Cidr): string {
  return ipaddr.IPv4.broadcastAddressFromCIDR(`${cidr.network}/${cidr.prefix}`).toString();
}

export function contains(cidr: Cidr, address: string): boolean {
  return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parse(cidr.network), cidr.prefix);
}

/** Whether every address of `inner` lies in `outer`. */
export function covers(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && contains(outer, inner.network);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return covers(a, b) || covers(b, a);
}

/** The n-th address of a network (n = 1: the first host address). */
export function nthAddress(cidr: Cidr, n: number): string {
  const bytes = ipaddr.IPv4.parse(networkOf(cidr)).toByteArray();
  const value = ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3] + n;
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** RFC 1918's private ranges, the only ones Tencent Cloud VPCs and subnets use. */
export const PRIVATE_RANGES: readonly Cidr[] = [
  { network: "10.0.0.0", prefix: 8 },
  { network: "172.16.0.0", prefix: 12 },
  { network: "192.168.0.0", prefix: 16 },
];

/** The private range that holds all of `cidr`, or undefined when it is (partly) public. */
export function privateRangeOf(cidr: Cidr): Cidr | undefined {
  return PRIVATE_RANGES.find((range) => covers(range, cidr));
}
