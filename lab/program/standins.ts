import * as fs from "fs";
import * as path from "path";
import { IamHaConfig } from "../../config/types";
import { LabError, log, tail } from "../hosts/exec";
import { sshExec } from "../hosts/ssh";
import type { LabNode, LabTopology } from "../hosts/topology";

/**
 * What the IAM installation (the article's earlier chapters) leaves on the nodes, played by the
 * lab: a small HTTP service on each site's backend port, and MariaDB with the iam database on the
 * database node. The program's own steps then run on top, as they would on the CVMs.
 */

const asset = (name: string) => fs.readFileSync(path.join(__dirname, "assets", name), "utf8");

async function onNode(node: LabNode, what: string, command: string, stdin?: string): Promise<string> {
  const r = await sshExec(node, command, stdin, { timeoutMs: 5 * 60_000 });
  if (r.code !== 0) throw new LabError(`${what} on ${node.name} failed (exit ${r.code}): ${tail(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** The stand-in's systemd unit on one port: "iam-standin@8080". */
export const standInUnit = (port: number) => `iam-standin@${port}`;

/** The stand-ins' systemd units, one per backend port: "iam-standin@8080 iam-standin@9090". */
export function standInUnits(config: IamHaConfig): string {
  return backendPorts(config).map(standInUnit).join(" ");
}

const backendPorts = (config: IamHaConfig) => [...new Set(config.sites.map((s) => s.port))];

/**
 * What the IAM installation leaves on `nodes` (default: every node): the backends and, on the
 * database node, MariaDB with the iam database; on its peers the MariaDB client. Nodes not named
 * are not touched (a node added or replaced gets its own, and MariaDB keeps running).
 */
export async function installStandIns(config: IamHaConfig, topology: LabTopology, nodes: LabNode[] = topology.nodes): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      await putStandIn(node);
      await onNode(node, "installing its unit", "cat > /etc/systemd/system/iam-standin@.service", asset("iam-standin@.service"));
      await onNode(node, "reloading systemd", "systemctl daemon-reload");
    }),
  );
  await startBackends(config, nodes);
  const dbNode = topology.nodes.find((n) => n.name === config.database.node)!;
  if (nodes.some((n) => n.name === dbNode.name)) await installDatabase(config, dbNode);
  await Promise.all(
    nodes
      .filter((n) => n.name !== dbNode.name)
      .map((p) =>
        onNode(
          p,
          "installing the MariaDB client",
          "apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -q mariadb-client >/dev/null 2>&1",
        ),
      ),
  );
}

/**
 * A backend on each site's port on `nodes`, as the IAM installation provides one before a site or a
 * port is added to the stack. Those already running are left alone.
 */
export async function startBackends(config: IamHaConfig, nodes: LabNode[]): Promise<void> {
  const units = standInUnits(config);
  await Promise.all(
    nodes.map(async (node) => {
      await onNode(node, "starting the backend stand-ins", `systemctl enable --now ${units} >/dev/null 2>&1`);
      log(`${node.name}: backend stand-ins answer on ${backendPorts(config).join(", ")}`);
    }),
  );
}

/**
 * This checkout's backend stand-in on `node`, if it has another (or none); running stand-in units
 * restart on it. Returns whether it was replaced.
 */
async function putStandIn(node: LabNode): Promise<boolean> {
  const script = [
    "new=$(mktemp)",
    'cat > "$new"',
    'if cmp -s "$new" /usr/local/bin/iam-standin; then rm -f "$new"; exit 0; fi',
    'install -m 0755 "$new" /usr/local/bin/iam-standin && rm -f "$new"',
    "systemctl try-restart 'iam-standin@*'",
    "echo replaced",
  ].join("\n");
  return (await onNode(node, "installing the backend stand-in", script, asset("iam-standin.py"))).includes("replaced");
}

/** The stand-in of this checkout on every node of a running lab: a lab made before it changed gets it. */
export async function refreshStandIns(topology: LabTopology): Promise<void> {
  await Promise.all(
    topology.nodes.map(async (node) => {
      if (await putStandIn(node)) log(`${node.name}: backend stand-in replaced by this checkout's`);
    }),
  );
}

async function installDatabase(config: IamHaConfig, dbNode: LabNode): Promise<void> {
  await onNode(
    dbNode,
    "installing MariaDB",
    "apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -q mariadb-server >/dev/null 2>&1",
  );
  await onNode(dbNode, "configuring MariaDB", "cat > /etc/mysql/mariadb.conf.d/60-iam-lab.cnf && systemctl restart mariadb", asset("mariadb-lab.cnf"));
  await onNode(dbNode, "creating the iam database", `mariadb -e 'CREATE DATABASE IF NOT EXISTS \`${config.database.name}\`'`);
  log(`${dbNode.name}: MariaDB runs with database ${config.database.name}`);
}
