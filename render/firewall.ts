import { frontDoors, runsKeepalived, runsNginx } from "../config/lists";
import { IamHaConfig, NodeConfig, VIP_STATE_PORT } from "../config/types";
import { RenderedFile } from "./files";
import { confValue, renderTemplate, unitValue } from "./mustache";
import { PATHS } from "./osFacts";
import { fallbackPeer } from "./vips";

/** The nftables table iam-ha owns whole: other tools' tables (and their rules) are left alone. */
export const FIREWALL_TABLE = "iam_ha";
/** MariaDB's port, open to the peers on the database node only. */
const MARIADB_PORT = 3306;
/** nginx's port, the only one open to everyone (the EIP's traffic arrives with the client's address). */
const HTTP_PORT = 80;

/**
 * The ports the peers' nginx and IAM services reach on `node`: every site's backend (frontDoor
 * havip: nginx's upstreams), MariaDB on the database node.
 */
export function peerPorts(config: IamHaConfig, node: Pick<NodeConfig, "name">): number[] {
  const backends = backendPorts(config);
  const database = node.name === config.database.node ? [MARIADB_PORT] : [];
  return [...new Set([...backends, ...database])].sort((a, b) => a - b);
}

/** The ports nginx's upstreams reach on every node (frontDoor havip); none without nginx. */
export function backendPorts(config: IamHaConfig): number[] {
  return runsNginx(config.frontDoor) ? config.sites.map((s) => s.port) : [];
}

/**
 * The port each front door serves its VRRP state on to the others' VIP watch: only where no nginx
 * serves it (vipOnly) and the watch runs.
 */
export function statePort(config: IamHaConfig): number | undefined {
  return config.frontDoor === "vipOnly" && config.alerts.vipWatchSeconds > 0 ? VIP_STATE_PORT : undefined;
}

/** The ports open to anywhere on a front door: nginx's (havip), or every site's (vipOnly). */
export function publicPorts(config: IamHaConfig): number[] {
  return runsNginx(config.frontDoor) ? [HTTP_PORT] : [...new Set(config.sites.map((s) => s.port))].sort((a, b) => a - b);
}

/** The label of the VIP's standing address on lo: it tells iam-ha's address from others' there. */
export const VIP_LO_LABEL = "lo:iamha";

/**
 * The node's nftables ruleset and the oneshot unit that loads it at boot; on a front door behind a
 * VIP also its kernel settings and the VIP's standing address (behind a CLB: HTTP only). A backend
 * node serves only its peers: no HTTP from anywhere, no VRRP, no VIP.
 */
export function renderFirewallFiles(config: IamHaConfig, node: NodeConfig): RenderedFile[] {
  const frontDoor = node.role === "frontDoor";
  // A front door behind a VIP: VRRP, the VIP standing on lo, its fallback (not behind a CLB).
  const keepalived = frontDoor && runsKeepalived(config.frontDoor);
  const nginx = runsNginx(config.frontDoor);
  const others = (nodes: NodeConfig[]) =>
    nodes
      .filter((n) => n.name !== node.name)
      .map((n) => n.privateIp)
      .join(",");
  const view = {
    node: node.name,
    frontDoor,
    keepalived,
    table: FIREWALL_TABLE,
    adminCidr: config.network.adminCidr,
    sshPort: config.ssh.port,
    nginx,
    // One port as is (nginx's 80); the sites' ports as the ruleset's set site_ports.
    publicPorts: nginx ? String(HTTP_PORT) : "@site_ports",
    sitePorts: publicPorts(config).join(","),
    // Without nginx, the VIP watch reads each front door's state from its state socket.
    statePort: statePort(config) ?? 0,
    peers: others(config.nodes),
    vrrpPeers: others(frontDoors(config.nodes)),
    peerPorts: peerPorts(config, node).join(","),
    ruleset: PATHS.firewallRuleset,
    // Each VIP stands on lo, with its own fallback peer: the node VRRP makes its MASTER next.
    vips: keepalived ? config.vips.map((vip) => ({ address: vip.address, fallbackPeer: fallbackPeer(config, vip, node).privateIp })) : [],
    vipList: config.vips.map((vip) => vip.address).join(","),
    interface: config.vrrp.interface,
    sysctlConf: PATHS.sysctlConf,
    loLabel: VIP_LO_LABEL,
  };
  return [
    { path: PATHS.firewallRuleset, mode: "0644", content: renderTemplate("iam-ha-firewall.nft.mustache", view, confValue), secret: false },
    ...(keepalived ? [{ path: PATHS.sysctlConf, mode: "0644", content: renderTemplate("iam-ha-sysctl.conf.mustache", view, confValue), secret: false }] : []),
    { path: PATHS.firewallUnit, mode: "0644", content: renderTemplate("iam-ha-firewall.service.mustache", view, unitValue), secret: false },
  ];
}
