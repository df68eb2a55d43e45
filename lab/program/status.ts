import { frontDoors } from "../../config/lists";
import { IamHaConfig } from "../../config/types";
import { NodeState } from "../../common/checks";
import { parseProbe, probeScript } from "../../common/nodeProbe";
import { inNode } from "../hosts/nodeShell";
import type { LabTopology } from "../hosts/topology";

export interface LabStatus {
  eip: string;
  vip: string;
  /** The node holding the HAVIP, or null. */
  master: string | null;
  nodes: { name: string; privateIp: string; state: string }[];
}

/** keepalived's state on each front door and whether it holds the VIP: the verifier's probe, run inside the node. */
export async function nodeStates(config: IamHaConfig, topology: LabTopology): Promise<NodeState[]> {
  const probe = probeScript(config.vrrp.interface, topology.havip);
  const doors = frontDoors(config.nodes).map((n) => n.name);
  return Promise.all(
    topology.nodes
      .filter((node) => doors.includes(node.name))
      .map(async (node) => {
        const r = await inNode(node.name, probe).catch(() => undefined);
        return r ? parseProbe(node.name, r) : { name: node.name, state: "STOPPED", holdsVip: false };
      }),
  );
}

export async function labStatus(config: IamHaConfig, topology: LabTopology): Promise<LabStatus> {
  const states = await nodeStates(config, topology);
  return {
    eip: topology.eip,
    vip: topology.havip,
    master: states.find((s) => s.holdsVip)?.name ?? null,
    // A backend node runs no keepalived.
    nodes: topology.nodes.map((n) => ({ name: n.name, privateIp: n.privateIp, state: states.find((s) => s.name === n.name)?.state ?? "backend" })),
  };
}
