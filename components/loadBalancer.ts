import * as pulumi from "@pulumi/pulumi";
import * as tencentcloud from "../tencentcloud";

/** What one health check of a rule's targets is made of (each rule checks every target). */
export interface LoadBalancerHealth {
  /** Seconds between checks (2-300; config clbHealthInterval, default 3). */
  interval: number;
  /** Consecutive passes that make a target healthy (2-10; config clbHealthyThreshold, default 2). */
  healthyThreshold: number;
  /** Consecutive failures that make a target unhealthy (2-10; config clbUnhealthyThreshold, default 2). */
  unhealthyThreshold: number;
  /** Seconds a check may take (2); the API requires it shorter than the interval. */
  timeout: number;
}

export interface LoadBalancerArgs {
  /** The nodes' VPC: the CLB forwards only to targets in its own VPC (no cross-region binding). */
  vpcId: pulumi.Input<string>;
  /** The CLB's name, unique per region (e.g. `iam-ha-<stack>`); characters other than letters, digits, `_` and `-` become `-`, and it is cut to 60. */
  clbName: string;
  /** The CLB's master zone; none or "": Tencent places it (no master/standby pair). */
  masterZone?: string;
  /** The standby zone, which takes the traffic only when the master zone fails; none or "": no standby. */
  slaveZone?: string;
  /** The public bandwidth's charge type, e.g. TRAFFIC_POSTPAID_BY_HOUR (config eipChargeType). */
  chargeType: string;
  /** The public bandwidth's cap in Mbps (config eipBandwidthOut). */
  bandwidthOut: number;
  /** One rule per site, matched by its Host. */
  sites: { serverName: string }[];
  health: LoadBalancerHealth;
  /** Every front door, by node name: its CVM's instance id; each is a target of every rule, at nginx's port 80. */
  targets: Record<string, pulumi.Input<string>>;
  /** What each target waits for before it is registered: every front door's nginx step. */
  targetsReady: pulumi.Resource[];
}

/** The port the CLB listens on, and nginx's on each target. */
const HTTP_PORT = 80;
/** CLB names: letters, digits, `_` and `-` (and CJK, which iam-ha never makes), 1 to 60 of them. */
const CLB_NAME_MAX = 60;
/** The rule's probe: nginx's own /healthz, which answers GET with 200. */
const HEALTH_PATH = "/healthz";
/** healthCheckHttpCode is a bit mask (1 1xx, 2 2xx, 4 3xx, 8 4xx, 16 5xx); the default 31 would call a 5xx healthy. */
const HEALTHY_2XX = 2;
/** healthSourceIpType 1: probes come from 100.64.0.0/10 whatever the account's age (0 would be the CLB's VIP). */
const PROBES_FROM_100_64 = 1;
/** The default weight; 0 would take a target out of new traffic. */
const TARGET_WEIGHT = 10;

/** `name` as Tencent accepts a CLB's name: other characters (such as a stack name's dots) become `-`. */
export function clbNameOf(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, CLB_NAME_MAX);
}

