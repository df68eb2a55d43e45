import { FrontDoorKind } from "../config/types";

/**
 * The post-deploy checks, shared by `npm run verify` (a deployed stack) and the lab, for every VIP
 * of the stack: every site answers through the VIP's EIP, requests reach every node's backend
 * (frontDoor havip) or only the VIP's holder (vipOnly), exactly one node holds the VIP (and the
 * cloud agrees), and the MariaDB peers can log in. A stack without a VIP (frontDoor clb) is asked
 * through its load balancer's address instead, with no holder to check, and the load balancer's
 * own view of its targets where the target can read it. Where the checks run is the target's business.
 */

export interface HttpAnswer {
  status: number;
  body: string;
  /** The node whose backend answered, when the backend says so (the lab's stand-ins do). */
  node?: string;
}

/** keepalived's view of one VIP on one node. */
export interface VipHolding {
  /** keepalived's state for the VIP: MASTER, BACKUP, FAULT, or STOPPED when keepalived does not run. */
  state: string;
  /** The VIP is on the node's VRRP interface. */
  holdsVip: boolean;
}

/** A front door's state and holding of the primary VIP (what every one-VIP tool reads), and of each further VIP. */
export interface NodeState extends VipHolding {
  name: string;
  /** Active-active: each further VIP's holding by its address, where the probe asked for them. */
  moreVips?: Record<string, VipHolding>;
}

/** One VIP as a user reaches it. */
export interface TargetVip {
  /** The HAVIP, on a front door's VRRP interface. */
  address: string;
  /** Its EIP: where users send requests for it. */
  eip: string;
}

/** One peer's login to the database node. */
export interface DbLogin {
  peer: string;
  ok: boolean;
  detail: string;
}

/** One front door as the load balancer in front of it sees it for one site (frontDoor clb). */
export interface TargetHealth {
  site: string;
  node: string;
  healthy: boolean;
  /** What the load balancer says, e.g. Tencent's Alive/Dead/Unknown, or HAProxy's "UP", "DOWN (L4TOUT)". */
  status: string;
}

