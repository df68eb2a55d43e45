// Mirrors sdk/nodejs/types/{input,output}.ts of @tencentcloud_iac/pulumi v0.2.3 (the SDK's
// `types.input` and `types.output`): the nested types iam-ha uses, with the fields it sets or reads.
import * as pulumi from "@pulumi/pulumi";

export namespace input {
  export namespace Security {
    /** One ingress rule of a GroupRuleSet. */
    export interface GroupRuleSetIngress {
      /** Rule policy of security group. Valid values: `ACCEPT` and `DROP`. */
      action: pulumi.Input<string>;
      /** An IP address network or CIDR segment. */
      cidrBlock?: pulumi.Input<string>;
      /** Description of the security group rule. */
      description?: pulumi.Input<string>;
      /** Range of the port: `80`, `80,90`, `80-90` or `ALL` (which protocol `ALL` requires). */
      port?: pulumi.Input<string>;
      /** Type of IP protocol. Valid values: `TCP`, `UDP`, `ICMP`, `ICMPv6` and `ALL`: v0.2.3 cannot name others (VRRP is IP protocol 112). */
      protocol?: pulumi.Input<string>;
    }

    /** One egress rule of a GroupRuleSet: the same fields as an ingress rule. */
    export interface GroupRuleSetEgress {
      /** Rule policy of security group. Valid values: `ACCEPT` and `DROP`. */
      action: pulumi.Input<string>;
      /** An IP address network or CIDR segment. */
      cidrBlock?: pulumi.Input<string>;
      /** Description of the security group rule. */
      description?: pulumi.Input<string>;
      /** Range of the port: `80`, `80,90`, `80-90` or `ALL` (which protocol `ALL` requires). */
      port?: pulumi.Input<string>;
      /** Type of IP protocol. Valid values: `TCP`, `UDP`, `ICMP`, `ICMPv6` and `ALL`. */
      protocol?: pulumi.Input<string>;
    }
  }
}

export namespace output {
  export namespace Ha {
    /** One HA VIP, as getVips lists it. */
    export interface GetVipsHaVipList {
      /** ID of the HA VIP. */
      id: string;
      /** Instance id that is associated: the CVM holding the HA VIP now (empty when none does). */
      instanceId: string;
      /** State of the HA VIP. Valid values: `AVAILABLE`, `UNBIND`. */
      state: string;
      /** Virtual IP address. */
      vip: string;
    }
  }

  export namespace Images {
    /** One image, as getInstance lists it. */
    export interface GetInstanceImage {
      /** Created time of the image. */
      createdTime: string;
      /** ID of the image. */
      imageId: string;
      /** Name of the image. */
      imageName: string;
    }
  }
}
