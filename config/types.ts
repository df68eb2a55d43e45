/** The validated configuration of one stack: what every other part of the program reads. */

export type OsFamily = "debian" | "rhel";
export type SshVia = "public" | "bastion" | "private";
export type AlertFormat = "generic" | "wecom" | "dingtalk" | "slack";
/** CVM system disk types, the default first (the v0.2.3 provider's Instance.systemDiskType). */
export const SYSTEM_DISK_TYPES = ["CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD", "CLOUD_BASIC", "LOCAL_BASIC", "LOCAL_SSD"] as const;
export type SystemDiskType = (typeof SYSTEM_DISK_TYPES)[number];

/**
 * What stands in front: havip (nginx on every front door, proxying each site by name to every
 * node's backend, behind a HAVIP that keepalived moves), vipOnly (no nginx: the VIP leads straight
 * to each site's own port on the holder), or clb (nginx on every front door, behind Tencent's
 * cloud load balancer across zones: no VIP, no keepalived).
 */
export const FRONT_DOOR_KINDS = ["havip", "vipOnly", "clb"] as const;
export type FrontDoorKind = (typeof FRONT_DOOR_KINDS)[number];

/**
 * The port each front door serves keepalived's VRRP state on to the other front doors' VIP watch
 * (frontDoor vipOnly, where no nginx serves it): a systemd socket on the node's private address.
 */
export const VIP_STATE_PORT = 7799;

/** A front door runs nginx and keepalived and may hold the VIP; a backend node runs only the IAM services. */
export const NODE_ROLES = ["frontDoor", "backend"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export interface NodeConfig {
  /** Resource and host name, e.g. node-1. */
  name: string;
  privateIp: string;
  role: NodeRole;
  /** keepalived priority, 1-254, distinct per front door; 0 on a backend node, which has no keepalived. */
  priority: number;
}

/**
 * One virtual IP: a Tencent Cloud HAVIP with its own EIP, moved by its own VRRP instance. A stack
 * has one (havip, virtualRouterId) or several (vips: active-active, each front door preferred for
 * a different one).
 */
export interface VipConfig {
  address: string;
  /** keepalived's virtual_router_id, unique per VRRP group in the subnet; the instance is IAM_HA_<id>. */
  virtualRouterId: number;
  /** The front door that holds it when all are up (its priority for this VIP is the highest); none: by the nodes' priorities. */
  preferred?: string;
  /** Absent: non-preemptive (nopreempt), the VIP stays with its holder until that fails. Seconds: preemptive, the preferred node takes it back once up that long (preempt_delay). */
  preemptDelay?: number;
}

/** An availability zone and the nodes' subnet in it. */
export interface ZoneConfig {
  availabilityZone: string;
  subnetCidr: string;
}

export interface ClbConfig {
  /** The CLB's master and standby zones; none: Tencent places it (one zone, its cluster's own redundancy). */
  masterZone?: string;
  slaveZone?: string;
  /** Seconds between health checks of each front door's nginx (/healthz with each site's Host). */
  healthInterval: number;
  /** Consecutive passes that make a target healthy, and failures that make it unhealthy. */
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** Seconds a check may take: shorter than the interval, as the API requires. */
  healthTimeout: number;
}

export interface SiteConfig {
  serverName: string;
  /** The backend port on every node, e.g. 8080 for iam-apiserver; with frontDoor vipOnly also the site's public port on the VIP. */
  port: number;
  clientMaxBodySize: string;
}

/** Values that must stay secret from config to host: wrap them in pulumi.secret before use. */
export interface SecretConfig {
  vrrpAuthPass: string;
  dbPassword: string;
  sshPrivateKey: string;
  /** Empty when no alert webhook is configured. */
  alertWebhook: string;
}

export interface IamHaConfig {
  frontDoor: FrontDoorKind;
  network: {
    vpcId?: string;
    subnetId?: string;
    vpcCidr: string;
    subnetCidr: string;
    availabilityZone: string;
    adminCidr: string;
    /** Every zone the nodes sit in, each with its subnet: the first is availabilityZone and subnetCidr; more only with frontDoor clb. */
    zones: ZoneConfig[];
  };
  nodes: NodeConfig[];
  sites: SiteConfig[];
  /** The VIPs, the primary first: it keeps a one-VIP stack's names (resources, files, outputs). */
  vips: VipConfig[];
  vrrp: {
    /** 2 (PASS authentication, whole-second adverts) or 3 (no authentication, centisecond adverts). */
    version: 2 | 3;
    /** Seconds between adverts: whole with version 2, hundredths with version 3. */
    advertInt: number;
    interface: string;
    checkInterval: number;
    checkFall: number;
    checkRise: number;
    trackNginxStop: boolean;
    trackNginxProcess: boolean;
  };
  upstream: {
    maxFails: number;
    failTimeout: number;
    connectTimeoutMs: number;
    keepalive: number;
  };
  compute: {
    instanceType: string;
    imageId?: string;
    imageNameRegex: string;
    osFamily: OsFamily;
    systemDiskSize: number;
    systemDiskType: SystemDiskType;
    nodeBandwidthOut: number;
  };
  ssh: {
    user: string;
    port: number;
    publicKey: string;
    /** A key pair already imported in the account (skey-…), used instead of importing publicKey. */
    keyPairId?: string;
    via: SshVia;
    /** hostKey: the bastion's OpenSSH host public key line, which every connection through it pins; required with via bastion. */
    bastion?: { host: string; user: string; port: number; hostKey: string };
  };
  database: {
    /** Name of the node that runs MariaDB. */
    node: string;
    name: string;
    user: string;
    privileges: string[];
  };
  /** The public bandwidth of the EIPs (havip, vipOnly) or of the CLB (clb). */
  eip: { bandwidthOut: number; chargeType: string };
  /** frontDoor clb: the CLB's zones and its health checks of each front door's nginx. */
  clb: ClbConfig;
  alerts: { format: AlertFormat; vipWatchSeconds: number };
  protected: boolean;
  /** Lets one update through that takes every node down at once (config/fleetShape.ts), for a maintenance window. */
  allowFleetOutage: boolean;
  /** The update removes dead nodes: no retire step for them (Pulumi.yaml). */
  removeDeadNodes: boolean;
  secrets: SecretConfig;
}
