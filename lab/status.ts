import { IamHaConfig } from "../config/types";
import { PATHS } from "../render/osFacts";
import { NodeState } from "../verify/checks";
import { inNode } from "./nodeShell";
import type { LabTopology } from "./topology";

export interface LabStatus {
  eip: string;
  vip: string;
  /** The node holding the HAVIP, or null. */
  master: string | null;
  nodes: { name: string; privateIp: string; state: string }[];
}

/** keepalived's state on each node and whether it holds the VIP, read inside the node. */
export async function nodeStates(config: IamHaConfig, topology: LabTopology): Promise<NodeState[]> {
  const probe = [
    "systemctl is-active --quiet keepalived && echo active || echo inactive",
    `cat ${PATHS.vrrpStateFile} 2>/dev/null || echo NONE`,
    `ip -4 -o addr show dev ${config.vrrp.interface} | grep -qF ' ${topology.havip}/' && echo vip || echo novip`,
  ].join("; ");
  return Promise.all(
    topology.nodes.map(async (node) => {
      const r = await inNode(node.name, probe).catch(() => undefined);
      const [active, state, vip] = (r?.stdout ?? "").trim().split("\n");
      return { name: node.name, state: active === "active" ? state : "STOPPED", holdsVip: vip === "vip" };
    }),
  );
}

export async function labStatus(config: IamHaConfig, topology: LabTopology): Promise<LabStatus> {
  const states = await nodeStates(config, topology);
  return {
    eip: topology.eip,
    vip: topology.havip,
    master: states.find((s) => s.holdsVip)?.name ?? null,
    nodes: topology.nodes.map((n, i) => ({ name: n.name, privateIp: n.privateIp, state: states[i].state })),
  };
}
