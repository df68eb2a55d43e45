import * as pulumi from "@pulumi/pulumi";
import { HostSetup } from "./components/hostSetup";
import { Network } from "./components/network";
import { Nodes } from "./components/nodes";
import { PublicAccess } from "./components/publicAccess";
import { loadConfig } from "./config/load";
import { stackConfigSource } from "./config/pulumiSource";
import { planNode, stepCommand } from "./render/steps";
import * as tc from "./tencentcloud/resources";

// Everything is validated before the first resource: bad input leaves nothing half-made.
const config = loadConfig(stackConfigSource());
const privateKey = pulumi.secret(config.secrets.sshPrivateKey);

const cloud = new pulumi.Config("tencentcloud");
const provider = new tc.Provider("tencentcloud", {
  region: cloud.get("region"),
  secretId: cloud.get("secretId"),
  secretKey: cloud.getSecret("secretKey"),
});
const opts = { providers: [provider] };

const network = new Network("iam-ha", { config }, opts);
const nodes = new Nodes("iam-ha", { config, vpcId: network.vpcId, subnetId: network.subnetId, securityGroupId: network.securityGroupId }, opts);
const hosts: HostSetup[] = [];
for (const node of config.nodes) {
  hosts.push(
    new HostSetup(node.name, {
      plan: planNode(config, node),
      connection: nodes.connection(config, node, privateKey),
      applyCommand: stepCommand(config, "apply"),
      removeCommand: stepCommand(config, "remove"),
      reachableAfter: [nodes.instances[node.name], network.rules],
      keepalivedAfter: hosts[hosts.length - 1]?.steps.keepalived,
    }),
  );
}
const access = new PublicAccess(
  "iam-ha",
  { config, vpcId: network.vpcId, subnetId: network.subnetId, vipHolders: hosts.map((h) => h.steps.keepalived) },
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
