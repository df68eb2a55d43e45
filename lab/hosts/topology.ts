/**
 * Shape of a lab: one "VPC subnet" (a Linux bridge inside a private network
 * namespace), N hosts (systemd-nspawn containers booted with systemd) on it,
 * a HAVIP that keepalived moves between the hosts, and an EIP reachable from
 * a separate "client" namespace that is DNATed to havip.
 *
 * Inside every lab host the NIC is called `host0` (systemd-nspawn's name for
 * the container end of --network-bridge), so keepalived's `interface` in the
 * lab must be `host0`.
 */
export interface LabNode {
  name: string;
  privateIp: string;
} // e.g. {name:"node-1", privateIp:"10.0.4.20"}

export interface LabTopology {
  subnetCidr: string; // e.g. "10.0.4.0/24" — the "VPC subnet", a bridge inside the lab netns
  routerIp: string; // e.g. "10.0.4.1" — the bridge's own address (plays the VPC router)
  havip: string; // e.g. "10.0.4.99" — keepalived (installed later by others) moves it between nodes
  eip: string; // e.g. "10.255.0.10" — the "public" IP, an address in a separate "edge"/client netns path, DNAT/forwarded to havip:80
  nodes: LabNode[]; // >= 2
}
