import { OsFamily } from "../config/types";

/** What differs between the images' OS families; user settings live in config, not here. */
export interface OsFacts {
  packageManager: "apt-get" | "dnf";
  nginxUser: string;
  /** Dynamic modules shipped by the distribution's nginx packages. */
  modulesInclude: string;
}

export const OS_FACTS: Record<OsFamily, OsFacts> = {
  debian: { packageManager: "apt-get", nginxUser: "www-data", modulesInclude: "/etc/nginx/modules-enabled/*.conf" },
  rhel: { packageManager: "dnf", nginxUser: "nginx", modulesInclude: "/usr/share/nginx/modules/*.conf" },
};

/** The packages a front door needs (the same names in both families). */
export const FRONT_DOOR_PACKAGES = ["nginx", "keepalived", "curl", "nftables"];
/** A front door without nginx (frontDoor vipOnly): keepalived, its check and the firewall. */
export const VIP_ONLY_PACKAGES = ["keepalived", "curl", "nftables"];
/** What a backend-only node needs: its firewall. */
export const BACKEND_PACKAGES = ["curl", "nftables"];
/** A front door behind a CLB: nginx, no keepalived. */
export const CLB_PACKAGES = ["nginx", "curl", "nftables"];

/** Where iam-ha writes on a node. */
export const PATHS = {
  nginxConf: "/etc/nginx/nginx.conf",
  siteDir: "/etc/nginx/iam-ha.d",
  keepalivedConf: "/etc/keepalived/keepalived.conf",
  /** keepalived's check: of nginx (frontDoor havip), or of every site's port (vipOnly). */
  checkScript: "/etc/keepalived/check_nginx.sh",
  sitesCheckScript: "/etc/keepalived/check_sites.sh",
  notifyScript: "/etc/keepalived/keepalived_notify.sh",
  /** Made at boot by tmpfiles.d; holds the two state files below. */
  runtimeDir: "/run/iam-ha",
  /** iam-ha's own state, kept across reboots (a node in maintenance stays out until released). */
  stateDir: "/var/lib/iam-ha",
  /** 1: the node is in maintenance (FAULT, out of the VIP's way); 0 or absent: in service. */
  maintenanceFile: "/var/lib/iam-ha/maintenance",
  /** 1: `pulumi up` holds the node out of the election while an incompatible VRRP change rolls. */
  rolloutHoldFile: "/var/lib/iam-ha/rollout-hold",
  /**
   * 1: the node is the target of a switchover (its priority raised to 254 while the VIP moves);
   * under /run, so a switchover cut short leaves no promotion past a reboot.
   */
  promoteFile: "/run/iam-ha/promote",
  tmpfilesConf: "/etc/tmpfiles.d/iam-ha.conf",
  vrrpStateFile: "/run/iam-ha/vrrp-state",
  /** 1 while nginx is stopped, 0 while it runs: written by systemd, tracked by keepalived. */
  nginxStoppedFile: "/run/iam-ha/nginx-stopped",
  nginxDropIn: "/etc/systemd/system/nginx.service.d/iam-ha.conf",
  notifyLog: "/var/log/keepalived.log",
  alertScript: "/etc/keepalived/iam_ha_alert.sh",
  watchScript: "/etc/keepalived/iam_ha_vip_watch.sh",
  watchService: "/etc/systemd/system/iam-ha-vip-watch.service",
  watchTimer: "/etc/systemd/system/iam-ha-vip-watch.timer",
  watchStateFile: "/run/iam-ha/vip-watch",
  /** frontDoor vipOnly: the socket (and the service it starts per connection) that serves vrrpStateFile to the other front doors' VIP watch. */
  stateSocket: "/etc/systemd/system/iam-ha-vip-state.socket",
  stateService: "/etc/systemd/system/iam-ha-vip-state@.service",
  alertCurlConfig: "/etc/keepalived/iam-ha-alert.curl",
  /** The host firewall's nftables ruleset and the unit that loads it at boot. */
  firewallRuleset: "/etc/iam-ha/firewall.nft",
  firewallUnit: "/etc/systemd/system/iam-ha-firewall.service",
  /** The kernel settings the VIP's fallback needs (ARP, forwarding on the VRRP interface). */
  sysctlConf: "/etc/sysctl.d/60-iam-ha.conf",
};
