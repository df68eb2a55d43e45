import * as pulumi from "@pulumi/pulumi";

/**
 * The Tencent Cloud resources iam-ha uses, declared with the exact tokens and property names of
 * the real provider's Node SDK (@tencentcloud_iac/pulumi 0.2.3, which our registry lacks; see
 * schema-v0.2.3.json beside this file). A faithful subset, not a new API: every name here is the
 * SDK's, and tests/tencentcloud.test.ts checks them against the schema.
 */

/** Resource options the real SDK puts on everything, so `pulumi up` fetches the same plugin by itself. */
export const PLUGIN = { version: "0.2.3", pluginDownloadURL: "github://api.github.com/tencentcloudstack" } as const;

type In<T> = pulumi.Input<T>;
type Tags = In<Record<string, In<string>>>;

function withPlugin<T extends pulumi.ResourceOptions>(opts?: T): T {
  return pulumi.mergeOptions(opts, { ...PLUGIN }) as T;
}

/** A custom resource whose listed outputs exist as properties (as the generated SDK sets them up). */
abstract class TencentResource extends pulumi.CustomResource {
  protected constructor(token: string, name: string, args: object, outputs: readonly string[], opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args };
    for (const output of outputs) if (!(output in props)) props[output] = undefined;
    super(token, name, props, withPlugin(opts));
  }
}

export interface ProviderArgs {
  region?: In<string>;
  secretId?: In<string>;
  secretKey?: In<string>;
}

/** An explicit provider: the stack's region and (optionally) credentials; otherwise the plugin reads TENCENTCLOUD_* env vars. */
export class Provider extends pulumi.ProviderResource {
  constructor(name: string, args: ProviderArgs, opts?: pulumi.ResourceOptions) {
    const props = { ...args, secretKey: args.secretKey === undefined ? undefined : pulumi.secret(args.secretKey) };
    super("tencentcloud", name, props, withPlugin(opts));
  }
}

export interface VpcArgs { cidrBlock: In<string>; name?: In<string>; tags?: Tags }
export class Vpc extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Vpc/instance:Instance";
  static readonly outputNames = ["cidrBlock", "name"] as const;
  declare readonly cidrBlock: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: VpcArgs, opts?: pulumi.CustomResourceOptions) {
    super(Vpc.__pulumiType, name, args, Vpc.outputNames, opts);
  }
}

export interface SubnetArgs { vpcId: In<string>; cidrBlock: In<string>; availabilityZone: In<string>; name?: In<string>; tags?: Tags }
export class Subnet extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Subnet/instance:Instance";
  static readonly outputNames = ["cidrBlock", "vpcId"] as const;
  declare readonly cidrBlock: pulumi.Output<string>;
  declare readonly vpcId: pulumi.Output<string>;
  constructor(name: string, args: SubnetArgs, opts?: pulumi.CustomResourceOptions) {
    super(Subnet.__pulumiType, name, args, Subnet.outputNames, opts);
  }
}

export interface SecurityGroupArgs { name?: In<string>; description?: In<string>; tags?: Tags }
export class SecurityGroup extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Security/group:Group";
  static readonly outputNames = ["name"] as const;
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: SecurityGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(SecurityGroup.__pulumiType, name, args, SecurityGroup.outputNames, opts);
  }
}

/** One rule of a GroupRuleSet (the SDK's inputs.Security.GroupRuleSetIngress / Egress). */
export interface SecurityGroupRule {
  action: In<"ACCEPT" | "DROP">;
  cidrBlock?: In<string>;
  sourceSecurityId?: In<string>;
  /** TCP, UDP, ICMP, ICMPv6 or ALL: v0.2.3 has no other protocols (no VRRP, IP protocol 112). */
  protocol?: In<"TCP" | "UDP" | "ICMP" | "ICMPv6" | "ALL">;
  /** "80", "80,443", "8000-8080" or "ALL" (required with protocol ALL). */
  port?: In<string>;
  description?: In<string>;
}
export interface SecurityGroupRuleSetArgs { securityGroupId: In<string>; ingresses?: In<SecurityGroupRule[]>; egresses?: In<SecurityGroupRule[]> }
/** All rules of a group in one resource, in order: nothing else can add a rule unnoticed. */
export class SecurityGroupRuleSet extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Security/groupRuleSet:GroupRuleSet";
  static readonly outputNames = ["securityGroupId"] as const;
  declare readonly securityGroupId: pulumi.Output<string>;
  constructor(name: string, args: SecurityGroupRuleSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(SecurityGroupRuleSet.__pulumiType, name, args, SecurityGroupRuleSet.outputNames, opts);
  }
}

