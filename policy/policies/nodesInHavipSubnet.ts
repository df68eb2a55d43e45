// nodes-in-havip-subnet
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { TYPES } from "../../tencentcloud/tokens";
import { ipv4InCidr } from "../lib/network";
import { knownString, peek } from "../lib/peek";
import { label, sameUrn } from "../lib/resources";

/** The Subnet resource `r.<prop>` refers to: by property dependency, then by id value. */
function referencedSubnet(r: PolicyResource, prop: string, subnets: PolicyResource[]): PolicyResource | undefined {
  const byDependency = (r.propertyDependencies[prop] ?? []).find((d) => d.type === TYPES.subnet);
  if (byDependency) {
    return subnets.find((s) => sameUrn(s, byDependency)) ?? byDependency;
  }
  const id = knownString(peek(r.props, prop));
  if (id === undefined) {
    return undefined;
  }
  return subnets.find((s) => knownString(peek(s.props, "id")) === id || knownString(peek(s.props, "subnetId")) === id);
}

export const nodesInHavipSubnet: StackValidationPolicy = {
  name: "nodes-in-havip-subnet",
  description: "Every CVM must sit in the HAVIP's subnet (its privateIp inside that subnet's cidrBlock).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const subnets = args.resources.filter((r) => r.type === TYPES.subnet);
    const nodes = args.resources.filter((r) => r.type === TYPES.instance);
    for (const havip of args.resources.filter((r) => r.type === TYPES.havip)) {
      // Match by subnetId when it can be known; fall back to the only subnet of the stack. With an
      // existing subnet (config iam-ha:subnetId) there is no Subnet resource and no CIDR to check.
      const subnet = referencedSubnet(havip, "subnetId", subnets) ?? (subnets.length === 1 ? subnets[0] : undefined);
      if (!subnet) {
        continue;
      }
      const cidr = knownString(peek(subnet.props, "cidrBlock"));
      for (const node of nodes) {
        const privateIp = knownString(peek(node.props, "privateIp"));
        if (privateIp !== undefined && cidr !== undefined) {
          const inside = ipv4InCidr(privateIp, cidr);
          if (inside === false || inside === undefined) {
            report(
              `${label(node)} has privateIp ${privateIp}, ${inside === false ? "outside" : "not comparable with"} ${cidr}, the cidrBlock of ${label(subnet)} ` +
                `that ${label(havip)} lives in. An HAVIP only moves between CVMs of its own subnet, so this node could never hold the VIP. ` +
                `Fix: give the node a privateIp inside ${cidr} (config iam-ha:nodes) and put it in that subnet.`,
              node.urn,
            );
            continue;
          }
        }
        const nodeSubnet = referencedSubnet(node, "subnetId", subnets);
        if (nodeSubnet && !sameUrn(nodeSubnet, subnet)) {
          report(
            `${label(node)} is in ${label(nodeSubnet)}, but ${label(havip)} lives in ${label(subnet)}. ` +
              "An HAVIP only moves between CVMs of its own subnet. Fix: create every node with subnetId set to the HAVIP's subnet.",
            node.urn,
          );
        }
      }
    }
  },
};
