import { FrontDoorKind } from "../config/types";

/**
 * The post-deploy checks, shared by `npm run verify` (a deployed stack) and the lab, for every VIP
 * of the stack: every site answers through the VIP's EIP, requests reach every node's backend
 * (frontDoor havip) or only the VIP's holder (vipOnly), exactly one node holds the VIP (and the
 * cloud agrees), and the MariaDB peers can log in. Where the checks run is the target's business.
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

export interface VerifyTarget {
  /** The primary VIP's EIP and HAVIP. */
  eip: string;
  havip: string;
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
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export const HEALTHY_BODY = '{"status":"ok"}';

export async function verify(target: VerifyTarget, requestsPerSite = 10): Promise<Check[]> {
  const vips = targetVips(target);
  const answers: HttpAnswer[][][] = [];
  for (const vip of vips) {
    const perSite: HttpAnswer[][] = [];
    for (const site of target.sites) perSite.push(await ask(target, site, vip.eip, requestsPerSite));
    answers.push(perSite);
  }
  const states = await target.nodeStates();
  const checks: Check[] = [];
  for (const [v, vip] of vips.entries()) {
    const held = holdingsOf(states, vip, v === 0);
    // With several EIPs the checks that do not name an address say which EIP they went through.
    const through = vips.length > 1 ? ` through ${vip.eip}` : "";
    target.sites.forEach((site, i) => checks.push(...checkSite(target, vip.eip, through, site, answers[v][i], held)));
    checks.push(vipCheck(vip.address, held));
    if (target.vipHolderInCloud) checks.push(await cloudHolderCheck(vip.address, held, target.vipHolderInCloud.bind(target)));
  }
  for (const login of await target.dbLogins()) {
    checks.push({ name: `MariaDB login from ${login.peer}`, ok: login.ok, detail: login.detail });
  }
  return checks;
}

/** The target's VIPs, the primary first; a target that lists none has one, its havip through its eip. */
const targetVips = (target: VerifyTarget): TargetVip[] => (target.vips && target.vips.length > 0 ? target.vips : [{ address: target.havip, eip: target.eip }]);

/**
 * Each node's state for one VIP: the primary's is the node's own state; a further VIP's from
 * moreVips, or NOT PROBED where the target's probe did not ask for it.
 */
function holdingsOf(states: NodeState[], vip: TargetVip, primary: boolean): NodeState[] {
  if (primary) return states;
  return states.map((s) => ({ name: s.name, ...(s.moreVips?.[vip.address] ?? { state: "NOT PROBED", holdsVip: false }) }));
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

export function formatTable(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length), 5);
  const rows = checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`);
  return [`${"RESULT".padEnd(4)}  ${"CHECK".padEnd(width)}  DETAIL`, ...rows].join("\n");
}