export interface KeyPairArgs { keyName: In<string>; publicKey?: In<string>; tags?: Tags }
export class KeyPair extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Key/pair:Pair";
  static readonly outputNames = ["keyName", "publicKey"] as const;
  declare readonly keyName: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  constructor(name: string, args: KeyPairArgs, opts?: pulumi.CustomResourceOptions) {
    super(KeyPair.__pulumiType, name, args, KeyPair.outputNames, opts);
  }
}

export interface InstanceArgs {
  instanceName: In<string>;
  hostname?: In<string>;
  availabilityZone: In<string>;
  imageId: In<string>;
  instanceType: In<string>;
  vpcId: In<string>;
  subnetId: In<string>;
  privateIp: In<string>;
  orderlySecurityGroups: In<In<string>[]>;
  keyIds: In<In<string>[]>;
  systemDiskType?: In<string>;
  systemDiskSize?: In<number>;
  allocatePublicIp?: In<boolean>;
  internetChargeType?: In<string>;
  internetMaxBandwidthOut?: In<number>;
  tags?: Tags;
}
/** A CVM. */
export class Instance extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Instance/instance:Instance";
  static readonly outputNames = ["privateIp", "publicIp", "instanceStatus"] as const;
  declare readonly privateIp: pulumi.Output<string>;
  declare readonly publicIp: pulumi.Output<string>;
  declare readonly instanceStatus: pulumi.Output<string>;
  constructor(name: string, args: InstanceArgs, opts?: pulumi.CustomResourceOptions) {
    super(Instance.__pulumiType, name, args, Instance.outputNames, opts);
  }
}

export interface HaVipArgs { vpcId: In<string>; subnetId: In<string>; vip?: In<string>; name?: In<string> }
/** A high-availability virtual IP: the only VPC address a CVM may take over by gratuitous ARP. */
export class HaVip extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Ha/vip:Vip";
  static readonly outputNames = ["vip", "instanceId"] as const;
  declare readonly vip: pulumi.Output<string>;
  /** The CVM holding the HAVIP now, as Tencent Cloud sees it. */
  declare readonly instanceId: pulumi.Output<string>;
  constructor(name: string, args: HaVipArgs, opts?: pulumi.CustomResourceOptions) {
    super(HaVip.__pulumiType, name, args, HaVip.outputNames, opts);
  }
}

export interface EipArgs { name?: In<string>; internetChargeType?: In<string>; internetMaxBandwidthOut?: In<number>; tags?: Tags }
export class Eip extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Eip/instance:Instance";
  static readonly outputNames = ["publicIp", "status"] as const;
  declare readonly publicIp: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  constructor(name: string, args: EipArgs, opts?: pulumi.CustomResourceOptions) {
    super(Eip.__pulumiType, name, args, Eip.outputNames, opts);
  }
}

export interface HaVipEipAttachmentArgs { havipId: In<string>; /** The EIP's public address, not its id. */ addressIp: In<string> }
export class HaVipEipAttachment extends TencentResource {
  static readonly __pulumiType = "tencentcloud:Ha/vipEipAttachment:VipEipAttachment";
  static readonly outputNames = ["havipId"] as const;
  declare readonly havipId: pulumi.Output<string>;
  constructor(name: string, args: HaVipEipAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(HaVipEipAttachment.__pulumiType, name, args, HaVipEipAttachment.outputNames, opts);
  }
}

export const GET_VIPS = "tencentcloud:Ha/getVips:getVips";
export interface GetVipsArgs { id?: string; vpcId?: string; subnetId?: string; addressIp?: string; name?: string }
export interface GetVipsResult { haVipLists: { id: string; vip: string; instanceId: string; state: string }[] }

/** HAVIPs as Tencent Cloud sees them now, with the instance each one is bound to (the SDK's ha.getVips). */
export function getVips(args: GetVipsArgs, opts?: pulumi.InvokeOptions): pulumi.Output<GetVipsResult> {
  return pulumi.output(pulumi.runtime.invoke(GET_VIPS, args, withPlugin(opts)) as Promise<GetVipsResult>);
}

export const GET_IMAGES = "tencentcloud:Images/getInstance:getInstance";
export interface GetImagesArgs { imageNameRegex?: string; imageTypes?: string[]; osName?: string }
export interface GetImagesResult { images: { imageId: string; imageName: string; createdTime: string }[] }

/** The images matching a name pattern (the SDK's images.getInstance). */
export function getImages(args: GetImagesArgs, opts?: pulumi.InvokeOptions): pulumi.Output<GetImagesResult> {
  return pulumi.output(pulumi.runtime.invoke(GET_IMAGES, args, withPlugin(opts)) as Promise<GetImagesResult>);
}
