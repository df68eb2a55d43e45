import * as pulumi from "@pulumi/pulumi";
import { HostSetup } from "./components/hostSetup";
import { Network } from "./components/network";
import { NodeSshArgs, Nodes } from "./components/nodes";
import { PublicAccess } from "./components/publicAccess";
import { loadConfig } from "./config/load";
import { configWarnings } from "./config/warnings";
import { stackConfigSource } from "./config/pulumiSource";
import { planNode, stepCommand } from "./render/steps";
import * as tencentcloud from "./tencentcloud";

// Everything is validated before the first resource: bad input leaves nothing half-made.
const config = loadConfig(stackConfigSource());
configWarnings(config).forEach((warning) => pulumi.log.warn(warning));

// An explicit provider reads no stack config itself: pass on every tencentcloud:* setting v0.2.3
// declares (the SDK's config module). The Provider keeps secretKey and securityToken secret; the
// role and MFA settings carry tokens too, so they stay secret in state as well.
const { assumeRole, assumeRoleWithSaml, assumeRoleWithWebIdentity, mfaCertification, ...settings } = tencentcloud.config;
const secretIfSet = <T>(value: T | undefined) => (value === undefined ? undefined : pulumi.secret(value));
const provider = new tencentcloud.Provider("tencentcloud", {
  ...settings,
  assumeRole: secretIfSet(assumeRole),
  assumeRoleWithSaml: secretIfSet(assumeRoleWithSaml),
  assumeRoleWithWebIdentity: secretIfSet(assumeRoleWithWebIdentity),
  mfaCertification: secretIfSet(mfaCertification),
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
    sshPort: config.ssh.port,
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
    systemDiskType: config.compute.systemDiskType,
    publicBandwidthOut: config.compute.nodeBandwidthOut,
    sshPublicKey: config.ssh.publicKey,
    keyPairId: config.ssh.keyPairId,
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
      machine: nodes.instances[node.name],
      reachableAfter: [network.rules],
      rollAfter: hosts[hosts.length - 1]?.steps,
    }),
  );
}
const access = new PublicAccess(
  "iam-ha",
  {
    vpcId: network.vpcId,
    subnetId: network.subnetId,
    havip: config.vrrp.havip,
    holders: Object.fromEntries(config.nodes.map((node) => [node.name, nodes.instances[node.name].id])),
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
  /** The verifier pins it (known_hosts, StrictHostKeyChecking yes): never trust on first use. */
  hostKey: nodes.hostPublicKey(node.name),
}));
export const sites = config.sites.map((site) => ({
  serverName: site.serverName,
  url: `http://${site.serverName}/`,
  smokeTest: pulumi.interpolate`curl -H 'Host: ${site.serverName}' http://${access.publicIp}/healthz`,
}));
