import { broadcastOf, Cidr, contains, covers, isIpv4, networkOf, nthAddress, parseCidr, PRIVATE_RANGES, privateRangeOf } from "./ipv4";
import { Problems } from "./problems";
import { IamHaConfig } from "./types";

/**
 * The sizes Tencent Cloud sells. CreateVpc (https://www.tencentcloud.com/document/product/215/15774):
 * "The subnet mask of the smallest IP address range that can be created is 28 (16 IP addresses),
 * that of the largest IP address ranges 10.0.0.0/12 and 172.16.0.0/12 is 12 (1,048,576 IP
 * addresses), and that of the largest IP address range 192.168.0.0/16 is 16"; the private ranges
 * are those of Network Planning (https://www.tencentcloud.com/document/product/215/31795).
 * Subnets: /16 to /28.
 */
const VPC_PREFIXES = (range: Cidr): [number, number] => (range.prefix === 16 ? [16, 28] : [12, 28]);
const SUBNET_PREFIXES = (): [number, number] => [16, 28];
const PRIVATE_LIST = PRIVATE_RANGES.map((r) => `${r.network}/${r.prefix}`);
/** Wider than this, a public adminCidr is a large part of the Internet. */
const WIDEST_PUBLIC_ADMIN_PREFIX = 16;

/** The VPC and subnet, zone and region, and who may reach SSH; returns the subnet when it is valid. */
export function checkNetwork(c: IamHaConfig, region: string | undefined, problems: Problems): Cidr | undefined {
  const { network } = c;
  const subnet = tencentCidr("subnetCidr", network.subnetCidr, SUBNET_PREFIXES, "subnets", "10.0.4.0/24", problems);
  if (Boolean(network.vpcId) !== Boolean(network.subnetId)) {
    problems.add(network.vpcId ? "subnetId" : "vpcId", "an existing VPC and subnet go together", "set both vpcId and subnetId, or neither");
  }
  if (!network.vpcId) {
    const vpc = tencentCidr("vpcCidr", network.vpcCidr, VPC_PREFIXES, "VPCs", "10.0.0.0/16", problems);
    if (vpc && subnet && !covers(vpc, subnet)) {
      problems.add("subnetCidr", `${network.subnetCidr} is not inside vpcCidr ${network.vpcCidr}`, "pick a subnet inside the VPC");
    }
  }
  checkZone("availabilityZone", network.availabilityZone, region, problems);
  checkMoreZones(c, region, problems);
  checkAdminCidr(c, problems);
  return subnet;
}

/**
 * The zones beyond the first (frontDoor clb): each a zone of the region with a subnet of its own
 * inside the VPC, no zone twice, no subnet overlapping another.
 */
function checkMoreZones(c: IamHaConfig, region: string | undefined, problems: Problems): void {
  const { network } = c;
  const more = network.zones.slice(1);
  if (more.length === 0) return;
  if (c.frontDoor !== "clb") {
    problems.add(
      "moreZones",
      `lists ${more.length} more zone(s), but an HAVIP moves only within one subnet`,
      "remove moreZones, or put Tencent's load balancer in front (pulumi config set frontDoor clb)",
    );
    return;
  }
  if (network.subnetId)
    problems.add("moreZones", "is set together with an existing subnetId", "remove vpcId and subnetId (the program makes a subnet per zone), or moreZones");
  const vpc = network.vpcId ? undefined : parseCidr(network.vpcCidr);
  const seen = [{ zone: network.availabilityZone, cidr: parseCidr(network.subnetCidr), text: network.subnetCidr }];
  more.forEach((zone, i) => {
    const key = `moreZones[${i}]`;
    checkZone(`${key}.availabilityZone`, zone.availabilityZone, region, problems);
    const cidr = tencentCidr(`${key}.subnetCidr`, zone.subnetCidr, SUBNET_PREFIXES, "subnets", "10.0.5.0/24", problems);
    if (seen.some((z) => z.zone === zone.availabilityZone))
      problems.add(`${key}.availabilityZone`, `${zone.availabilityZone} is listed twice`, "list each zone once");
    if (!cidr) return;
    if (vpc && !covers(vpc, cidr))
      problems.add(`${key}.subnetCidr`, `${zone.subnetCidr} is not inside vpcCidr ${network.vpcCidr}`, "pick a subnet inside the VPC");
    const overlap = seen.find((z) => z.cidr && (covers(z.cidr, cidr) || covers(cidr, z.cidr)));
    if (overlap) problems.add(`${key}.subnetCidr`, `${zone.subnetCidr} overlaps ${overlap.text} (${overlap.zone})`, "give each zone a subnet of its own");
    seen.push({ zone: zone.availabilityZone, cidr, text: zone.subnetCidr });
  });
}

function cidrOf(key: string, text: string, problems: Problems): Cidr | undefined {
  const cidr = parseCidr(text);
  if (!cidr) {
    problems.add(key, `"${text}" is not an IPv4 CIDR`, `write it as address/prefix, e.g. 10.0.4.0/24`);
    return undefined;
  }
  if (networkOf(cidr) !== cidr.network) {
    problems.add(key, `"${text}" has host bits set`, `use ${networkOf(cidr)}/${cidr.prefix}`);
    return undefined;
  }
  return cidr;
}

