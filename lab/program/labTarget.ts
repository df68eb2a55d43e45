import { frontDoors } from "../../config/lists";
import { IamHaConfig } from "../../config/types";
import { HttpAnswer, VerifyTarget } from "../../common/checks";
import { mariadbLogins } from "../../common/mariadbLogin";
import { allVips, execInClient } from "../hosts/network";
import { sshExec } from "../hosts/ssh";
import { nodeStates } from "./status";
import { clbTargetHealth } from "./clbStandIn";
import type { LabTopology } from "../hosts/topology";

/**
 * An EIP's address for a site, as a user types it: nginx picks the site by name on port 80
 * (frontDoor havip); with vipOnly the site is its own port. `eip` defaults to the primary VIP's.
 */
export function eipAddress(config: IamHaConfig, topology: LabTopology, site: string, eip = topology.eip): string {
  const port = config.sites.find((s) => s.serverName === site)?.port;
  return config.frontDoor === "vipOnly" && port ? `${eip}:${port}` : eip;
}

/** Where a user stands (the client namespace), one request through `eip` (default the primary's), bounded. */
export async function getThroughEip(config: IamHaConfig, topology: LabTopology, site: string, path: string, eip = topology.eip): Promise<HttpAnswer> {
  const url = `http://${eipAddress(config, topology, site, eip)}${path}`;
  const r = await execInClient(["curl", "-s", "-i", "--max-time", "3", "-H", `Host: ${site}`, url], { timeoutMs: 10_000 });
  if (r.code !== 0) return { status: 0, body: `curl exit ${r.code}` };
  const [head, body = ""] = r.stdout.split(/\r?\n\r?\n/);
  const status = Number(/^HTTP\/\S+ (\d+)/.exec(head)?.[1] ?? 0);
  const node = /^x-iam-node:\s*(\S+)/im.exec(head)?.[1];
  return { status, body, node };
}

/** The verifier's view of the lab: the same checks as for a deployed stack, through every VIP's EIP (or the CLB's stand-in on it). */
export function labTarget(config: IamHaConfig, topology: LabTopology): VerifyTarget {
  const dbNode = topology.nodes.find((n) => n.name === config.database.node)!;
  return {
    eip: topology.eip,
    havip: topology.havip,
    vips: allVips(topology).map(({ havip, eip }) => ({ address: havip, eip })),
    sites: config.sites.map((s) => s.serverName),
    nodes: topology.nodes.map((n) => n.name),
    frontDoors: frontDoors(config.nodes).map((n) => n.name),
    frontDoor: config.frontDoor,
    sitePorts: config.frontDoor === "vipOnly" ? Object.fromEntries(config.sites.map((s) => [s.serverName, s.port])) : undefined,
    get: (site, path, eip) => getThroughEip(config, topology, site, path, eip),
    nodeStates: () => nodeStates(config, topology),
    // Behind a CLB: the stand-in's own health checks, as Tencent's getTargetHealth tells the real CLB's.
    targetHealth: config.frontDoor === "clb" ? () => clbTargetHealth() : undefined,
    dbLogins: () =>
      mariadbLogins(
        { host: dbNode.privateIp, name: config.database.name, user: config.database.user, password: config.secrets.dbPassword },
        topology.nodes.filter((n) => n !== dbNode),
        (peer, command, stdin) => sshExec(peer, command, stdin, { timeoutMs: 30_000 }),
      ),
  };
}

/**
 * The grant is for the peers only: the same login from the database node's own private address
 * (no peer's, and the one source besides the peers that its firewall lets reach 3306) must be
 * refused by MariaDB itself.
 */
export async function loginFromOutsider(config: IamHaConfig, topology: LabTopology): Promise<{ refused: boolean; detail: string }> {
  const dbNode = topology.nodes.find((n) => n.name === config.database.node)!;
  const target = { host: dbNode.privateIp, name: config.database.name, user: config.database.user, password: config.secrets.dbPassword };
  const [login] = await mariadbLogins(target, [dbNode], (node, command, stdin) => sshExec(node, command, stdin, { timeoutMs: 30_000 }));
  return { refused: !login.ok && /Access denied|is not allowed to connect/.test(login.detail), detail: login.detail };
}
