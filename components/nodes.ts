import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import * as tls from "@pulumi/tls";
import YAML from "yaml";
import { NodeConfig, SshVia, SystemDiskType } from "../config/types";
import * as tencentcloud from "../tencentcloud";

type NodeAddress = Pick<NodeConfig, "name" | "privateIp">;

/** A node where it runs: its zone, and the subnet there that holds its address. */
export interface PlacedNode extends NodeAddress {
  availabilityZone: string;
  subnetId: pulumi.Input<string>;
}

export interface NodesArgs {
  /** The nodes, in config order: a CVM each (resource `<name>-<node>`), at the node's fixed private IP in its zone's subnet. */
  nodes: PlacedNode[];
  /** The CVM instance type, e.g. S5.MEDIUM4. */
  instanceType: string;
  /** A pinned image id. Default: the newest public image whose name matches `imageNameRegex`. */
  imageId?: string;
  /** The public-image name pattern the image is looked up by when `imageId` is not set. */
  imageNameRegex: string;
  /** The system disk's size in GB. */
  systemDiskSize: number;
  /** The system disk's type, e.g. CLOUD_PREMIUM (config's default); the instance type must offer it. */
  systemDiskType: SystemDiskType;
  /** Each node's public bandwidth cap in Mbit/s; 0 gives the nodes no public IP. */
  publicBandwidthOut: number;
  /** The OpenSSH public key imported as the nodes' key pair (unless `keyPairId` is set). */
  sshPublicKey: string;
  /** A key pair already imported in the account (skey-…) to use instead. Default: import `sshPublicKey`. */
  keyPairId?: string;
  /** The VPC the CVMs join. */
  vpcId: pulumi.Input<string>;
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
  /** The jump host for via "bastion", reached with the same private key and pinned to its host key (an authorized_keys line). Default: none. */
  bastion?: { host: string; user: string; port: number; hostKey: string };
  /** The private key matching the key pair; keep it secret. */
  privateKey: pulumi.Output<string>;
}

/**
 * One CVM per configured node, each at its fixed private IP, all with the stack's key pair, each
 * with an SSH host key the program makes and pins.
 */
export class Nodes extends pulumi.ComponentResource {
  /** The imported key pair; undefined when the nodes use an existing one (`keyPairId`). */
  readonly keyPair?: tencentcloud.key.Pair;
  /** The key pair every CVM gets. */
  readonly keyPairId: pulumi.Output<string>;
  readonly imageId: pulumi.Output<string>;
  /** By node name, in config order. */
  readonly instances: Record<string, tencentcloud.instance.Instance> = {};
  /** Each node's SSH host key, by node name: its private half is a secret in state and in the node's user data. */
  readonly hostKeys: Record<string, tls.PrivateKey> = {};

  constructor(name: string, args: NodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iam-ha:compute:Nodes", name, {}, opts);
    if (args.keyPairId) {
      this.keyPairId = pulumi.output(args.keyPairId);
    } else {
      // Key pair names are unique per account and region, take letters, digits and _ only, at most 25.
      const keyName = `${name}_${pulumi.getStack()}`.replace(/\W/g, "_").slice(0, 25);
      // A new public key replaces the pair under the same name: the old one must go first.
      this.keyPair = new tencentcloud.key.Pair(`${name}-key`, { keyName, publicKey: args.sshPublicKey }, { parent: this, deleteBeforeReplace: true });
      this.keyPairId = this.keyPair.id;
    }
    this.imageId = args.imageId ? pulumi.output(args.imageId) : this.lookUpImage(args.imageNameRegex, args.instanceType);
    for (const node of args.nodes) {
      this.hostKeys[node.name] = new tls.PrivateKey(`${name}-${node.name}-host-key`, { algorithm: "ED25519" }, { parent: this });
      this.instances[node.name] = this.instance(name, node, args);
    }
    this.registerOutputs({ imageId: this.imageId, keyPair: this.keyPairId });
  }

  /**
   * How Pulumi reaches `node` over SSH: its own public IP, its private IP through the bastion, or
   * its private IP directly (when Pulumi runs inside the VPC).
   */
  connection(node: NodeAddress, ssh: NodeSshArgs): pulumi.Output<types.input.remote.ConnectionArgs> {
    const host = ssh.via === "public" ? this.instances[node.name].publicIp : pulumi.output(node.privateIp);
    // A new CVM's sshd takes a while: up to 40 dials of 15 s each before giving up.
    return sshConnection({ host, hostKey: this.hostPublicKey(node.name), dialErrorLimit: 40, perDialTimeout: 15 }, ssh);
  }

  /** The node's host public key as an authorized_keys line ("ssh-ed25519 AAAA…"). */
  hostPublicKey(nodeName: string): pulumi.Output<string> {
    return this.hostKeys[nodeName].publicKeyOpenssh.apply((line) => line.trim());
  }

