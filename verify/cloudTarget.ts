import * as http from "http";
import { HttpAnswer, TargetHealth, VerifyTarget } from "../common/checks";
import type { ClbTarget } from "./cloudHolder";
import { mariadbLogins } from "../common/mariadbLogin";
import { parseProbe, probeScript } from "../common/nodeProbe";
import { SshRunner } from "./ssh";
import { DeployedStack, sshAddress } from "./stackOutputs";

export interface CloudTargetOptions {
  /** Where SSH commands go: the system client in use, a fake in tests. */
  ssh: SshRunner;
  /** The EIP's HTTP port (nginx's 80, or with frontDoor vipOnly each site's own); tests point it at a local server. */
  httpPort?: number;
  httpTimeoutMs?: number;
  /** The instance id Tencent Cloud binds a HAVIP (by its id) to (verify/cloudHolder.ts; a fake in tests). */
  havipHolder?: (havipId: string, providerConfig: DeployedStack["providerConfig"]) => Promise<string | null>;
  /** frontDoor clb: how the CLB (by its id) sees each target of each rule (verify/cloudHolder.ts; a fake in tests). */
  clbTargets?: (clbId: string, providerConfig: DeployedStack["providerConfig"]) => Promise<ClbTarget[]>;
}

const BODY_LIMIT = 64 * 1024;

/** One GET as a user sends it; the Host header picks the site, so node's http (fetch forbids Host). */
export function httpGet(address: string, port: number, site: string, path: string, timeoutMs = 3000): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: HttpAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(answer);
    };
    // No keep-alive agent: every request is a new connection, like separate users, and none lingers.
    const req = http.request({ host: address, port, path, method: "GET", headers: { Host: site }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(c);
        size += c.length;
      });
      res.on("end", () => {
        const header = res.headers["x-iam-node"];
        const node = Array.isArray(header) ? header[0] : header;
        finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ...(node ? { node } : {}) });
      });
      res.on("error", (e) => finish({ status: 0, body: e.message }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, body: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    req.on("error", (e) => finish({ status: 0, body: e.message }));
    req.end();
  });
}

/** The verifier's view of a deployed stack: HTTP from here to each VIP's EIP, the rest over SSH. */
export function cloudTarget(stack: DeployedStack, options: CloudTargetOptions): VerifyTarget {
  const sudo = stack.ssh.user === "root" ? "" : "sudo -n ";
  const dbNode = stack.nodes.find((n) => n.name === stack.db.node)!;
  // The primary is probed as it always was; each further VIP by its address and state file.
  const moreVips = stack.vips.slice(1).map(({ address, stateFile }) => ({ address, stateFile }));
  // Behind a CLB no keepalived runs: nothing to probe.
  const probe = stack.havip === undefined ? undefined : probeScript(stack.vrrpInterface, stack.havip, moreVips);
  const { clbId } = stack;
  return {
    eip: stack.publicIp,
    havip: stack.havip,
    vips: stack.vips.map((vip) => ({ address: vip.address, eip: vip.publicIp })),
    sites: stack.sites,
    nodes: stack.nodes.map((n) => n.name),
    frontDoors: stack.frontDoors,
    frontDoor: stack.frontDoor,
    sitePorts: stack.frontDoor === "vipOnly" ? stack.sitePorts : undefined,
    get: (site, path, eip) => httpGet(eip, options.httpPort ?? (stack.frontDoor === "vipOnly" ? stack.sitePorts[site] : 80), site, path, options.httpTimeoutMs),
    nodeStates: () =>
      Promise.all(
        stack.nodes
          .filter((node) => probe !== undefined && stack.frontDoors.includes(node.name))
          .map(async (node) => parseProbe(node.name, await options.ssh(sshAddress(stack, node), `${sudo}sh -s`, probe!), moreVips)),
      ),
    targetHealth: clbId && options.clbTargets ? () => targetHealthOf(stack, clbId, options.clbTargets!) : undefined,
    vipHolderInCloud: options.havipHolder && ((havip) => holderNode(stack, havip, options.havipHolder!)),
    dbLogins: () =>
      mariadbLogins(
        { host: dbNode.privateIp, ...stack.db },
        stack.nodes.filter((n) => n !== dbNode),
        (peer, command, stdin) => options.ssh(sshAddress(stack, peer), command, stdin),
      ),
  };
}

/** The CLB's view of every front door for every site, its targets named by the nodes' private IPs. */
async function targetHealthOf(stack: DeployedStack, clbId: string, clbTargets: NonNullable<CloudTargetOptions["clbTargets"]>): Promise<TargetHealth[]> {
  const targets = await clbTargets(clbId, stack.providerConfig);
  return targets.map((t) => ({
    site: t.domain,
    node: stack.nodes.find((n) => n.privateIp === t.ip)?.name ?? `${t.ip}:${t.port} (not a node of this stack)`,
    healthy: t.healthy,
    status: t.status,
  }));
}

/** The node whose CVM Tencent Cloud binds the HAVIP at `havip` to, by the stack's instance ids. */
async function holderNode(stack: DeployedStack, havip: string, havipHolder: NonNullable<CloudTargetOptions["havipHolder"]>): Promise<string | null> {
  const havipId = stack.vips.find((vip) => vip.address === havip)?.havipId;
  if (!havipId || stack.nodes.some((n) => !n.instanceId)) {
    throw new Error(`stack ${stack.name} has no havipId for ${havip} or no instance ids in its outputs; run pulumi up with this version of iam-ha`);
  }
  const instance = await havipHolder(havipId, stack.providerConfig);
  if (instance === null) return null;
  return stack.nodes.find((n) => n.instanceId === instance)?.name ?? `${instance} (not a node of this stack)`;
}
