import * as pulumi from "@pulumi/pulumi";
import { HostSetup } from "./components/hostSetup";
import { Network } from "./components/network";
import { NodeSshArgs, Nodes } from "./components/nodes";
import { PublicAccess } from "./components/publicAccess";
import { loadConfig } from "./config/load";
import { stackConfigSource } from "./config/pulumiSource";
import { planNode, stepCommand } from "./render/steps";
import * as tencentcloud from "./tencentcloud";

// Everything is validated before the first resource: bad input leaves nothing half-made.
const config = loadConfig(stackConfigSource());

const cloud = new pulumi.Config("tencentcloud");
const provider = new tencentcloud.Provider("tencentcloud", {
  region: cloud.get("region"),
  secretId: cloud.get("secretId"),
  secretKey: cloud.getSecret("secretKey"),
});
const opts = { providers: [provider] };

const network = new Network(
  "iam-ha",
  {
    vpcId: config.network.vpcId,
    subnetId: config.network.subnetId,
    vpcCidr: config.network.vpcCidr,
    subnetCidr: config.network.subnetCidr,
    availabilityZone: config.network.availabilityZone,
    adminCidr: config.network.adminCidr,
    nodes: config.nodes,
    backendPorts: config.sites.map((site) => site.port),
    databaseNode: config.database.node,
  },
  opts,
);
const nodes = new Nodes(
  "iam-ha",
  {
    nodes: config.nodes,
    availabilityZone: config.network.availabilityZone,
    instanceType: config.compute.instanceType,
    imageId: config.compute.imageId,
    imageNameRegex: config.compute.imageNameRegex,
    systemDiskSize: config.compute.systemDiskSize,
    publicBandwidthOut: config.compute.nodeBandwidthOut,
    sshPublicKey: config.ssh.publicKey,
    vpcId: network.vpcId,
    subnetId: network.subnetId,
    securityGroupId: network.securityGroupId,
  },
  opts,
);
const ssh: NodeSshArgs = {
  via: config.ssh.via,
  user: config.ssh.user,
  port: config.ssh.port,
  bastion: config.ssh.bastion,
  privateKey: pulumi.secret(config.secrets.sshPrivateKey),
};
const hosts: HostSetup[] = [];
for (const node of config.nodes) {
  hosts.push(
    new HostSetup(node.name, {
      plan: planNode(config, node),
      connection: nodes.connection(node, ssh),
      applyCommand: stepCommand(config, "apply"),
      removeCommand: stepCommand(config, "remove"),
      reachableAfter: [nodes.instances[node.name], network.rules],
      keepalivedAfter: hosts[hosts.length - 1]?.steps.keepalived,
    }),
  );
}
const access = new PublicAccess(
  "iam-ha",
  {
    vpcId: network.vpcId,
    subnetId: network.subnetId,
    havip: config.vrrp.havip,
    eipChargeType: config.eip.chargeType,
    eipBandwidthOut: config.eip.bandwidthOut,
    vipHolders: hosts.map((h) => h.steps.keepalived),
  },
  opts,
);

export const publicIp = access.publicIp;
export const havip = config.vrrp.havip;
/** The verifier asks Tencent Cloud which instance this HAVIP is bound to. */
export const havipId = access.havip.id;
export const nodeAddresses = config.nodes.map((node) => ({
  name: node.name,
  instanceId: nodes.instances[node.name].id,
  privateIp: node.privateIp,
  publicIp: config.compute.nodeBandwidthOut > 0 ? nodes.instances[node.name].publicIp : undefined,
}));
export const sites = config.sites.map((site) => ({
  serverName: site.serverName,
  url: `http://${site.serverName}/`,
  smokeTest: pulumi.interpolate`curl -H 'Host: ${site.serverName}' http://${access.publicIp}/healthz`,
}));
