// Mirrors sdk/nodejs/clb/instance.ts, clb/listener.ts, clb/listenerRule.ts, clb/attachment.ts and
// clb/getTargetHealth.ts of @tencentcloud_iac/pulumi v0.2.3: the inputs iam-ha sets, the
// arguments it passes and the outputs and results it reads.
import * as pulumi from "@pulumi/pulumi";
import { FUNCTIONS, TYPES } from "../tokens";
import * as types from "./types";
import * as utilities from "./utilities";

export interface InstanceArgs {
  /** Name of the CLB. The name can only contain Chinese characters, English letters, numbers, underscore and hyphen '-'. */
  clbName: pulumi.Input<string>;
  /** Max bandwidth out, only applicable to open CLB. Valid value ranges is [1, 2048]. Unit is Mbps. */
  internetBandwidthMaxOut?: pulumi.Input<number>;
  /** Internet charge type, only applicable to open CLB. Valid values are `TRAFFIC_POSTPAID_BY_HOUR`, `BANDWIDTH_POSTPAID_BY_HOUR` and `BANDWIDTH_PACKAGE`. */
  internetChargeType?: pulumi.Input<string>;
  /** Whether the target allow flow come from clb. If value is true, only check security group of clb, or check both clb and backend instance security group. */
  loadBalancerPassToTarget?: pulumi.Input<boolean>;
  /** Setting master zone id of cross available zone disaster recovery, only applicable to open CLB. */
  masterZoneId?: pulumi.Input<string>;
  /** Type of CLB instance. Valid values: `OPEN` and `INTERNAL`. */
  networkType: pulumi.Input<string>;
  /** Security groups of the CLB instance. Supports both `OPEN` and `INTERNAL` CLBs. */
  securityGroups?: pulumi.Input<pulumi.Input<string>[]>;
  /** Setting slave zone id of cross available zone disaster recovery, only applicable to open CLB. this zone will undertake traffic when the master is down. */
  slaveZoneId?: pulumi.Input<string>;
  /** VPC ID of the CLB. */
  vpcId?: pulumi.Input<string>;
}

