import { LabError } from "./exec";

/**
 * Shape of a lab: one "VPC subnet" (a Linux bridge inside a private network
 * namespace), N hosts (systemd-nspawn containers booted with systemd) on it,
 * a HAVIP that keepalived moves between the hosts, and an EIP reachable from
 * a separate "client" namespace that is DNATed to havip. A stack behind a CLB
 * (frontDoor clb) has no HAVIP: its EIP is where the CLB's stand-in listens,
 * and its nodes may sit in more zones, each a subnet (a bridge) of its own.
 *
 * What a stack file says about the machines themselves (the NIC's name, the login user, sshd's
 * port, where SSH comes from) the lab supplies as the cloud would: the optional fields below, each
 * defaulting to what a bare systemd-nspawn container has.
 */
export interface LabNode {
  name: string;
  privateIp: string;
  /** The address the lab's ssh binds to (`ssh -b`), one the node's firewall admits (inside adminCidr). Default: the kernel's choice, the router's address. */
  sshFrom?: string;
  /** sshd's port on the node (the stack's sshPort). Default 22. */
  sshPort?: number;
} // e.g. {name:"node-1", privateIp:"10.0.4.20", sshFrom: "203.0.113.10", sshPort: 22}

/** A zone's subnet in the lab: a bridge of the lab namespace, the router (the VPC's gateway) at `routerIp`. */
export interface LabZone {
  subnetCidr: string;
  routerIp: string;
}

export interface LabTopology {
  subnetCidr: string; // e.g. "10.0.4.0/24" — the "VPC subnet", a bridge inside the lab netns
  routerIp: string; // e.g. "10.0.4.1" — the bridge's own address (plays the VPC router)
  /** e.g. "10.0.4.99": keepalived moves it between nodes. None behind a CLB (frontDoor clb): nothing is DNATed then. */
  havip?: string;
  eip: string; // e.g. "10.255.0.10" — the "public" IP, an address in a separate "edge"/client netns path, DNAT/forwarded to havip:80
  /** frontDoor clb: the zones beyond the first, each its own subnet (a bridge) with the VPC router at its first address. Default: none. */
  moreZones?: LabZone[];
  /** Active-active: each further VIP and its EIP, DNATed as the first. Default: none. */
  moreVips?: { havip: string; eip: string }[];
  nodes: LabNode[]; // >= 2
  /** The name of every node's NIC (the stack's vrrpInterface). Default: host0, systemd-nspawn's name for the container end of --network-bridge. */
  nodeInterface?: string;
  /** An address of the lab's own namespace the nodes see SSH come from (the nodes' sshFrom), e.g. adminCidr's first address. Default: none besides the router's. */
  adminAddress?: string;
  /** The stack's sshUser when it is not root: made on every node with passwordless sudo and the lab's key, as the cloud image has it. */
  loginUser?: string;
}

/** The node at `host` (a private address the program names, in `what`), or a LabError. */
export function nodeAt(topology: LabTopology, host: string, what: string): LabNode {
  const node = topology.nodes.find((n) => n.privateIp === host);
  if (!node) throw new LabError(`${what} points at ${host}, which is no lab node (${topology.nodes.map((n) => n.privateIp).join(", ")})`);
  return node;
}
