import * as pulumi from "@pulumi/pulumi";
import { HostSetup } from "./components/hostSetup";
import { Network } from "./components/network";
import { hostKeyUserData, NodeSshArgs, Nodes, RUNNING_NODE_DIALS, sshConnection } from "./components/nodes";
import { LoadBalancer } from "./components/loadBalancer";
import { PublicAccess } from "./components/publicAccess";
import { RetiredNode, retiredNodes } from "./components/retiredNode";
import { rollOrder, rollWaits, vipHolder } from "./components/roll";
import { fleetShape, judgeFleetChange } from "./config/fleetShape";
import { frontDoors, runsKeepalived, runsNginx, zoneOf } from "./config/lists";
import { loadConfig } from "./config/load";
import { configWarnings } from "./config/warnings";
import { stackConfigSource } from "./config/pulumiSource";
import { backendPorts, publicPorts, statePort } from "./render/firewall";
import { planNode, retireStep, stepCommand } from "./render/steps";
import { allVipNames } from "./render/vips";
import * as tencentcloud from "./tencentcloud";

// Everything is validated before the first resource: bad input leaves nothing half-made.
const config = loadConfig(stackConfigSource());
configWarnings(config).forEach((warning) => pulumi.log.warn(warning));
// The user data's form, with placeholder keys: a change to it would replace every CVM.
const fleet = fleetShape(config, hostKeyUserData("<host private key>", "<host public key>"));

/**
 * The fleet as this stack's last update left it: a StackReference to the stack itself (as in
 * pulumi/pulumi#4341) reads the outputs of the last update, since the engine keeps the root stack's
 * old outputs until this program registers new ones (SameStep.Apply, pulumi/pulumi
 * pkg/resource/deploy/step.go). A stack without a deployment has none: the first up passes.
 */
async function lastUpdate(): Promise<{ fleetShape: unknown; nodeAddresses: unknown }> {
  const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const reference = new pulumi.StackReference("iam-ha-last-update", { name });
  const [fleetShape, nodeAddresses] = await Promise.all([reference.getOutputValue("fleetShape"), reference.getOutputValue("nodeAddresses")]);
  return { fleetShape, nodeAddresses };
}

