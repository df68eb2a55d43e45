import * as pulumi from "@pulumi/pulumi";
import * as tencentcloud from "../tencentcloud";

export interface PublicAccessArgs {
  /** The VPC the HAVIP lives in. */
  vpcId: pulumi.Input<string>;
  /** The nodes' subnet: the HAVIP lies in it. */
  subnetId: pulumi.Input<string>;
  /** The HAVIP's address: free and inside the subnet. */
  havip: string;
  /** The CVMs that may hold the HAVIP, by node name: the stack's nodes and no other instance. */
  holders: Record<string, pulumi.Input<string>>;
  /** The EIP's charge type, e.g. TRAFFIC_POSTPAID_BY_HOUR. */
  eipChargeType: string;
  /** The EIP's outbound bandwidth cap in Mbit/s. */
  eipBandwidthOut: number;
  /** Each node's last VRRP step (its release): the EIP is bound only once a node can hold the HAVIP. */
  vipHolders: pulumi.Resource[];
}

/**
 * The HAVIP, the CVMs allowed to hold it, an EIP, and the EIP bound to the HAVIP.
 *
 * `checkAssociate` makes Tencent check, when the HAVIP moves, that the instance claiming it is one
 * of those attached (CreateHaVip's CheckAssociate: "是否开启HAVIP漂移时子机或网卡范围的校验",
 * https://cloud.tencent.com/document/api/215/30652; the attachments call AssociateHaVipInstance:
 * terraform-provider-tencentcloud v1.82.42, tencentcloud/services/vpc/resource_tc_ha_vip.go and
 * resource_tc_ha_vip_instance_attachment.go). The attachments set the range the HAVIP may move in,
 * not its holder: keepalived still moves it by ARP among them, with no API call ("HAVIP 只是被操作的
 * 对象 … 由第三方 HA 软件通过 ARP 协议指定 HAVIP 要绑定的网卡", "切换范围选择云服务器时，可以在云服务器上
 * 的所有弹性网卡之间切换", https://cloud.tencent.com/document/product/215/36694). A HAVIP takes at most
 * 10 instances (CreateHaVip's HaVipAssociationSet).
 */
export class PublicAccess extends pulumi.ComponentResource {
  readonly havip: tencentcloud.ha.Vip;
  readonly holders: tencentcloud.ha.VipInstanceAttachment[];
  readonly eip: tencentcloud.eip.Instance;
  readonly attachment: tencentcloud.ha.VipEipAttachment;
  readonly publicIp: pulumi.Output<string>;

  constructor(name: string, args: PublicAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:network:PublicAccess", name, {}, opts);
    // vip, vpcId, subnetId and checkAssociate are all ForceNew (resource_tc_ha_vip.go), and the
    // successor keeps the address, which one subnet cannot hold twice: the old HAVIP goes first.
    this.havip = new tencentcloud.ha.Vip(
      `${name}-havip`,
      { name: `${name}-havip`, vpcId: args.vpcId, subnetId: args.subnetId, vip: args.havip, checkAssociate: true },
      { parent: this, deleteBeforeReplace: true },
    );
    this.holders = Object.entries(args.holders).map(
      ([node, instanceId]) =>
        new tencentcloud.ha.VipInstanceAttachment(`${name}-havip-${node}`, { haVipId: this.havip.id, instanceId, instanceType: "CVM" }, { parent: this }),
    );
    // An EIP bound to nothing is billed as idle: none before the HAVIP it is for (nor when the
    // HAVIP cannot be made, e.g. because an existing subnet failed its check).
    this.eip = new tencentcloud.eip.Instance(
      `${name}-eip`,
      { name: `${name}-eip`, internetChargeType: args.eipChargeType, internetMaxBandwidthOut: args.eipBandwidthOut },
      { parent: this, dependsOn: [this.havip] },
    );
    // An EIP on an HAVIP that no CVM holds is billed as idle too: bind it only after keepalived
    // runs everywhere and the nodes may hold the HAVIP; on destroy this goes first. havipId and
    // addressIp are ForceNew and Create calls HaVipAssociateAddressIp, which an EIP still bound to
    // the old HAVIP would refuse: the old binding is undone (HaVipDisassociateAddressIp) first
    // (resource_tc_ha_vip_eip_attachment.go).
    this.attachment = new tencentcloud.ha.VipEipAttachment(
      `${name}-eip-attachment`,
      { havipId: this.havip.id, addressIp: this.eip.publicIp },
      { parent: this, dependsOn: [...args.vipHolders, ...this.holders], deleteBeforeReplace: true },
    );
    this.publicIp = this.eip.publicIp;
    this.registerOutputs({ publicIp: this.publicIp, havip: this.havip.vip });
  }
}
