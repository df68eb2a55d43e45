import { createHash } from "crypto";
import { PROJECT } from "./declaredKeys";
import { frontDoors, zoneOf } from "./lists";
import { IamHaConfig } from "./types";

/**
 * Changes that would take every node down in one `pulumi up` (issue 9). Pulumi applies a change
 * to every CVM at once, so a change that stops or replaces each CVM is an outage of the front
 * door. The stack exports the fleet's shape (`fleetShape`); the next update reads it back and
 * compares, before it registers any cloud resource.
 *
 * The rule: an update may stop or replace some nodes, never all of them. At least one node of the
 * running fleet must come through the update untouched (not removed, stopped or replaced), so the
 * VIP always has a node to be on. A first up (no previous shape) and an added node pass.
 * `iam-ha:allowFleetOutage: true` lets an outage through, for a maintenance window.
 *
 * What stops or replaces a CVM: terraform-provider-tencentcloud v1.82.42, which the SDK 0.2.3
 * wraps, tencentcloud/services/cvm/resource_tc_instance.go (rti) and service_tencentcloud_cvm.go
 * (svc). Each field below cites its lines. Changing these inputs does not stop the CVM, so they are
 * left out: instance_name and orderly_security_groups (ModifyInstancesAttribute, rti 1887, 1928),
 * internet_max_bandwidth_out between two values above 0 (ResetInstancesInternetMaxBandwidth,
 * rti 2297), and image_id, which the program pins with ignoreChanges (a change would be a
 * ResetInstance reinstall, rti 1951-2036). hostname restarts the instance (its description,
 * rti 80-85), but it is the node's name, the key of the node itself.
 */

/** One node's CVM, as far as a change to it stops or replaces the CVM. Secrets and keys are hashed. */
export interface CvmShape {
  availabilityZone: string;
  publicIp: boolean;
  keyPair: string;
  instanceType: string;
  systemDisk: string;
  subnet: string;
  privateIp: string;
  userData: string;
}

/** Each node's CVM shape, by node name: the `fleetShape` stack output. */
export type FleetShape = Record<string, CvmShape>;

interface Disruption {
  /** The config keys that set the field. */
  keys: string;
  /** What the provider does to each CVM whose field changes, and where it says so. */
  effect: string;
  /** How to make the change without an outage. */
  safeWay: string;
  /** How a value reads in a message; hashed fields just "change". */
  show?: (value: CvmShape[keyof CvmShape]) => string;
}

const NEW_STACK = "make it in a new stack, move DNS to that stack's publicIp, then destroy this one";
const MAINTENANCE = `or, in a maintenance window, let this one update through with ${PROJECT}:allowFleetOutage`;

const DISRUPTIONS: Record<keyof CvmShape, Disruption> = {
  // availability_zone is ForceNew (rti 52-59).
  availabilityZone: { keys: `${PROJECT}:availabilityZone / moreZones`, effect: "replaces", safeWay: NEW_STACK, show: String },
  // allocate_public_ip is ForceNew (rti 203-208): nodeBandwidthOut between 0 and more turns it.
  publicIp: {
    keys: `${PROJECT}:nodeBandwidthOut`,
    effect: "replaces",
    safeWay: `${NEW_STACK}; a bandwidth change that keeps it above 0 is made in place`,
    show: (v) => (v ? "a public IP (above 0)" : "no public IP (0)"),
  },
  // key_ids: UnbindKeyPair then BindKeyPair (rti 2084-2116), both with ForceStop (svc 755, 775).
  keyPair: {
    keys: `${PROJECT}:sshPublicKey / ${PROJECT}:sshKeyPairId`,
    effect: "force-stops (to rebind the key pair)",
    safeWay: "keep the key pair the CVMs have and rotate the login key on the nodes themselves (authorized_keys)",
  },
  // instance_type: ModifyInstanceType, ResetInstancesType with ForceStop (rti 2226-2236, svc 354-359).
  instanceType: { keys: `${PROJECT}:instanceType`, effect: "force-stops (to resize)", safeWay: NEW_STACK, show: String },
  // system_disk_size and _type: ResizeInstanceDisks with ForceStop (rti 2161-2170).
  systemDisk: { keys: `${PROJECT}:systemDiskSize / ${PROJECT}:systemDiskType`, effect: "force-stops (to resize the disk)", safeWay: NEW_STACK, show: String },
  // vpc_id, subnet_id: ModifyVpc (rti 2250-2258, svc 414), ModifyInstancesVpcAttribute, which "will
  // shut down the instance, and restart it after the modification" (Tencent's API doc 213/33244).
  subnet: {
    keys: `${PROJECT}:vpcId / subnetId / vpcCidr / subnetCidr / moreZones`,
    effect: "stops (to move it to the new subnet)",
    safeWay: NEW_STACK,
    show: String,
  },
  // private_ip: the same ModifyInstancesVpcAttribute, one node per changed address.
  privateIp: {
    keys: `${PROJECT}:nodes[].privateIp`,
    effect: "stops (to readdress it)",
    safeWay: "change one node's address per update",
    show: String,
  },
  // user_data_raw is ForceNew when user_data_replace_on_change is set (rti 567-573), and the
  // program sets it (components/nodes.ts): a change to the user data's form replaces every CVM.
  userData: {
    keys: "the nodes' user data (components/nodes.ts hostKeyUserData)",
    effect: "replaces",
    safeWay: "keep the user data's form; a change to it reaches new CVMs only",
  },
};

