import { validateTopology } from "../lab/hosts/network";
import { loadLabStack } from "../lab/program/stack";

/**
 * Any stack file runs in the lab as written: the lab supplies what only the cloud has (the NIC's
 * name, the login user, the operator's address, its own secrets) and replaces only what it cannot
 * play, saying so. No hosts are made here; tests/labExamples.test.ts runs them.
 */

const replacedKeys = (standIns: string[]) => standIns.map((l) => /^(\w+) /.exec(l)?.[1]).filter((k) => k === "sshVia" || k === "trackNginxProcess");

test("prod as committed: its NIC name, login user, port and adminCidr shape the lab's hosts; only sshVia public and track_process are replaced", async () => {
  const prod = await loadLabStack("prod");
  expect(prod.topology).toMatchObject({
    nodeInterface: "eth0",
    loginUser: "ubuntu",
    adminAddress: "203.0.113.10",
    nodes: [
      { name: "node-1", privateIp: "10.0.4.20", sshFrom: "203.0.113.10", sshPort: 22 },
      { name: "node-2", privateIp: "10.0.4.21", sshFrom: "203.0.113.10", sshPort: 22 },
    ],
  });
  // What the program then renders for the nodes is prod's: the firewall admits prod's adminCidr, keepalived uses eth0.
  expect([prod.config.network.adminCidr, prod.config.vrrp.interface, prod.config.ssh.user]).toEqual(["203.0.113.10/32", "eth0", "ubuntu"]);
  expect([prod.config.ssh.via, prod.config.vrrp.trackNginxProcess]).toEqual(["private", false]);
  expect(replacedKeys(prod.standIns)).toEqual(["sshVia", "trackNginxProcess"]);
});

test("the lab stack needs no replacement: SSH comes from the router's address, which its adminCidr holds", async () => {
  const lab = await loadLabStack("lab");
  expect(replacedKeys(lab.standIns)).toEqual([]);
  expect(lab.topology.adminAddress).toBeUndefined();
  expect(lab.topology.loginUser).toBeUndefined();
  expect(lab.topology.nodes.map((n) => n.sshFrom)).toEqual(["10.0.4.1", "10.0.4.1"]);
});

test("a stack in another subnet (examples/Pulumi.backends.yaml): the lab's ssh comes from adminCidr's first usable address, one no node or HAVIP uses", async () => {
  const other = await loadLabStack("backends");
  expect([other.topology.subnetCidr, other.topology.routerIp, other.topology.adminAddress, other.topology.nodeInterface]).toEqual([
    "172.20.8.0/24",
    "172.20.8.1",
    "198.51.100.1",
    "ens5",
  ]);
  const taken = await loadLabStack("backends", { adminCidr: "172.20.8.8/30", sshVia: "private" });
  expect(taken.topology.adminAddress).toBe("172.20.8.9");
  const pastNode = await loadLabStack("backends", { adminCidr: "172.20.8.14/31", sshVia: "private" });
  expect(pastNode.topology.adminAddress).toBe("172.20.8.15");
  const onNode = await loadLabStack("backends", { adminCidr: "172.20.8.12/31", sshVia: "private" }).catch((e: Error) => e.message);
  expect(onNode).toMatch(/^adminCidr 172\.20\.8\.12\/31 has no address the lab's ssh can come from: .* Fix: /);
});

test("an operator address the lab's own networks use is refused with the reason", async () => {
  const prod = await loadLabStack("prod");
  const inEdge = () => validateTopology({ ...prod.topology, adminAddress: "10.255.0.7" });
  expect(inEdge).toThrow(/adminAddress 10\.255\.0\.7 lies in the lab's edge network 10\.255\.0\.0\/24: give adminCidr an address outside it/);
  const onNode = () => validateTopology({ ...prod.topology, adminAddress: "10.0.4.21" });
  expect(onNode).toThrow(/adminAddress 10\.0\.4\.21 is already used by node node-2/);
});
