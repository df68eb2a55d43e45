import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { fallbackPeer } from "../render/vips";
import { PATHS } from "../render/osFacts";
import { planNode } from "../render/steps";
import { SECRET_KEYS, stackValues } from "./fixtures/stacks";
import { requireTools, run, tempDir } from "./fixtures/tools";

/**
 * The VIP's standing address and fallback on a real kernel: network namespaces on a bridge play
 * the subnet, with the prod stack's node-1 (its rendered ruleset and sysctl file loaded as the
 * firewall step loads them), its fallback peer, and a client whose route to the VIP still points at
 * node-1, as a neighbour's ARP cache does while the VIP moves. Twice: with nginx on port 80
 * (frontDoor havip), and with the service straight on its own port (vipOnly, seeds/004's 8888).
 */

requireTools("ip", "nft", "sysctl", "curl", "python3");

const CLIENT_IP = "10.0.4.50";
const fronts: [string, number, Record<string, unknown>][] = [
  ["nginx (frontDoor havip) on port 80", 80, stackValues("prod")],
  [
    "the service on its own port (frontDoor vipOnly), 8888",
    8888,
    { ...stackValues("prod"), frontDoor: "vipOnly", sites: [{ serverName: "swarm.example.com", port: 8888 }] },
  ],
];

describe.each(fronts.map((f, i) => [...f, i] as const))("the VIP's fallback with %s", (_label, port, values, index) => {
  const config = loadConfig(mapSource(values, SECRET_KEYS));
  const node = config.nodes[0];
  const peer = fallbackPeer(config, config.vips[0], node);
  const tag = `iamfb${process.pid}x${index}`;
  const ns = { lan: `${tag}-lan`, node: `${tag}-node`, peer: `${tag}-peer`, client: `${tag}-client` };
  const servers: ChildProcess[] = [];

  const inNs = (name: string, ...args: string[]) => run("ip", ["netns", "exec", name, ...args]);
  function must(r: { code: number; stderr: string }, what: string): void {
    if (r.code !== 0) throw new Error(`${what}: ${r.stderr}`);
  }

  /** A host on the lab bridge: its end of a veth pair is `eth0` (the stack's vrrpInterface) at `address`. */
  function attach(name: string, address: string): void {
    must(run("ip", ["netns", "add", name]), `netns ${name}`);
    must(
      run("ip", ["-n", ns.lan, "link", "add", `v-${name.slice(-6)}`, "type", "veth", "peer", "name", config.vrrp.interface, "netns", name]),
      `veth for ${name}`,
    );
    must(run("ip", ["-n", ns.lan, "link", "set", `v-${name.slice(-6)}`, "master", "br0", "up"]), `bridge port for ${name}`);
    must(run("ip", ["-n", name, "address", "add", `${address}/24`, "dev", config.vrrp.interface]), `address of ${name}`);
    must(run("ip", ["-n", name, "link", "set", config.vrrp.interface, "up"]), `link of ${name}`);
    must(run("ip", ["-n", name, "link", "set", "lo", "up"]), `lo of ${name}`);
  }

  /** An HTTP server on `port` in `name` that answers every GET with `name`. */
  function serveHttp(name: string): ChildProcess {
    const dir = tempDir("fallback-www");
    fs.writeFileSync(path.join(dir, "index.html"), name);
    const server = spawn("ip", ["netns", "exec", name, "python3", "-m", "http.server", String(port), "--bind", "0.0.0.0", "--directory", dir], {
      stdio: "ignore",
    });
    servers.push(server);
    for (let i = 0; i < 50 && inNs(name, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`).code !== 0; i++) run("sleep", ["0.1"]);
    return server;
  }

  const getVip = () => inNs(ns.client, "curl", "--silent", "--max-time", "2", `http://${config.vips[0].address}:${port}/`);

  beforeAll(() => {
    must(run("ip", ["netns", "add", ns.lan]), "netns lan");
    must(run("ip", ["-n", ns.lan, "link", "add", "br0", "type", "bridge"]), "bridge");
    must(run("ip", ["-n", ns.lan, "link", "set", "br0", "up"]), "bridge up");
    attach(ns.node, node.privateIp);
    attach(ns.peer, peer.privateIp);
    attach(ns.client, CLIENT_IP);
    // What the firewall step loads on node-1: its ruleset, its kernel settings, the VIP on lo.
    const files = planNode(config, node).steps.find((s) => s.kind === "firewall")!.files;
    const content = (p: string) => files.find((f) => f.path === p)!.content;
    must(run("ip", ["netns", "exec", ns.node, "nft", "-f", "-"], { input: content(PATHS.firewallRuleset) }), "node-1's ruleset");
    const sysctlFile = path.join(tempDir("fallback-sysctl"), "60-iam-ha.conf");
    fs.writeFileSync(sysctlFile, content(PATHS.sysctlConf));
    must(inNs(ns.node, "sysctl", "-q", "-p", sysctlFile), "node-1's sysctl file");
    must(run("ip", ["-n", ns.node, "address", "add", `${config.vips[0].address}/32`, "dev", "lo"]), "the VIP on lo");
    serveHttp(ns.peer);
  });

  afterAll(() => {
    for (const server of servers) server.kill("SIGKILL");
    for (const name of Object.values(ns)) run("ip", ["netns", "del", name]);
  });

  test("a node where nothing listens on the port passes a new connection to the VIP on to its fallback peer's same port, and the answer comes back", () => {
    must(run("ip", ["-n", ns.client, "route", "add", `${config.vips[0].address}/32`, "via", node.privateIp]), "the client's route to the VIP");
    const r = getVip();
    expect([r.code, r.stdout]).toEqual([0, ns.peer]);
    // The peer saw node-1's address (masqueraded), so its answer went back through node-1.
    expect(inNs(ns.node, "nft", "list", "chain", "inet", "iam_ha", "vip_fallback").stdout).toMatch(/counter packets [1-9]/);
  });

  test("once its server listens on the node again, the node answers the VIP itself", () => {
    const own = serveHttp(ns.node);
    expect(getVip().stdout).toBe(ns.node);
    own.kill("SIGKILL");
    run("sleep", ["0.2"]);
    expect(getVip().stdout).toBe(ns.peer);
  });

  test("the node forwards nothing else: a packet routed through it to the peer is dropped", () => {
    must(run("ip", ["-n", ns.client, "route", "replace", `${peer.privateIp}/32`, "via", node.privateIp]), "a route to the peer through node-1");
    expect(inNs(ns.client, "curl", "--silent", "--max-time", "2", `http://${peer.privateIp}:${port}/`).code).not.toBe(0);
    run("ip", ["-n", ns.client, "route", "del", `${peer.privateIp}/32`]);
  });

  test("the node never answers ARP for the VIP standing on its lo: only a MASTER, with the VIP on the NIC, attracts it", () => {
    must(
      run("ip", ["-n", ns.client, "route", "replace", `${config.vips[0].address}/32`, "dev", config.vrrp.interface]),
      "the VIP on-link, as a neighbour sees it",
    );
    expect(getVip().code).not.toBe(0);
    must(
      run("ip", ["-n", ns.node, "address", "add", `${config.vips[0].address}/32`, "dev", config.vrrp.interface]),
      "the VIP on the NIC, as keepalived adds it",
    );
    run("ip", ["-n", ns.client, "neigh", "flush", "all"]);
    expect(getVip().stdout).toBe(ns.peer);
  });
});