// Pulumi awaits a program that exports a function (@pulumi/pulumi cmd/run/run.js), so the fleet
// check has the last update's outputs before any cloud resource is registered.
export = async () => {
  const last = await lastUpdate();
  const verdict = judgeFleetChange(last.fleetShape, fleet, config.allowFleetOutage);
  if ("refusal" in verdict) throw new pulumi.RunError(verdict.refusal);
  if (verdict.warning) pulumi.log.warn(verdict.warning);

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
  const keepalived = runsKeepalived(config.frontDoor);

  const network = new Network(
    "iam-ha",
    {
      vpcId: config.network.vpcId,
      subnetId: config.network.subnetId,
      vpcCidr: config.network.vpcCidr,
      subnetCidr: config.network.subnetCidr,
      availabilityZone: config.network.availabilityZone,
      moreZones: config.network.zones.slice(1),
      adminCidr: config.network.adminCidr,
      sshPort: config.ssh.port,
      nodes: config.nodes,
      frontDoor: config.frontDoor,
      // Behind a CLB only the CLB's own group is checked for its traffic (loadBalancerPassToTarget):
      // the nodes' group opens nothing to the Internet.
      publicPorts: keepalived ? publicPorts(config) : [],
      backendPorts: backendPorts(config),
      statePort: statePort(config),
      frontDoors: frontDoors(config.nodes).map((node) => node.name),
      databaseNode: config.database.node,
    },
    opts,
  );
  const nodes = new Nodes(
    "iam-ha",
    {
      nodes: config.nodes.map((node) => {
        const zone = zoneOf(config, node)!.availabilityZone;
        return { ...node, availabilityZone: zone, subnetId: network.subnetIds[zone] };
      }),
      instanceType: config.compute.instanceType,
      imageId: config.compute.imageId,
      imageNameRegex: config.compute.imageNameRegex,
      systemDiskSize: config.compute.systemDiskSize,
      systemDiskType: config.compute.systemDiskType,
      publicBandwidthOut: config.compute.nodeBandwidthOut,
      sshPublicKey: config.ssh.publicKey,
      keyPairId: config.ssh.keyPairId,
      vpcId: network.vpcId,
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
  // The CVMs that may hold the HAVIP, or the CLB's targets: the front doors.
  const instanceIds = Object.fromEntries(frontDoors(config.nodes).map((node) => [node.name, nodes.instances[node.name].id]));
  // A change rolls front door by front door with the VIP's holder last, as Tencent Cloud binds the
  // HAVIP now; behind a CLB, which has no holder, by rising priority.
  const holder = keepalived
    ? vipHolder({ vpcId: network.vpcId, subnetId: network.subnetId, havip: config.vips[0].address, instances: instanceIds }, { provider })
    : pulumi.output(null);
  const order = holder.apply((name) => rollOrder(frontDoors(config.nodes), name));
  // Front doors this update removes or makes backend-only: each one's keepalived stops before any
  // remaining node drops it, unless the operator says they are dead (nothing to reach, nothing to stop).
  const leaving = retiredNodes(last.nodeAddresses, config.nodes);
  // Behind a CLB a leaving node runs no keepalived to stop: no retire step.
  const removed = keepalived ? leaving : [];
  if (config.removeDeadNodes && leaving.length === 0)
    pulumi.log.warn(
      "iam-ha:removeDeadNodes is true but this update removes no node: set it back to false, or a later removal skips stopping a live node's keepalived",
    );
  const retiring = (config.removeDeadNodes ? [] : removed).map(
    (node) =>
      new RetiredNode(node.name, {
        step: retireStep(node.name),
        connection: sshConnection({ host: (ssh.via === "public" && node.publicIp) || node.privateIp, hostKey: node.hostKey, ...RUNNING_NODE_DIALS }, ssh),
        applyCommand: stepCommand(config, "apply"),
      }).command,
  );
  const hosts: Record<string, HostSetup> = {};
  const backendsReady = () => config.nodes.filter((node) => node.role === "backend").map((node) => hosts[node.name].steps.firewall);
  for (const node of config.nodes) {
    hosts[node.name] = new HostSetup(node.name, {
      plan: planNode(config, node),
      connection: nodes.connection(node, ssh),
      applyCommand: stepCommand(config, "apply"),
      removeCommand: stepCommand(config, "remove"),
      machine: nodes.instances[node.name],
      reachableAfter: [network.rules],
      // Resolved after this loop: by then every node's steps exist. A backend-only node's firewall
      // (no VRRP) waits for the retire steps: one made from a front door stops its keepalived first.
      waitsOn: (step) =>
        order.apply((nodeOrder) =>
          node.role === "backend"
            ? step === "firewall"
              ? retiring
              : []
            : rollWaits(nodeOrder, node.name, step, (other) => hosts[other].steps, retiring, backendsReady()),
        ),
    });
  }
  const front = keepalived
    ? vipFrontDoor(
        network,
        instanceIds,
        frontDoors(config.nodes).map((node) => hosts[node.name].steps["vrrp-release"]),
        opts,
      )
    : clbFrontDoor(
        network,
        instanceIds,
        frontDoors(config.nodes).map((node) => hosts[node.name].steps.nginx),
        opts,
      );

  return {
    ...front.outputs,
    nodeAddresses: config.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      availabilityZone: zoneOf(config, node)!.availabilityZone,
      instanceId: nodes.instances[node.name].id,
      privateIp: node.privateIp,
      publicIp: config.compute.nodeBandwidthOut > 0 ? nodes.instances[node.name].publicIp : undefined,
      /** The verifier pins it (known_hosts, StrictHostKeyChecking yes): never trust on first use. */
      hostKey: nodes.hostPublicKey(node.name),
    })),
    sites: config.sites.map((site, i) =>
      runsNginx(config.frontDoor)
        ? { serverName: site.serverName, url: `http://${site.serverName}/`, smokeTest: smokeTests(front.publicIp)[i] }
        : // No nginx: the site is its port on the EIP, whatever name the client asks for.
          { serverName: site.serverName, port: site.port, url: `http://${site.serverName}:${site.port}/`, smokeTest: smokeTests(front.publicIp)[i] },
    ),
    /** What the next update compares against (config/fleetShape.ts): recorded once every CVM is made. */
    fleetShape: pulumi.all(Object.values(nodes.instances).map((cvm) => cvm.id)).apply(() => fleet),
  };
};

