// Mirrors sdk/nodejs/types/{input,output}.ts of @tencentcloud_iac/pulumi v0.2.3 (the SDK's
// `types.input` and `types.output`): the nested types iam-ha uses, with the fields it sets or reads,
// and the provider's settings, whole.
import * as pulumi from "@pulumi/pulumi";

/** Every field of `T` as an input: how the SDK's input.Provider* types mirror output.config.*. */
type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export namespace input {
  /** The provider's `assumeRole` setting. */
  export type ProviderAssumeRole = Inputs<output.config.AssumeRole>;
  /** The provider's `assumeRoleWithSaml` setting. */
  export type ProviderAssumeRoleWithSaml = Inputs<output.config.AssumeRoleWithSaml>;
  /** The provider's `assumeRoleWithWebIdentity` setting. */
  export type ProviderAssumeRoleWithWebIdentity = Inputs<output.config.AssumeRoleWithWebIdentity>;
  /** The provider's `mfaCertification` setting. */
  export type ProviderMfaCertification = Inputs<output.config.MfaCertification>;

  export namespace Clb {
    /** One backend of an Attachment: a CVM (its primary NIC's primary IPv4) or an ENI IP, at a port. */
    export interface AttachmentTarget {
      /** Eni IP address of the backend server, conflict with `instanceId` but must specify one of them. */
      eniIp?: pulumi.Input<string>;
      /** CVM Instance Id of the backend server, conflict with `eniIp` but must specify one of them. */
      instanceId?: pulumi.Input<string>;
      /** Port of the backend server. Valid value ranges: (0~65535). */
      port: pulumi.Input<number>;
      /** Forwarding weight of the backend service. Valid value ranges: (0~100). defaults to `10`. */
      weight?: pulumi.Input<number>;
    }
  }

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
  export namespace config {
    /** Credentials from CAM's AssumeRole (each field can also come from a TENCENTCLOUD_ASSUME_ROLE_* variable). */
    export interface AssumeRole {
      /** External role ID, which can be obtained by clicking the role name in the CAM console. */
      externalId?: string;
      /** A more restrictive policy when making the AssumeRole call. */
      policy?: string;
      /** The ARN of the role to assume. */
      roleArn: string;
      /** MFA serial number, the identification number of the MFA device associated with the calling CAM user. */
      serialNumber?: string;
      /** The duration of the session when making the AssumeRole call, 0 to 43200 seconds (default 7200). */
      sessionDuration: number;
      /** The session name to use when making the AssumeRole call. */
      sessionName: string;
      /** Caller identity uin. */
      sourceIdentity?: string;
      /** MFA authentication code. */
      tokenCode?: string;
    }

    /** Credentials from CAM's AssumeRoleWithSAML. */
    export interface AssumeRoleWithSaml {
      /** Player Access Description Name. */
      principalArn: string;
      /** The ARN of the role to assume. */
      roleArn: string;
      /** SAML assertion information encoded in base64. */
      samlAssertion: string;
      /** The duration of the session when making the AssumeRoleWithSAML call, 0 to 43200 seconds (default 7200). */
      sessionDuration: number;
      /** The session name to use when making the AssumeRole call. */
      sessionName: string;
    }

    /** Credentials from CAM's AssumeRoleWithWebIdentity. */
    export interface AssumeRoleWithWebIdentity {
      /** Identity provider name, Default is OIDC. */
      providerId?: string;
      /** The ARN of the role to assume. */
      roleArn: string;
      /** The duration of the session when making the AssumeRoleWithWebIdentity call, 0 to 43200 seconds (default 7200). */
      sessionDuration: number;
      /** The session name to use when making the AssumeRole call. */
      sessionName: string;
      /** OIDC token issued by IdP. */
      webIdentityToken: string;
    }

    /** Temporary credentials behind MFA. */
    export interface MfaCertification {
      /** Specify the validity period of the temporary certificate (default 1800 seconds). */
      durationSeconds?: number;
      /** MFA serial number, the identification number of the MFA device associated with the calling CAM user. */
      serialNumber: string;
      /** MFA authentication code. */
      tokenCode: string;
    }
  }

  export namespace Clb {
    /** One CLB, as getTargetHealth lists it. */
    export interface GetTargetHealthLoadBalancer {
      /** List of listeners. Note: This field may return null, indicating that no valid values can be obtained. */
      listeners: GetTargetHealthLoadBalancerListener[];
      /** CLB instance ID. */
      loadBalancerId: string;
      /** CLB instance name. Note: This field may return null, indicating that no valid values can be obtained. */
      loadBalancerName: string;
    }

    /** One listener of a CLB, as getTargetHealth lists it. */
    export interface GetTargetHealthLoadBalancerListener {
      /** Listener ID. */
      listenerId: string;
      /** Listener name. Note: This field may return null, indicating that no valid values can be obtained. */
      listenerName: string;
      /** Port bound to the target. */
      port: number;
      /** Listener protocol. */
      protocol: string;
      /** List of forwarding rules of the listener. Note: This field may return null, indicating that no valid values can be obtained. */
      rules: GetTargetHealthLoadBalancerListenerRule[];
    }

    /** One forwarding rule of a listener, as getTargetHealth lists it. */
    export interface GetTargetHealthLoadBalancerListenerRule {
      /** Domain name of the forwarding rule. Note: This field may return null, indicating that no valid values can be obtained. */
      domain: string;
      /** Forwarding rule ID. */
      locationId: string;
      /** Health status of the real server bound to this rule. Note: this field may return null, indicating that no valid values can be obtained. */
      targets: GetTargetHealthLoadBalancerListenerRuleTarget[];
      /** Forwarding rule Url. Note: This field may return null, indicating that no valid values can be obtained. */
      url: string;
    }

    /** One target of a rule and its health. */
    export interface GetTargetHealthLoadBalancerListenerRuleTarget {
      /** Current health status. true: healthy; false: unhealthy (also: not probed yet, or probing). */
      healthStatus: boolean;
      /** Detailed information about the current health status. Alive: healthy; Dead: exceptional; Unknown: check not started/checking/unknown status. */
      healthStatusDetail: string;
      /** Private IP of the target. */
      ip: string;
      /** Port bound to the target. */
      port: number;
      /** Instance ID of the target, such as ins-12345678. */
      targetId: string;
    }
  }

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

  export namespace Vpc {
    /** One subnet, as getSubnets lists it. */
    export interface GetSubnetsInstanceList {
      /** Zone of the subnet to be queried. */
      availabilityZone: string;
      /** Filter subnet with this CIDR. */
      cidrBlock: string;
      /** ID of the subnet to be queried. */
      subnetId: string;
      /** ID of the VPC to be queried. */
      vpcId: string;
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
