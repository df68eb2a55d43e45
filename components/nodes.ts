import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import { NodeConfig, SshVia } from "../config/types";
import * as tencentcloud from "../tencentcloud";

type NodeAddress = Pick<NodeConfig, "name" | "privateIp">;

export interface NodesArgs {
  /** The nodes, in config order: a CVM each (resource `<name>-<node>`), at the node's fixed private IP. */
  nodes: NodeAddress[];
  /** The CVMs' availability zone: the subnet's. */
  availabilityZone: string;
  /** The CVM instance type, e.g. S5.MEDIUM4. */
  instanceType: string;
  /** A pinned image id. Default: the newest public image whose name matches `imageNameRegex`. */
  imageId?: string;
  /** The public-image name pattern the image is looked up by when `imageId` is not set. */
  imageNameRegex: string;
  /** The system disk's size in GB. */
  systemDiskSize: number;
  /** Each node's public bandwidth cap in Mbit/s; 0 gives the nodes no public IP. */
  publicBandwidthOut: number;
  /** The OpenSSH public key imported as the nodes' key pair. */
  sshPublicKey: string;
  /** The VPC the CVMs join. */
  vpcId: pulumi.Input<string>;
  /** The subnet the CVMs' private IPs lie in. */
  subnetId: pulumi.Input<string>;
  /** The security group every CVM is in. */
  securityGroupId: pulumi.Input<string>;
}

/** How Pulumi logs in to the nodes over SSH. */
export interface NodeSshArgs {
  /** "public": each node's public IP; "bastion": its private IP through `bastion`; "private": its private IP (Pulumi runs inside the VPC). */
  via: SshVia;
  /** The login user on every node: root, or a user with passwordless sudo. */
  user: string;
  /** sshd's port on every node. */
  port: number;
  /** The jump host for via "bastion", reached with the same private key. Default: none. */
  bastion?: { host: string; user: string; port: number };
  /** The private key matching the key pair; keep it secret. */
  privateKey: pulumi.Output<string>;
}

/** One CVM per configured node, each at its fixed private IP, all with the stack's key pair. */
export class Nodes extends pulumi.ComponentResource {
  readonly keyPair: tencentcloud.key.Pair;
  readonly imageId: pulumi.Output<string>;
  /** By node name, in config order. */
  readonly instances: Record<string, tencentcloud.instance.Instance> = {};

  constructor(name: string, args: NodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:compute:Nodes", name, {}, opts);
    // Key pair names are unique per account and region, take letters, digits and _ only, at most 25.
    const keyName = `${name}_${pulumi.getStack()}`.replace(/\W/g, "_").slice(0, 25);
    // A new public key replaces the pair under the same name: the old one must go first.
    this.keyPair = new tencentcloud.key.Pair(`${name}-key`, { keyName, publicKey: args.sshPublicKey }, { parent: this, deleteBeforeReplace: true });
    this.imageId = args.imageId ? pulumi.output(args.imageId) : this.lookUpImage(args.imageNameRegex);
    for (const node of args.nodes) {
      this.instances[node.name] = this.instance(name, node, args);
    }
    this.registerOutputs({ imageId: this.imageId, keyPair: this.keyPair.id });
  }

  /**
   * How Pulumi reaches `node` over SSH: its own public IP, its private IP through the bastion, or
   * its private IP directly (when Pulumi runs inside the VPC).
   */
  connection(node: NodeAddress, ssh: NodeSshArgs): pulumi.Output<types.input.remote.ConnectionArgs> {
    const { privateKey } = ssh;
    const host = ssh.via === "public" ? this.instances[node.name].publicIp : pulumi.output(node.privateIp);
    const proxy = ssh.via === "bastion" && ssh.bastion ? { ...ssh.bastion, privateKey } : undefined;
    // A new CVM's sshd takes a while: up to 40 dials of 15 s each before giving up.
    return pulumi.secret({ host, port: ssh.port, user: ssh.user, privateKey, proxy, dialErrorLimit: 40, perDialTimeout: 15 });
  }

  private lookUpImage(pattern: string): pulumi.Output<string> {
    return tencentcloud.images.getInstanceOutput({ imageNameRegex: pattern, imageTypes: ["PUBLIC_IMAGE"] }, { parent: this }).apply((result) => {
      const newest = [...(result.images ?? [])].sort((a, b) => b.createdTime.localeCompare(a.createdTime))[0];
      if (!newest)
        throw new Error(
          `iam-ha:imageNameRegex: no public image matches "${pattern}". Fix: pick a pattern from the CVM console's public images, or set iam-ha:imageId.`,
        );
      return newest.imageId;
    });
  }

  private instance(name: string, node: NodeAddress, args: NodesArgs): tencentcloud.instance.Instance {
    const publicIp = args.publicBandwidthOut > 0;
    return new tencentcloud.instance.Instance(
      `${name}-${node.name}`,
      {
        instanceName: `iam-ha-${node.name}`,
        hostname: node.name,
        availabilityZone: args.availabilityZone,
        imageId: this.imageId,
        instanceType: args.instanceType,
        vpcId: args.vpcId,
        subnetId: args.subnetId,
        privateIp: node.privateIp,
        orderlySecurityGroups: [args.securityGroupId],
        keyIds: [this.keyPair.id],
        systemDiskType: "CLOUD_PREMIUM",
        systemDiskSize: args.systemDiskSize,
        allocatePublicIp: publicIp,
        internetChargeType: publicIp ? "TRAFFIC_POSTPAID_BY_HOUR" : undefined,
        internetMaxBandwidthOut: publicIp ? args.publicBandwidthOut : undefined,
      },
      // A changed image would reinstall the OS of a running node; pin it once created. A
      // replacement must free the pinned private IP before the new CVM can take it.
      { parent: this, ignoreChanges: ["imageId"], deleteBeforeReplace: true },
    );
  }
}