/**
 * Tencent's Cloud Load Balancer in front of every front door's nginx: a public CLB with its own
 * security group (HTTP from anywhere), one HTTP listener on port 80, and per site a rule for its
 * domain with its own health check and one attachment holding every front door. The CLB forwards
 * to nodes in any zone of its VPC and stops sending to a target its health check finds dead.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The CLB's public address: the stack's publicIp, where each site's DNS points. */
  readonly address: pulumi.Output<string>;
  /** The CLB's bare id (`lb-…`), which getTargetHealth takes. */
  readonly clbId: pulumi.Output<string>;
  readonly securityGroup: tencentcloud.security.Group;
  readonly securityGroupRules: tencentcloud.security.GroupRuleSet;
  readonly clb: tencentcloud.clb.Instance;
  readonly listener: tencentcloud.clb.Listener;
  /** By site's serverName. */
  readonly rules: Record<string, tencentcloud.clb.ListenerRule>;
  /** By site's serverName. */
  readonly attachments: Record<string, tencentcloud.clb.Attachment>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:LoadBalancer", name, {}, opts);
    this.securityGroup = new tencentcloud.security.Group(
      `${name}-clb-sg`,
      { name: "iam-ha-clb", description: "iam-ha CLB: HTTP from anywhere" },
      { parent: this },
    );
    this.securityGroupRules = new tencentcloud.security.GroupRuleSet(
      `${name}-clb-sg-rules`,
      {
        securityGroupId: this.securityGroup.id,
        ingresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: `${HTTP_PORT}`, description: "HTTP to the CLB" }],
        egresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "ALL", port: "ALL" }],
      },
      { parent: this },
    );
    this.clb = new tencentcloud.clb.Instance(
      `${name}-clb`,
      {
        networkType: "OPEN",
        clbName: clbNameOf(args.clbName),
        vpcId: args.vpcId,
        // Only when set: an empty zone would still reach the API, and Tencent places the CLB itself.
        ...(args.masterZone ? { masterZoneId: args.masterZone } : {}),
        ...(args.slaveZone ? { slaveZoneId: args.slaveZone } : {}),
        internetChargeType: args.chargeType,
        internetBandwidthMaxOut: args.bandwidthOut,
        securityGroups: [this.securityGroup.id],
        // Only the CLB's own group is checked for its traffic (the provider's default false checks the
        // nodes' group too, which would then have to open port 80 to the world: L7 keeps the client's address).
        loadBalancerPassToTarget: true,
      },
      {
        parent: this,
        // The provider refuses a second CLB of the same name in the region, so a replacement must
        // delete the old one first; and it errors on a zone change rather than replacing.
        deleteBeforeReplace: true,
        replaceOnChanges: ["masterZoneId", "slaveZoneId"],
      },
    );
    // The resource's id is the bare lb-…; its address is the first (for an OPEN IPv4 CLB, the only) VIP.
    this.clbId = this.clb.id;
    this.address = this.clb.clbVips.apply((vips) => vips[0]);
    // An HTTP listener takes no health fields: the provider sends them only for TCP/UDP, so they go on each rule.
    this.listener = new tencentcloud.clb.Listener(
      `${name}-clb-http`,
      { clbId: this.clb.id, listenerName: "http", port: HTTP_PORT, protocol: "HTTP" },
      { parent: this },
    );
    this.rules = {};
    this.attachments = {};
    for (const site of args.sites) {
      const rule = this.siteRule(name, site.serverName, args.health);
      this.rules[site.serverName] = rule;
      this.attachments[site.serverName] = this.siteTargets(name, site.serverName, rule, args);
    }
    this.registerOutputs({ address: this.address, clbId: this.clbId });
  }

  /** The site's rule: its domain on every URL, checked on each target with the site's Host. */
  private siteRule(name: string, serverName: string, health: LoadBalancerHealth): tencentcloud.clb.ListenerRule {
    return new tencentcloud.clb.ListenerRule(
      `${name}-clb-${serverName}`,
      {
        clbId: this.clb.id,
        // The bare lbl-…: the listener's own id (lb#lbl) is refused ("Unsupported references").
        listenerId: this.listener.listenerId,
        domain: serverName,
        url: "/",
        // Must be true explicitly: without it the provider silently drops every other health field.
        healthCheckSwitch: true,
        healthCheckIntervalTime: health.interval,
        healthCheckHealthNum: health.healthyThreshold,
        healthCheckUnhealthNum: health.unhealthyThreshold,
        healthCheckTimeOut: health.timeout,
        healthCheckHttpPath: HEALTH_PATH,
        healthCheckHttpCode: HEALTHY_2XX,
        healthCheckHttpDomain: serverName,
        healthCheckHttpMethod: "GET",
        healthSourceIpType: PROBES_FROM_100_64,
        scheduler: "WRR",
      },
      { parent: this },
    );
  }

  /**
   * Every front door as a target of the site's rule, in one attachment: the provider reads back
   * every target bound to a rule, so one attachment per node would deregister the others' on the
   * next update. Registered once every nginx serves, so no target is probed before it can answer.
   */
  private siteTargets(name: string, serverName: string, rule: tencentcloud.clb.ListenerRule, args: LoadBalancerArgs): tencentcloud.clb.Attachment {
    return new tencentcloud.clb.Attachment(
      `${name}-clb-${serverName}-targets`,
      {
        clbId: this.clb.id,
        listenerId: this.listener.listenerId,
        // The bare loc-…: the rule's own id (lb#lbl#loc) is refused.
        ruleId: rule.ruleId,
        targets: Object.values(args.targets).map((instanceId) => ({ instanceId, port: HTTP_PORT, weight: TARGET_WEIGHT })),
      },
      { parent: this, dependsOn: args.targetsReady },
    );
  }
}
