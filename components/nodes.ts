import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import { IamHaConfig, NodeConfig } from "../config/types";
import * as tc from "../tencentcloud/resources";

export interface NodesArgs {
  config: IamHaConfig;
  vpcId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
}

/** One CVM per configured node, each at its fixed private IP, all with the stack's key pair. */
export class Nodes extends pulumi.ComponentResource {
  readonly keyPair: tc.KeyPair;
  readonly imageId: pulumi.Output<string>;
  /** By node name, in config order. */
  readonly instances: Record<string, tc.Instance> = {};

  constructor(name: string, args: NodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:compute:Nodes", name, {}, opts);
    const { config } = args;
    // Key pair names are unique per account and region, take letters, digits and _ only, at most 25.
    const keyName = `${name}_${pulumi.getStack()}`.replace(/\W/g, "_").slice(0, 25);
    // A new public key replaces the pair under the same name: the old one must go first.
    this.keyPair = new tc.KeyPair(`${name}-key`, { keyName, publicKey: config.ssh.publicKey }, { parent: this, deleteBeforeReplace: true });
    this.imageId = config.compute.imageId ? pulumi.output(config.compute.imageId) : this.lookUpImage(config);
    for (const node of config.nodes) {
      this.instances[node.name] = this.instance(name, node, args);
    }
    this.registerOutputs({ imageId: this.imageId, keyPair: this.keyPair.id });
  }

  /**
   * How Pulumi reaches `node` over SSH: its own public IP, its private IP through the bastion, or
   * its private IP directly (when Pulumi runs inside the VPC).
   */
  connection(config: IamHaConfig, node: NodeConfig, privateKey: pulumi.Output<string>): pulumi.Output<types.input.remote.ConnectionArgs> {
    const { ssh } = config;
    const host = ssh.via === "public" ? this.instances[node.name].publicIp : pulumi.output(node.privateIp);
    const proxy = ssh.via === "bastion" && ssh.bastion ? { ...ssh.bastion, privateKey } : undefined;
    // A new CVM's sshd takes a while: up to 40 dials of 15 s each before giving up.
    return pulumi.secret({ host, port: ssh.port, user: ssh.user, privateKey, proxy, dialErrorLimit: 40, perDialTimeout: 15 });
  }

  private lookUpImage(config: IamHaConfig): pulumi.Output<string> {
    const pattern = config.compute.imageNameRegex;
    return tc.getImages({ imageNameRegex: pattern, imageTypes: ["PUBLIC_IMAGE"] }, { parent: this }).apply((result) => {
      const newest = [...(result.images ?? [])].sort((a, b) => b.createdTime.localeCompare(a.createdTime))[0];
      if (!newest) throw new Error(`iam-ha:imageNameRegex: no public image matches "${pattern}". Fix: pick a pattern from the CVM console's public images, or set iam-ha:imageId.`);
      return newest.imageId;
    });
  }

  private instance(name: string, node: NodeConfig, args: NodesArgs): tc.Instance {
    const { compute, network } = args.config;
    const publicIp = compute.nodeBandwidthOut > 0;
    return new tc.Instance(
      `${name}-${node.name}`,
      {
        instanceName: `iam-ha-${node.name}`,
        hostname: node.name,
        availabilityZone: network.availabilityZone,
        imageId: this.imageId,
        instanceType: compute.instanceType,
        vpcId: args.vpcId,
        subnetId: args.subnetId,
        privateIp: node.privateIp,
        orderlySecurityGroups: [args.securityGroupId],
        keyIds: [this.keyPair.id],
        systemDiskType: "CLOUD_PREMIUM",
        systemDiskSize: compute.systemDiskSize,
        allocatePublicIp: publicIp,
        internetChargeType: publicIp ? "TRAFFIC_POSTPAID_BY_HOUR" : undefined,
        internetMaxBandwidthOut: publicIp ? compute.nodeBandwidthOut : undefined,
      },
      // A changed image would reinstall the OS of a running node; pin it once created. A
      // replacement must free the pinned private IP before the new CVM can take it.
      { parent: this, ignoreChanges: ["imageId"], deleteBeforeReplace: true },
    );
  }
}