  /**
   * The newest public image matching `pattern` that `instanceType` can run: the provider hands the
   * type to DescribeImages' InstanceType filter (data_source_tc_images.go, v1.82.42).
   */
  private lookUpImage(pattern: string, instanceType: string): pulumi.Output<string> {
    const query = { imageNameRegex: pattern, imageTypes: ["PUBLIC_IMAGE"], instanceType };
    return tencentcloud.images.getInstanceOutput(query, { parent: this }).apply((result) => {
      const newest = [...(result.images ?? [])].sort((a, b) => b.createdTime.localeCompare(a.createdTime))[0];
      if (!newest)
        throw new Error(
          `iam-ha:imageNameRegex: no public image for instance type ${instanceType} matches "${pattern}". Fix: pick a pattern from the CVM console's public images for that type, or set iam-ha:imageId.`,
        );
      return newest.imageId;
    });
  }

  private instance(name: string, node: PlacedNode, args: NodesArgs): tencentcloud.instance.Instance {
    const publicIp = args.publicBandwidthOut > 0;
    const hostKey = this.hostKeys[node.name];
    return new tencentcloud.instance.Instance(
      `${name}-${node.name}`,
      {
        instanceName: `iam-ha-${node.name}`,
        hostname: node.name,
        availabilityZone: node.availabilityZone,
        imageId: this.imageId,
        instanceType: args.instanceType,
        vpcId: args.vpcId,
        subnetId: node.subnetId,
        privateIp: node.privateIp,
        orderlySecurityGroups: [args.securityGroupId],
        keyIds: [this.keyPairId],
        systemDiskType: args.systemDiskType,
        systemDiskSize: args.systemDiskSize,
        allocatePublicIp: publicIp,
        internetChargeType: publicIp ? "TRAFFIC_POSTPAID_BY_HOUR" : undefined,
        internetMaxBandwidthOut: publicIp ? args.publicBandwidthOut : undefined,
        userDataRaw: pulumi.secret(pulumi.all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh]).apply(([key, pub]) => hostKeyUserData(key, pub))),
        // cloud-init's ssh module runs once per instance (cc_ssh.py, frequency PER_INSTANCE), and
        // the provider changes user data in place (ModifyInstancesAttribute, resource_tc_instance.go
        // v1.82.42): a new host key on the old CVM would never reach sshd, and every pinned
        // connection would be refused. So a new host key, or any change to the user data, makes a
        // new CVM.
        userDataReplaceOnChange: true,
      },
      // A changed image would reinstall the OS of a running node; pin it once created. A
      // replacement must free the pinned private IP before the new CVM can take it. The provider
      // reads the user data back (as userData, base64, and userDataRaw): it holds the host's
      // private key, so both outputs stay secret in state.
      { parent: this, ignoreChanges: ["imageId"], deleteBeforeReplace: true, additionalSecretOutputs: ["userData", "userDataRaw"] },
    );
  }
}

/**
 * Dials for a node that is up and running (after its ready step, or one being retired): 4 of 10 s,
 * so one that can't be reached fails a run in 40 s, not 10 minutes.
 */
export const RUNNING_NODE_DIALS = { dialErrorLimit: 4, perDialTimeout: 10 };

/** Where a connection dials and which host key it accepts. */
export interface SshEndpoint {
  host: pulumi.Input<string>;
  /** The node's host public key (an authorized_keys line). */
  hostKey: pulumi.Input<string>;
  dialErrorLimit: number;
  perDialTimeout: number;
}

/** The connection Pulumi makes to a node: through the bastion when `ssh.via` says so; secret, as it holds the private key. */
export function sshConnection(endpoint: SshEndpoint, ssh: NodeSshArgs): pulumi.Output<types.input.remote.ConnectionArgs> {
  const { privateKey } = ssh;
  const proxy = ssh.via === "bastion" && ssh.bastion ? { ...ssh.bastion, privateKey } : undefined;
  // hostKey: pulumi-command checks the server against it (ssh.FixedHostKey, v1.2.1
  // provider/pkg/provider/remote/connection.go); without it any host key is accepted, and the
  // remove steps would hand the grant SQL and keepalived's config to whoever answers.
  return pulumi.secret({ ...endpoint, port: ssh.port, user: ssh.user, privateKey, proxy });
}

/**
 * cloud-config that makes `privateKey` the node's only SSH host key, before sshd first starts:
 * ssh_deletekeys removes the image's keys, ssh_keys writes ours, and ssh_genkeytypes [] makes no
 * others (cloud-init cc_ssh.py, "Host Keys").
 */
export function hostKeyUserData(privateKey: string, publicKey: string): string {
  const config = { ssh_deletekeys: true, ssh_genkeytypes: [], ssh_keys: { ed25519_private: privateKey, ed25519_public: publicKey.trim() } };
  return `#cloud-config\n${YAML.stringify(config)}`;
}