export interface VerifyTarget {
  /** The primary VIP's EIP (frontDoor clb: the load balancer's address), and its HAVIP: none without a VIP (frontDoor clb). */
  eip: string;
  havip?: string;
  /** Every VIP, the primary first (active-active); absent: havip through eip alone. */
  vips?: TargetVip[];
  sites: string[];
  nodes: string[];
  /**
   * What stands at the VIP (default havip): nginx, which balances each site over every node's
   * backend; or vipOnly: each site on its own port of the EIP, served by the VIP's holder alone.
   */
  frontDoor?: FrontDoorKind;
  /** With frontDoor vipOnly, each site's port on the EIP (by serverName). */
  sitePorts?: Record<string, number>;
  /** GET http://<eip><path> with Host: <site> (vipOnly: on the site's port), from where a user stands. */
  get(site: string, path: string, eip: string): Promise<HttpAnswer>;
  /** Each front door's state, every VIP's holding included (NodeState.moreVips for the further ones). */
  nodeStates(): Promise<NodeState[]>;
  /** Each peer logs in to the database node as the configured user. */
  dbLogins(): Promise<DbLogin[]>;
  /**
   * The node the cloud itself binds the HAVIP at `havip` to (Tencent Cloud's getVips), where
   * there is a cloud: keepalived's MASTER of that VIP must be that node, or traffic goes elsewhere
   * than keepalived thinks.
   */
  vipHolderInCloud?(havip: string): Promise<string | null>;
  /** The nodes the load balancer must send to (frontDoor clb); default: every node. */
  frontDoors?: string[];
  /**
   * frontDoor clb: how the load balancer sees each front door for each site, where the target can
   * ask it (Tencent Cloud's getTargetHealth; the lab's stand-in's own health checks).
   */
  targetHealth?(): Promise<TargetHealth[]>;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export const HEALTHY_BODY = '{"status":"ok"}';

/**
 * Requests per site and node behind a CLB: with the backends reached in no fixed order, one node
 * missing from 10 × 4 requests is a chance of 4 × (3/4)^40, about 4 in 100,000.
 */
const CLB_REQUESTS_PER_NODE = 10;

export async function verify(target: VerifyTarget, requestsPerSite = 10): Promise<Check[]> {
  const vips = targetVips(target);
  // Without a VIP, users reach the sites through the one address in front (the CLB's), which no node holds.
  const entrances: { eip: string; vip?: TargetVip }[] = vips.length > 0 ? vips.map((vip) => ({ eip: vip.eip, vip })) : [{ eip: target.eip }];
  // Behind a CLB every front door's nginx keeps its own round robin, so the backends are reached in
  // no fixed order: enough requests that each node's is reached by design, not by luck.
  const requests = target.frontDoor === "clb" ? Math.max(requestsPerSite, CLB_REQUESTS_PER_NODE * target.nodes.length) : requestsPerSite;
  const answers: HttpAnswer[][][] = [];
  for (const { eip } of entrances) {
    const perSite: HttpAnswer[][] = [];
    for (const site of target.sites) perSite.push(await ask(target, site, eip, requests));
    answers.push(perSite);
  }
  const states = vips.length > 0 ? await target.nodeStates() : [];
  const checks: Check[] = [];
  for (const [v, { eip, vip }] of entrances.entries()) {
    const held = vip ? holdingsOf(states, vip.address, v === 0) : [];
    // With several EIPs the checks that do not name an address say which EIP they went through.
    const through = entrances.length > 1 ? ` through ${eip}` : "";
    target.sites.forEach((site, i) => checks.push(...checkSite(target, eip, through, site, answers[v][i], held)));
    if (!vip) continue;
    checks.push(vipCheck(vip.address, held));
    if (target.vipHolderInCloud) checks.push(await cloudHolderCheck(vip.address, held, target.vipHolderInCloud.bind(target)));
  }
  if (target.targetHealth) checks.push(await targetHealthCheck(target.sites, target.frontDoors ?? target.nodes, target.targetHealth.bind(target)));
  for (const login of await target.dbLogins()) {
    checks.push({ name: `MariaDB login from ${login.peer}`, ok: login.ok, detail: login.detail });
  }
  return checks;
}

/**
 * The target's VIPs, the primary first; a target that lists none has one, its havip through its
 * eip, or none at all without a havip (frontDoor clb).
 */
function targetVips(target: VerifyTarget): TargetVip[] {
  if (target.vips && target.vips.length > 0) return target.vips;
  return target.havip === undefined ? [] : [{ address: target.havip, eip: target.eip }];
}

/**
 * Each node's state for one VIP: the primary's is the node's own state; a further VIP's from
 * moreVips, or NOT PROBED where the target's probe did not ask for it.
 */
export function holdingsOf(states: NodeState[], address: string, primary: boolean): NodeState[] {
  if (primary) return states;
  return states.map((s) => ({ name: s.name, ...(s.moreVips?.[address] ?? { state: "NOT PROBED", holdsVip: false }) }));
}

async function ask(target: VerifyTarget, site: string, eip: string, requests: number): Promise<HttpAnswer[]> {
  const answers: HttpAnswer[] = [];
  for (let i = 0; i < requests; i++) answers.push(await target.get(site, "/healthz", eip));
  return answers;
}

/** Where a user reaches `site`: the EIP (nginx picks the site by name), or its port on the EIP (vipOnly). */
const siteAddress = (target: VerifyTarget, eip: string, site: string) =>
  target.frontDoor === "vipOnly" && target.sitePorts?.[site] ? `${eip}:${target.sitePorts[site]}` : eip;

/** `site` through `eip`, whose VIP `states` say who holds; `through` names the EIP where the name would not. */
function checkSite(target: VerifyTarget, eip: string, through: string, site: string, answers: HttpAnswer[], states: NodeState[]): Check[] {
  const requests = answers.length;
  const healthy = answers.filter((a) => a.status === 200 && a.body.trim() === HEALTHY_BODY).length;
  const checks: Check[] = [
    {
      name: `${site} /healthz through ${siteAddress(target, eip, site)}`,
      ok: healthy === requests,
      detail:
        healthy === requests
          ? `${requests}/${requests} answered ${HEALTHY_BODY}`
          : `${healthy}/${requests} healthy; first bad: ${describe(answers.find((a) => a.status !== 200 || a.body.trim() !== HEALTHY_BODY)!)}`,
    },
  ];
  const byNode = countBy(answers.map((a) => a.node).filter((n): n is string => n !== undefined));
  if (Object.keys(byNode).length > 0 && target.frontDoor === "vipOnly") {
    // No nginx spreads the requests: the VIP leads to one node, which serves them all.
    const holders = states.filter((s) => s.holdsVip).map((s) => s.name);
    const holder = holders.length === 1 ? holders[0] : undefined;
    const all = holder !== undefined && byNode[holder] === requests;
    checks.push({
      name: `${site} is served by the VIP's holder alone${through}`,
      ok: all,
      detail: all
        ? `${requests}/${requests} from ${holder}`
        : `${Object.entries(byNode)
            .map(([n, c]) => `${n}: ${c}`)
            .join(", ")}; the VIP's holder: ${holders.join(" and ") || "none"}`,
    });
  } else if (Object.keys(byNode).length > 0 && target.frontDoor === "clb") {
    // The CLB spreads the requests over the front doors, and each nginx over every node's backend
    // in its own round robin (its own counter, moved by the CLB's health checks too): every node's
    // backend must be reached, in no fixed proportion.
    const counts = target.nodes.map((n) => byNode[n] ?? 0);
    checks.push({
      name: `${site} reaches every node's backend${through}`,
      ok: counts.every((c) => c > 0),
      detail: target.nodes.map((n, i) => `${n}: ${counts[i]}`).join(", "),
    });
  } else if (Object.keys(byNode).length > 0) {
    const counts = target.nodes.map((n) => byNode[n] ?? 0);
    const even = Math.max(...counts) - Math.min(...counts) <= 1;
    checks.push({
      name: `${site} balances over every node's backend${through}`,
      ok: counts.every((c) => c > 0) && even,
      detail: target.nodes.map((n, i) => `${n}: ${counts[i]}`).join(", ") + (even ? " (round robin)" : " (uneven)"),
    });
  }
  return checks;
}

function describe(a: HttpAnswer): string {
  return a.status === 0 ? `no answer (${a.body})` : `HTTP ${a.status} ${a.body.slice(0, 80)}`;
}

function countBy(items: string[]): Record<string, number> {
  return items.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});
}