/** A Cloud Load Balancer; its `id` is the bare `lb-…` that listeners, rules and attachments take as clbId. */
export class Instance extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.clb;

  /** The virtual service address table of the CLB. */
  declare readonly clbVips: pulumi.Output<string[]>;

  constructor(name: string, args: InstanceArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      clbName: args.clbName,
      internetBandwidthMaxOut: args.internetBandwidthMaxOut,
      internetChargeType: args.internetChargeType,
      loadBalancerPassToTarget: args.loadBalancerPassToTarget,
      masterZoneId: args.masterZoneId,
      networkType: args.networkType,
      securityGroups: args.securityGroups,
      slaveZoneId: args.slaveZoneId,
      vpcId: args.vpcId,
      clbVips: undefined /*out*/,
    };
    super(Instance.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface ListenerArgs {
  /** ID of the CLB. */
  clbId: pulumi.Input<string>;
  /** Name of the CLB listener, and available values can only be Chinese characters, English letters, numbers, underscore and hyphen '-'. */
  listenerName: pulumi.Input<string>;
  /** Port of the CLB listener. */
  port?: pulumi.Input<number>;
  /** Type of protocol within the listener. Valid values: `TCP`, `UDP`, `HTTP`, `HTTPS`, `TCP_SSL` and `QUIC`. */
  protocol: pulumi.Input<string>;
}

/** A CLB listener (for HTTP, its health checks live on each ListenerRule). */
export class Listener extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.clbListener;

  /** ID of this CLB listener (the bare `lbl-…`; the resource's own id is not). */
  declare readonly listenerId: pulumi.Output<string>;

  constructor(name: string, args: ListenerArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      clbId: args.clbId,
      listenerName: args.listenerName,
      port: args.port,
      protocol: args.protocol,
      listenerId: undefined /*out*/,
    };
    super(Listener.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface ListenerRuleArgs {
  /** ID of CLB instance. */
  clbId: pulumi.Input<string>;
  /** Domain name of the listener rule. Single domain rules are passed to `domain`, and multi domain rules are passed to `domains`. */
  domain?: pulumi.Input<string>;
  /** Health threshold of health check, and the default is `3`. The value range is [2-10]. */
  healthCheckHealthNum?: pulumi.Input<number>;
  /** HTTP Status Code. The default is 31. Valid value ranges: [1~31]: a bit mask, `1` 1xx, `2` 2xx, `4` 3xx, `8` 4xx, `16` 5xx. */
  healthCheckHttpCode?: pulumi.Input<number>;
  /** Domain name of health check. NOTES: Only supports listeners of `HTTP` and `HTTPS` protocol. */
  healthCheckHttpDomain?: pulumi.Input<string>;
  /** Methods of health check. The default is `HEAD`, the available value are `HEAD` and `GET`. */
  healthCheckHttpMethod?: pulumi.Input<string>;
  /** Path of health check. NOTES: Only supports listeners of `HTTP` and `HTTPS` protocol. */
  healthCheckHttpPath?: pulumi.Input<string>;
  /** Interval time of health check. Valid value ranges: (2~300) sec. and the default is `5` sec. */
  healthCheckIntervalTime?: pulumi.Input<number>;
  /** Indicates whether health check is enabled. */
  healthCheckSwitch?: pulumi.Input<boolean>;
  /** Time out of health check. The value range is 2-60. */
  healthCheckTimeOut?: pulumi.Input<number>;
  /** Unhealthy threshold of health check, and the default is `3`. The value range is [2-10]. */
  healthCheckUnhealthNum?: pulumi.Input<number>;
  /** Specifies the type of health check source IP. `0` (default): CLB VIP. `1`: 100.64 IP range. */
  healthSourceIpType?: pulumi.Input<number>;
  /** ID of CLB listener. */
  listenerId: pulumi.Input<string>;
  /** Scheduling method of the CLB listener rules. Valid values: `WRR`, `IP HASH`, `LEAST_CONN`. The default is `WRR`. */
  scheduler?: pulumi.Input<string>;
  /** Url of the listener rule. */
  url: pulumi.Input<string>;
}

/** A forwarding rule of an HTTP listener: one domain and URL, with its own health check. */
export class ListenerRule extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.clbListenerRule;

  /** ID of this CLB listener rule (the bare `loc-…`; the resource's own id is not). */
  declare readonly ruleId: pulumi.Output<string>;

  constructor(name: string, args: ListenerRuleArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      clbId: args.clbId,
      domain: args.domain,
      healthCheckHealthNum: args.healthCheckHealthNum,
      healthCheckHttpCode: args.healthCheckHttpCode,
      healthCheckHttpDomain: args.healthCheckHttpDomain,
      healthCheckHttpMethod: args.healthCheckHttpMethod,
      healthCheckHttpPath: args.healthCheckHttpPath,
      healthCheckIntervalTime: args.healthCheckIntervalTime,
      healthCheckSwitch: args.healthCheckSwitch,
      healthCheckTimeOut: args.healthCheckTimeOut,
      healthCheckUnhealthNum: args.healthCheckUnhealthNum,
      healthSourceIpType: args.healthSourceIpType,
      listenerId: args.listenerId,
      scheduler: args.scheduler,
      url: args.url,
      ruleId: undefined /*out*/,
    };
    super(ListenerRule.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface AttachmentArgs {
  /** ID of the CLB. */
  clbId: pulumi.Input<string>;
  /** ID of the CLB listener. */
  listenerId: pulumi.Input<string>;
  /** ID of the CLB listener rule. Only supports listeners of `HTTPS` and `HTTP` protocol. */
  ruleId?: pulumi.Input<string>;
  /** Information of the backends to be attached. */
  targets: pulumi.Input<pulumi.Input<types.input.Clb.AttachmentTarget>[]>;
}

/** The backends of one rule: the provider reads back every target bound to the rule, so it holds them all. */
export class Attachment extends pulumi.CustomResource {
  /** @internal As in the SDK, whose typings strip it: read tokens from tokens.ts. */
  static readonly __pulumiType = TYPES.clbAttachment;

  constructor(name: string, args: AttachmentArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = { clbId: args.clbId, listenerId: args.listenerId, ruleId: args.ruleId, targets: args.targets };
    super(Attachment.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts));
  }
}

export interface GetTargetHealthArgs {
  /** List of IDs of CLB instances to be queried. */
  loadBalancerIds: string[];
}

export interface GetTargetHealthResult {
  /** CLB instance list. Note: This field may return null, indicating that no valid values can be obtained. */
  readonly loadBalancers: types.output.Clb.GetTargetHealthLoadBalancer[];
}

/** Every target's health as the CLBs see it now, per listener and rule (DescribeTargetHealth). */
export function getTargetHealth(args: GetTargetHealthArgs, opts?: pulumi.InvokeOptions): Promise<GetTargetHealthResult> {
  return pulumi.runtime.invoke(
    FUNCTIONS.getTargetHealth,
    { loadBalancerIds: args.loadBalancerIds },
    pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {}),
  );
}
