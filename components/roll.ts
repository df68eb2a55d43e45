import * as pulumi from "@pulumi/pulumi";
import { NodeConfig } from "../config/types";
import * as tencentcloud from "../tencentcloud";

/**
 * The order a change rolls across the nodes, one node at a time behind a health gate: the VIP's
 * holder last, so a change that breaks a node stops the roll on a backup while the holder still
 * serves the old config. The backups go by rising priority. Without a holder (a new stack, or none
 * holds it now) the highest-priority node, the one that becomes MASTER first, goes last.
 */
export function rollOrder(nodes: Pick<NodeConfig, "name" | "priority">[], holder: string | null): string[] {
  const byPriority = [...nodes].sort((a, b) => a.priority - b.priority).map((n) => n.name);
  const last = holder !== null && byPriority.includes(holder) ? holder : byPriority[byPriority.length - 1];
  return [...byPriority.filter((n) => n !== last), last];
}

/**
 * The other nodes' steps `step` on front door `node` waits for, in roll `order` (the front doors):
 * nginx and keepalived after the previous node's; the first nginx after every backend node's
 * firewall (`backendsReady`: no upstream names a node before its firewall admits the front
 * doors); the first keepalived after every node's vrrp-hold (no node takes new VRRP settings while
 * a peer that can't hear it may still become MASTER) and every retired node's retire step (no node
 * drops a peer whose keepalived still runs); every vrrp-release after the last keepalived.
 */
export function rollWaits(
  order: string[],
  node: string,
  step: string,
  stepsOf: (node: string) => Record<string, pulumi.Resource>,
  retiring: pulumi.Resource[] = [],
  backendsReady: pulumi.Resource[] = [],
): pulumi.Resource[] {
  const previous = order[order.indexOf(node) - 1];
  switch (step) {
    case "nginx":
      return previous ? [stepsOf(previous).nginx] : backendsReady;
    case "keepalived":
      return previous ? [stepsOf(previous).keepalived] : [...order.map((n) => stepsOf(n)["vrrp-hold"]), ...retiring];
    case "vrrp-release":
      return [stepsOf(order[order.length - 1]).keepalived];
    default:
      return [];
  }
}

export interface VipHolderArgs {
  vpcId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  /** The HAVIP's address. */
  havip: string;
  /** The nodes' CVM ids, by node name. */
  instances: Record<string, pulumi.Input<string>>;
}

/**
 * The node Tencent Cloud binds the HAVIP to now (the keepalived MASTER announced it), or null: read
 * when `pulumi up` runs, through the provider's getVips (DescribeHaVips).
 */
export function vipHolder(args: VipHolderArgs, opts: pulumi.InvokeOptions): pulumi.Output<string | null> {
  return pulumi.all([args.vpcId, args.subnetId, pulumi.all(args.instances)]).apply(async ([vpcId, subnetId, instances]) => {
    const { haVipLists } = await tencentcloud.ha.getVips({ vpcId, subnetId }, opts);
    const bound = (haVipLists ?? []).find((v) => v.vip === args.havip)?.instanceId;
    return Object.entries(instances).find(([, id]) => bound && id === bound)?.[0] ?? null;
  });
}
