import { frontDoors } from "../config/lists";
import { IamHaConfig, NodeConfig, VipConfig } from "../config/types";
import { PATHS } from "./osFacts";

/**
 * What tells one VIP's pieces from another's on a node and in the stack. The primary VIP (the
 * first) keeps the names a one-VIP stack has always had, so a running stack that lists a second
 * VIP keeps its first VIP's HAVIP, EIP and state files. Every other VIP's cloud resources are
 * named by its address (a HAVIP is its address: a new router id keeps them and their EIP), its
 * files on the nodes by its router id (a new router id is a new VRRP instance anyway).
 */
export interface VipNames {
  vip: VipConfig;
  primary: boolean;
  /** The vrrp_instance in keepalived.conf (and in its data dump). */
  instanceName: string;
  /** Where the notify script keeps this VIP's VRRP state on the node. */
  stateFile: string;
  /** The path on nginx that serves that state to the other front doors' VIP watch. */
  statePath: string;
  /** The stack's PublicAccess component for it (its HAVIP, EIP and bindings are named after it): iam-ha, or iam-ha-vip-<address>. */
  accessName: string;
}

export function vipNames(config: IamHaConfig, vip: VipConfig): VipNames {
  const primary = vip === config.vips[0];
  const suffix = primary ? "" : `-${vip.virtualRouterId}`;
  return {
    vip,
    primary,
    instanceName: `IAM_HA_${vip.virtualRouterId}`,
    stateFile: `${PATHS.vrrpStateFile}${suffix}`,
    statePath: `/iam-ha-state${suffix}`,
    accessName: primary ? "iam-ha" : `iam-ha-vip-${vip.address}`,
  };
}

export function allVipNames(config: IamHaConfig): VipNames[] {
  return config.vips.map((vip) => vipNames(config, vip));
}

/**
 * The front doors in the order VRRP prefers them for `vip`: its preferred node first, then the
 * rest by their configured priority (highest first). Without a preferred node, by priority alone.
 */
function preferenceOrder(config: IamHaConfig, vip: VipConfig): NodeConfig[] {
  const byPriority = [...frontDoors(config.nodes)].sort((a, b) => b.priority - a.priority);
  const preferred = byPriority.filter((n) => n.name === vip.preferred);
  return [...preferred, ...byPriority.filter((n) => n.name !== vip.preferred)];
}

/**
 * `node`'s keepalived priority for `vip`: the front doors' configured priorities, handed out in
 * the VIP's preference order, so the preferred node has the highest and every backup keeps the
 * short skew time a high priority gives (Pulumi.yaml `nodes`).
 */
export function vipPriority(config: IamHaConfig, vip: VipConfig, node: Pick<NodeConfig, "name">): number {
  const order = preferenceOrder(config, vip);
  const priorities = order.map((n) => n.priority).sort((a, b) => b - a);
  return priorities[order.findIndex((n) => n.name === node.name)];
}

/**
 * Where `node` sends new connections to `vip` while its own nginx is down: the peer VRRP makes
 * MASTER of that VIP next when this node holds it.
 */
export function fallbackPeer(config: IamHaConfig, vip: VipConfig, node: Pick<NodeConfig, "name">): NodeConfig {
  return preferenceOrder(config, vip).filter((n) => n.name !== node.name)[0];
}