/** A CIDR Tencent Cloud accepts for a VPC or subnet: private, and of a size it sells; undefined (and a problem) otherwise. */
function tencentCidr(
  key: string,
  text: string,
  prefixes: (range: Cidr) => [number, number],
  what: "VPCs" | "subnets",
  example: string,
  problems: Problems,
): Cidr | undefined {
  const cidr = cidrOf(key, text, problems);
  if (!cidr) return undefined;
  const range = privateRangeOf(cidr);
  if (!range) {
    const ranges = `${PRIVATE_LIST.slice(0, -1).join(", ")} and ${PRIVATE_LIST[PRIVATE_LIST.length - 1]}`;
    problems.add(key, `${text} is not in a private range; Tencent Cloud VPCs and subnets use only ${ranges}`, `use a CIDR inside one of them, e.g. ${example}`);
    return undefined;
  }
  const [min, max] = prefixes(range);
  if (cidr.prefix < min || cidr.prefix > max) {
    const sold = what === "VPCs" ? `VPCs in ${range.network}/${range.prefix}` : "subnets";
    problems.add(key, `${text} is a /${cidr.prefix}; Tencent Cloud ${sold} are /${min} to /${max}`, `use a prefix from /${min} to /${max}, e.g. ${example}`);
    return undefined;
  }
  return cidr;
}

/** A zone is its region plus "-<n>" (ap-guangzhou-3 is in ap-guangzhou); the provider creates everything in tencentcloud:region. */
export function checkZone(key: string, zone: string, region: string | undefined, problems: Problems): void {
  if (!/^[a-z]+(-[a-z]+)+-\d+$/.test(zone)) {
    problems.add(key, `"${zone}" is not a zone name`, "use a zone like ap-guangzhou-3");
    return;
  }
  const zoneRegion = zone.replace(/-\d+$/, "");
  if (region && region !== zoneRegion) {
    problems.add(
      key,
      `${zone} is not a zone of tencentcloud:region ${region}`,
      `use a zone of ${region} (e.g. ${region}-2), or run: pulumi config set tencentcloud:region ${zoneRegion}`,
    );
  }
}

/**
 * Who may reach SSH. SSH to a node's public IP arrives from the operator's public egress address,
 * so a private adminCidr there can never match; a public range wider than a /16 is a large part of
 * the Internet. A private range, reached through a bastion or from inside the VPC, may be wider.
 */
function checkAdminCidr(c: IamHaConfig, problems: Problems): void {
  const admin = cidrOf("adminCidr", c.network.adminCidr, problems);
  if (!admin) return;
  const text = c.network.adminCidr;
  const isPrivate = privateRangeOf(admin) !== undefined;
  if (admin.prefix === 0) {
    problems.add("adminCidr", "0.0.0.0/0 would open SSH to the whole Internet", "set your own egress address, e.g. 203.0.113.10/32");
  } else if (isPrivate && c.ssh.via === "public") {
    problems.add(
      "adminCidr",
      `${text} is a private range, but sshVia is public: SSH to the nodes' public IPs arrives from your public egress address`,
      "set your egress address, e.g. 203.0.113.10/32, or use sshVia bastion or private",
    );
  } else if (!isPrivate && admin.prefix < WIDEST_PUBLIC_ADMIN_PREFIX) {
    problems.add(
      "adminCidr",
      `${text} is broader than a /${WIDEST_PUBLIC_ADMIN_PREFIX} of public addresses`,
      `narrow it to your egress address (/32) or your office's range, at most a /${WIDEST_PUBLIC_ADMIN_PREFIX}; only a private range reached through sshVia bastion or private may be broader`,
    );
  }
}

/**
 * An address a node or the HAVIP may use: IPv4, in the subnet, and none of the three Tencent
 * Cloud reserves in every subnet: the network address, the first host (the VPC's gateway) and the
 * broadcast address, so a /24 leaves .2 to .254 (as DescribeSubnetAvailableIps' example lists for
 * one: https://cloud.tencent.com/document/api/1024/34214).
 */
export function checkHostAddress(key: string, address: string, subnet: Cidr | undefined, problems: Problems): void {
  if (!isIpv4(address)) {
    problems.add(key, `"${address}" is not an IPv4 address`, "write it as a.b.c.d, e.g. 10.0.4.20");
    return;
  }
  if (!subnet) return;
  if (!contains(subnet, address)) {
    problems.add(
      key,
      `${address} is outside subnetCidr ${subnet.network}/${subnet.prefix}`,
      "use an address inside the subnet: an HAVIP only moves between nodes of its own subnet",
    );
    return;
  }
  const reserved = new Map([
    [networkOf(subnet), "network"],
    [nthAddress(subnet, 1), "gateway"],
    [broadcastOf(subnet), "broadcast"],
  ]);
  const what = reserved.get(address);
  if (what) {
    const lastHost = nthAddress(subnet, 2 ** (32 - subnet.prefix) - 2);
    problems.add(
      key,
      `${address} is the subnet's ${what} address, which Tencent Cloud reserves`,
      `use an address from ${nthAddress(subnet, 2)} to ${lastHost}`,
    );
  }
}
