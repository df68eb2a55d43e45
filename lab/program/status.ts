import { frontDoors } from "../../config/lists";
import { IamHaConfig } from "../../config/types";
import { NodeState } from "../../common/checks";
import { moreProbedVips, parseProbe, probeScript } from "../../common/nodeProbe";
import { allVips } from "../hosts/network";
import { inNode } from "../hosts/nodeShell";
import type { LabTopology } from "../hosts/topology";
import { clbStandInRunning, clbTargetHealth, playedListeners } from "./clbStandIn";

export interface LabStatus {
  /** The primary VIP's EIP; behind a CLB (frontDoor clb), the CLB's address. */
  eip: string;
  /** The primary HAVIP; none behind a CLB. */
  vip?: string;
  /** The node holding the HAVIP, or null. */
  master: string | null;
  /** Every VIP, the primary first, with its EIP and holder ("split" when two hold it). */
  vips: { eip: string; vip: string; holder: string | null }[];
  /** Each node's keepalived state (a backend-only node: "backend"); behind a CLB, the CLB's view of it (UP, DOWN), per site when they differ. */
  nodes: { name: string; privateIp: string; state: string }[];
}

/** keepalived's state on each front door and whether it holds the VIP: the verifier's probe, run inside the node. None without a VIP (frontDoor clb: no keepalived). */
export async function nodeStates(config: IamHaConfig, topology: LabTopology): Promise<NodeState[]> {
  if (topology.havip === undefined) return [];
  const moreVips = moreProbedVips(config);
  const probe = probeScript(config.vrrp.interface, topology.havip, moreVips);
  const doors = frontDoors(config.nodes).map((n) => n.name);
  return Promise.all(
    topology.nodes
      .filter((node) => doors.includes(node.name))
      .map(async (node) => {
        const r = await inNode(node.name, probe).catch(() => undefined);
        return r ? parseProbe(node.name, r, moreVips) : { name: node.name, state: "STOPPED", holdsVip: false };
      }),
  );
}

export async function labStatus(config: IamHaConfig, topology: LabTopology): Promise<LabStatus> {
  if (topology.havip === undefined) return clbStatus(topology);
  const states = await nodeStates(config, topology);
  const holders = holdersOf(config, states);
  return {
    eip: topology.eip,
    vip: topology.havip,
    master: states.find((s) => s.holdsVip)?.name ?? null,
    vips: allVips(topology).map(({ eip, havip }) => ({ eip, vip: havip, holder: holders.get(havip) ?? null })),
    // A backend node runs no keepalived.
    nodes: topology.nodes.map((n) => ({ name: n.name, privateIp: n.privateIp, state: states.find((s) => s.name === n.name)?.state ?? "backend" })),
  };
}

/** Behind a CLB: no VIP, and each node as the CLB's stand-in sees it (STOPPED when the stand-in does not run). */
async function clbStatus(topology: LabTopology): Promise<LabStatus> {
  const running = clbStandInRunning();
  const health = running ? await clbTargetHealth(playedListeners()) : [];
  // One state when every site says the same, else each site's.
  const stateOf = (node: string) => {
    const states = [...new Set(health.filter((h) => h.node === node).map((h) => h.status))];
    return states.length > 0 ? states.join(" / ") : running ? "not a target" : "CLB STOPPED";
  };
  return { eip: topology.eip, master: null, vips: [], nodes: topology.nodes.map((n) => ({ name: n.name, privateIp: n.privateIp, state: stateOf(n.name) })) };
}

/**
 * Each VIP's holder, by address: the front door that has it on its VRRP interface; null for none,
 * "split" for more than one.
 */
export async function vipHolders(config: IamHaConfig, topology: LabTopology): Promise<Map<string, string | null>> {
  return holdersOf(config, await nodeStates(config, topology));
}

function holdersOf(config: IamHaConfig, states: NodeState[]): Map<string, string | null> {
  return new Map(
    config.vips.map((vip, i) => {
      const on = states.filter((s) => (i === 0 ? s.holdsVip : s.moreVips?.[vip.address]?.holdsVip)).map((s) => s.name);
      return [vip.address, on.length === 1 ? on[0] : on.length === 0 ? null : "split"];
    }),
  );
}