const FIELDS = Object.keys(DISRUPTIONS) as (keyof CvmShape)[];

/**
 * The front doors' shape from the config: the rule is about the nodes that can hold the VIP (a
 * backend-only node's CVM may go with all of them: the front doors serve the IAM services too).
 * `userDataForm` is the nodes' user data with placeholder keys: what every node's user data is
 * made from, apart from its own host key (made once per node).
 */
export function fleetShape(config: IamHaConfig, userDataForm: string): FleetShape {
  const { network, compute, ssh } = config;
  const vpc = network.vpcId ?? `a new VPC ${network.vpcCidr}`;
  // Each node in its own zone's subnet (frontDoor clb spans zones): a change to one zone's moves only its nodes.
  const cvm = (privateIp: string): CvmShape => {
    const zone = zoneOf(config, { privateIp }) ?? network.zones[0];
    const subnet = zone === network.zones[0] && network.subnetId ? network.subnetId : `${vpc}, subnet ${zone.subnetCidr}`;
    return {
      availabilityZone: zone.availabilityZone,
      publicIp: compute.nodeBandwidthOut > 0,
      keyPair: ssh.keyPairId ?? `imported ${digest(ssh.publicKey)}`,
      instanceType: compute.instanceType,
      systemDisk: `${compute.systemDiskType} ${compute.systemDiskSize} GB`,
      subnet,
      privateIp,
      userData: digest(userDataForm),
    };
  };
  return Object.fromEntries(frontDoors(config.nodes).map((node) => [node.name, cvm(node.privateIp)]));
}

/** What the update does to the running fleet: refused, let through with a warning, or fine. */
export type FleetVerdict = { refusal: string } | { warning?: string };

/**
 * Compares the previous update's shape (the stack output, or undefined before the first up) with
 * the new one, under the rule above.
 */
export function judgeFleetChange(previous: unknown, next: FleetShape, allowOutage: boolean): FleetVerdict {
  const outage = isFleetShape(previous) ? describeOutage(previous, next) : undefined;
  if (!outage) {
    return allowOutage
      ? { warning: `${PROJECT}:allowFleetOutage is true, and this update keeps a node up anyway. Fix: set it back to false, so the next outage is refused.` }
      : {};
  }
  if (allowOutage) {
    return {
      warning: `${PROJECT}:allowFleetOutage is true: this update takes the front door down.\n${outage.changes}\nAfter it, set allowFleetOutage back to false.`,
    };
  }
  return {
    refusal:
      `${PROJECT}: refused: this update takes all ${outage.running} running nodes down at once, and the front door with them. Nothing was changed.\n` +
      `${outage.changes}\n` +
      `An update may stop or replace some nodes, never all of them. The safe way, per change:\n${outage.safeWays}\n` +
      `  - ${MAINTENANCE} (pulumi config set ${PROJECT}:allowFleetOutage true; pulumi up; then set it back to false).`,
  };
}

interface Outage {
  /** How many nodes run now. */
  running: number;
  changes: string;
  safeWays: string;
}

/** The outage the change makes, or undefined when some running node comes through untouched. */
function describeOutage(previous: FleetShape, next: FleetShape): Outage | undefined {
  const running = Object.keys(previous);
  const removed = running.filter((name) => !next[name]);
  const changedFields = (name: string) => FIELDS.filter((f) => f in previous[name] && previous[name][f] !== next[name][f]);
  const touched = running.filter((name) => next[name] && changedFields(name).length > 0);
  if (running.length === 0 || removed.length + touched.length < running.length) return undefined;
  const lines: string[] = [];
  const safeWays = new Set<string>();
  for (const field of FIELDS) {
    const nodes = touched.filter((name) => changedFields(name).includes(field));
    if (nodes.length === 0) continue;
    const { keys, effect, safeWay, show } = DISRUPTIONS[field];
    const values = show
      ? `: ${nodes
          .map((n) => `${show(previous[n][field])} → ${show(next[n][field])}`)
          .filter(unique)
          .join(", ")}`
      : " changes";
    const cvms = nodes.length === running.length ? `all ${nodes.length} CVMs at once` : `${nodes.length} CVM${nodes.length === 1 ? "" : "s"}`;
    lines.push(`  - ${keys}${values}. Tencent Cloud ${effect} ${cvms} (${nodes.join(", ")}).`);
    safeWays.add(`  - ${keys}: ${safeWay}`);
  }
  if (removed.length > 0) {
    lines.push(`  - ${PROJECT}:nodes: removes ${removed.join(", ")}.`);
    safeWays.add(`  - ${PROJECT}:nodes: remove or rename one node per update, keeping another one serving`);
  }
  return { running: running.length, changes: lines.join("\n"), safeWays: [...safeWays].join("\n") };
}

function isFleetShape(value: unknown): value is FleetShape {
  return !!value && typeof value === "object" && Object.values(value).every((v) => !!v && typeof v === "object");
}

const unique = (value: string, index: number, all: string[]) => all.indexOf(value) === index;
const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);