/** Each node's state in one line: "node-1 MASTER (holds VIP), node-2 BACKUP". */
export const describeStates = (states: NodeState[]): string => states.map((s) => `${s.name} ${s.state}${s.holdsVip ? " (holds VIP)" : ""}`).join(", ");

/** Exactly one holder of `havip`, which keepalived calls MASTER of its instance; two MASTERs is split brain. */
function vipCheck(havip: string, states: NodeState[]): Check {
  const holders = states.filter((s) => s.holdsVip).map((s) => s.name);
  const masters = states.filter((s) => s.state === "MASTER").map((s) => s.name);
  const summary = describeStates(states);
  let problem = "";
  if (masters.length > 1 || holders.length > 1) problem = `split brain: ${[...new Set([...masters, ...holders])].join(" and ")} both claim ${havip}`;
  else if (holders.length === 0) problem = `no node holds ${havip}`;
  else if (masters[0] !== holders[0]) problem = `${holders[0]} holds ${havip} but keepalived says ${masters[0] ?? "nobody"} is MASTER`;
  return { name: `exactly one node holds the HAVIP ${havip}`, ok: problem === "", detail: problem || summary };
}

/** keepalived's MASTER of `havip` against the instance Tencent Cloud binds that HAVIP to. */
async function cloudHolderCheck(havip: string, states: NodeState[], holderInCloud: (havip: string) => Promise<string | null>): Promise<Check> {
  const name = `Tencent Cloud binds ${havip} to keepalived's MASTER`;
  const master = states.find((s) => s.state === "MASTER" && s.holdsVip)?.name ?? null;
  try {
    const inCloud = await holderInCloud(havip);
    const ok = inCloud !== null && inCloud === master;
    const detail = ok ? `both say ${master}` : `keepalived: ${master ?? "no MASTER"}, Tencent Cloud: ${inCloud ?? "bound to no instance (the EIP idles)"}`;
    return { name, ok, detail };
  } catch (error) {
    return { name, ok: false, detail: `could not ask Tencent Cloud: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The load balancer's own view: every site has targets, and it counts every one of them healthy
 * (an unhealthy target gets no traffic, so the balance check alone could pass on a shrunken pool
 * only by luck, never by design).
 */
async function targetHealthCheck(sites: string[], frontDoors: string[], targetHealth: () => Promise<TargetHealth[]>): Promise<Check> {
  const name = "the CLB sees every front door healthy";
  try {
    const seen = await targetHealth();
    const problems = sites.flatMap((site) => {
      const targets = seen.filter((t) => t.site === site);
      if (targets.length === 0) return [`${site}: no targets`];
      // A front door deregistered (in the console, or a replaced CVM not yet attached) gets no traffic, healthy or not.
      const missing = frontDoors.filter((node) => !targets.some((t) => t.node === node)).map((node) => `${site}: ${node} not a target`);
      return [...missing, ...targets.filter((t) => !t.healthy).map((t) => `${site}: ${t.node} ${t.status}`)];
    });
    const detail = sites
      .map(
        (site) =>
          `${site}: ${
            seen
              .filter((t) => t.site === site)
              .map((t) => t.node)
              .join(", ") || "none"
          }`,
      )
      .join("; ");
    return { name, ok: problems.length === 0, detail: problems.length === 0 ? `${detail} healthy` : problems.join("; ") };
  } catch (error) {
    return { name, ok: false, detail: `could not ask the CLB: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function formatTable(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length), 5);
  const rows = checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`);
  return [`${"RESULT".padEnd(4)}  ${"CHECK".padEnd(width)}  DETAIL`, ...rows].join("\n");
}