/** What users reach: nginx by each site's name on port 80, or (vipOnly) each site on its own port. */
function smokeTests(publicIp: pulumi.Output<string>): pulumi.Output<string>[] {
  return config.sites.map((site) =>
    runsNginx(config.frontDoor)
      ? pulumi.interpolate`curl -H 'Host: ${site.serverName}' http://${publicIp}/healthz`
      : pulumi.interpolate`curl http://${publicIp}:${site.port}/healthz`,
  );
}

interface FrontDoor {
  publicIp: pulumi.Output<string>;
  outputs: Record<string, unknown>;
}

/**
 * One HAVIP and EIP per VIP, each bound once every front door's keepalived can hold it
 * (`released`: their vrrp-release steps). The outputs name the primary's as one-VIP stacks always
 * have, and every VIP in `vips`.
 */
function vipFrontDoor(
  network: Network,
  holders: Record<string, pulumi.Input<string>>,
  released: pulumi.Resource[],
  opts: pulumi.ComponentResourceOptions,
): FrontDoor {
  const accesses = allVipNames(config).map(
    ({ vip, accessName }) =>
      new PublicAccess(
        accessName,
        {
          vpcId: network.vpcId,
          subnetId: network.subnetId,
          havip: vip.address,
          holders,
          eipChargeType: config.eip.chargeType,
          eipBandwidthOut: config.eip.bandwidthOut,
          vipHolders: released,
        },
        opts,
      ),
  );
  const [primary] = accesses;
  return {
    publicIp: primary.publicIp,
    outputs: {
      publicIp: primary.publicIp,
      havip: config.vips[0].address,
      /** The verifier asks Tencent Cloud which instance this HAVIP is bound to. */
      havipId: primary.havip.id,
      /** Every VIP, the primary first: what the verifier checks one by one. */
      vips: allVipNames(config).map(({ vip, instanceName, statePath }, i) => ({
        address: vip.address,
        virtualRouterId: vip.virtualRouterId,
        instanceName,
        statePath,
        preferred: vip.preferred,
        preemptDelay: vip.preemptDelay,
        havipId: accesses[i].havip.id,
        publicIp: accesses[i].publicIp,
        smokeTests: smokeTests(accesses[i].publicIp),
      })),
    },
  };
}

/**
 * Tencent's CLB in front of every front door's nginx (`targets`), each registered once its nginx
 * step ran (`serving`). The CLB's address is the stack's publicIp.
 */
function clbFrontDoor(
  network: Network,
  targets: Record<string, pulumi.Input<string>>,
  serving: pulumi.Resource[],
  opts: pulumi.ComponentResourceOptions,
): FrontDoor {
  const { clb } = config;
  const balancer = new LoadBalancer(
    "iam-ha",
    {
      vpcId: network.vpcId,
      clbName: `iam-ha-${pulumi.getStack()}`,
      masterZone: clb.masterZone,
      slaveZone: clb.slaveZone,
      chargeType: config.eip.chargeType,
      bandwidthOut: config.eip.bandwidthOut,
      sites: config.sites.map((site) => ({ serverName: site.serverName })),
      health: { interval: clb.healthInterval, healthyThreshold: clb.healthyThreshold, unhealthyThreshold: clb.unhealthyThreshold, timeout: clb.healthTimeout },
      targets,
      targetsReady: serving,
    },
    opts,
  );
  return { publicIp: balancer.address, outputs: { publicIp: balancer.address, frontDoor: "clb", clbId: balancer.clbId } };
}
