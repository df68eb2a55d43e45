import { z } from "zod";
import { contains, parseCidr } from "./ipv4";
import { FrontDoorKind, IamHaConfig, NODE_ROLES, NodeConfig, SiteConfig, VipConfig, ZoneConfig } from "./types";
import { Problems } from "./problems";

/** Shapes of the two list keys; the checks on their values live in checks.ts. */
const nodeShape = z.strictObject({
  name: z.string(),
  privateIp: z.string(),
  role: z.enum(NODE_ROLES).optional(),
  priority: z.number().int().optional(),
});

const siteShape = z.strictObject({
  serverName: z.string(),
  port: z.number().int(),
  clientMaxBodySize: z.string().optional(),
});

const zoneShape = z.strictObject({
  availabilityZone: z.string(),
  subnetCidr: z.string(),
});

const vipShape = z.strictObject({
  address: z.string(),
  virtualRouterId: z.number().int(),
  preferred: z.string(),
  preemptDelay: z.number().int().optional(),
});

/**
 * Default priorities: 250, 240, 230, … (at most 10 nodes: down to 160). With nopreempt a priority
 * only picks the first MASTER and sets a backup's skew time, the wait after its master leaves:
 * (256 − priority)/256 of a second (VRRPv2), 62 ms at 240 where the article's 50 waits 0.8 s.
 * Distinct steps of 10 keep a clear order for three or more nodes, and stay under 254, which a
 * switchover's promotion takes.
 */
const TOP_PRIORITY = 250;
const PRIORITY_STEP = 10;
const DEFAULT_BODY_SIZE = "5m"; // the article's client_max_body_size

/** The nodes, each with its role (default frontDoor) and, on a front door, its priority (default by front-door order). */
export function parseNodes(raw: unknown, problems: Problems): NodeConfig[] {
  const nodes = parseList("nodes", nodeShape, raw, problems);
  let frontDoors = 0;
  return nodes.map((n, i) => {
    const role = n.role ?? "frontDoor";
    if (role === "frontDoor") return { ...n, role, priority: n.priority ?? TOP_PRIORITY - PRIORITY_STEP * frontDoors++ };
    if (n.priority !== undefined) {
      problems.add(
        `nodes[${i}].priority`,
        `is set on ${n.name}, a backend node, which runs no keepalived`,
        "remove it, or make the node a front door (role: frontDoor)",
      );
    }
    return { ...n, role, priority: 0 };
  });
}

/** Whether the front doors run nginx: every front door but vipOnly's. */
export const runsNginx = (frontDoor: FrontDoorKind): boolean => frontDoor !== "vipOnly";
/** Whether the front doors run keepalived and hold a VIP: every front door but the CLB's. */
export const runsKeepalived = (frontDoor: FrontDoorKind): boolean => frontDoor !== "clb";

/** The nodes that run nginx and keepalived and may hold the VIP. */
export function frontDoors<T extends Pick<NodeConfig, "role">>(nodes: T[]): T[] {
  return nodes.filter((n) => n.role === "frontDoor");
}

export function parseSites(raw: unknown, problems: Problems): SiteConfig[] {
  const sites = parseList("sites", siteShape, raw, problems);
  return sites.map((s) => ({ ...s, clientMaxBodySize: s.clientMaxBodySize ?? DEFAULT_BODY_SIZE }));
}

/**
 * The VIPs: `vips` when set (active-active), else the one VIP of `havip` and `virtualRouterId`.
 * `setKeys` are the keys the stack sets itself (not by default): both forms at once is a problem.
 */
export function parseVips(raw: unknown, single: VipConfig, setKeys: string[], problems: Problems): VipConfig[] {
  if (raw === undefined) return [single];
  for (const key of ["havip", "virtualRouterId"].filter((k) => setKeys.includes(k))) {
    problems.add(key, "is set together with vips, which lists every VIP", `remove it (pulumi config rm ${key}) and give the address and router id in vips`);
  }
  return parseList("vips", vipShape, raw, problems);
}

/** The zones beyond the first (frontDoor clb), each with its subnet. */
export function parseZones(raw: unknown, problems: Problems): ZoneConfig[] {
  return parseList("moreZones", zoneShape, raw, problems);
}

/** The zone whose subnet holds `node`'s address (undefined when none does: a config problem). */
export function zoneOf(config: Pick<IamHaConfig, "network">, node: Pick<NodeConfig, "privateIp">): ZoneConfig | undefined {
  return config.network.zones.find((z) => {
    const cidr = parseCidr(z.subnetCidr);
    return cidr !== undefined && contains(cidr, node.privateIp);
  });
}

function parseList<T>(key: string, shape: z.ZodType<T>, raw: unknown, problems: Problems): T[] {
  if (raw === undefined) return [];
  const result = z.array(shape).safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    problems.add(`${key}${where}`, issue.message, `correct it in the stack file (example: Pulumi.prod.yaml)`);
  }
  return [];
}
