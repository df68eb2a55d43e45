import { checkAccess } from "./accessChecks";
import { Cidr, parseCidr } from "./ipv4";
import { checkHostAddress, checkNetwork, checkZone } from "./networkChecks";
import { checkRange, Problems } from "./problems";
import { frontDoors, zoneOf } from "./lists";
import { IamHaConfig, NodeConfig, VIP_STATE_PORT } from "./types";

/** Values from the article that are public knowledge and so no secret at all. */
const SAMPLE_AUTH_PASSWORDS = ["1111", "123456"];
const SAMPLE_DB_PASSWORDS = ["iam1234"];
/**
 * What a value in nginx or keepalived config cannot contain: whitespace, quotes, braces, ; # \,
 * ! (keepalived starts a comment there: auth_pass Xy!k2 is the password Xy), $ (keepalived
 * expands $NAME definitions), or non-ASCII.
 */
export const CONF_FORBIDDEN = /[\s"'{};#\\!$]|[^\x20-\x7e]/;
/** keepalived's PASS authentication keeps only the first 8 characters. */
const MAX_AUTH_PASS_LENGTH = 8;
const NGINX_LISTEN_PORT = 80;
/** Tencent binds an HAVIP to at most 10 CVMs (AssociateHaVipInstance; the HAVIP guide, 215/36694). */
const MAX_HAVIP_INSTANCES = 10;
const SSH_PORT = 22;
const MARIADB_PORT = 3306;
const SSHD_REASON = "nginx would send HTTP to sshd and the peers' backend rule would open SSH between the nodes";
/** MariaDB's database-level privileges, which GRANT … ON db.* takes (besides ALL). */
export const TABLE_PRIVILEGES = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "CREATE",
  "DROP",
  "ALTER",
  "INDEX",
  "REFERENCES",
  "CREATE TEMPORARY TABLES",
  "LOCK TABLES",
  "EXECUTE",
  "CREATE VIEW",
  "SHOW VIEW",
  "CREATE ROUTINE",
  "ALTER ROUTINE",
  "EVENT",
  "TRIGGER",
  "DELETE HISTORY",
];
const DB_PRIVILEGES = ["ALL", ...TABLE_PRIVILEGES];
/** MariaDB's own schemas ("System Tables", https://mariadb.com/kb/en/system-tables); compared in lower case. */
const SYSTEM_SCHEMAS = ["mysql", "information_schema", "performance_schema", "sys"];

/**
 * Every rule on values, each problem naming its key and fix. `region` is the stack's
 * tencentcloud:region (another namespace), when it sets one.
 */
export function checkConfig(c: IamHaConfig, region: string | undefined, problems: Problems): void {
  const subnet = checkNetwork(c, region, problems);
  checkNodes(c, subnet, problems);
  checkVrrp(c, subnet, problems);
  if (c.frontDoor === "clb") checkClb(c, region, problems);
  checkSites(c, problems);
  checkDatabase(c, problems);
  checkAccess(c, problems);
  checkAlerts(c, problems);
}

function checkAlerts(c: IamHaConfig, problems: Problems): void {
  checkRange("vipWatchSeconds", c.alerts.vipWatchSeconds, 0, 86400, problems);
  const url = c.secrets.alertWebhook;
  // The URL is written into a curl config file (render/), one quoted line: no control characters, ASCII only.
  if (/[\x00-\x1f\x7f]|[^\x00-\x7f]/.test(url)) {
    problems.add(
      "alertWebhook",
      "contains a control character or a non-ASCII character, which curl's config file cannot hold",
      "percent-encode it (a space is %20, é is %C3%A9), then run: pulumi config set --secret alertWebhook 'https://…'",
    );
  } else if (url && !/^https?:\/\/[^\s"'\\]+$/.test(url)) {
    problems.add("alertWebhook", "is not an http(s) URL without spaces or quotes", "run: pulumi config set --secret alertWebhook 'https://…'");
  }
}

function checkNodes(c: IamHaConfig, subnet: Cidr | undefined, problems: Problems): void {
  const doors = frontDoors(c.nodes).length;
  if (doors < 2) {
    problems.add("nodes", `has ${doors} front door(s); failover needs at least 2`, "list two or more nodes with role frontDoor (the default)");
  }
  if (doors > MAX_HAVIP_INSTANCES && c.frontDoor !== "clb") {
    problems.add(
      "nodes",
      `has ${doors} front doors; an HAVIP can be bound to at most ${MAX_HAVIP_INSTANCES} instances`,
      `make at most ${MAX_HAVIP_INSTANCES} nodes front doors (the rest role: backend), or split them into stacks`,
    );
  }
  const seen = new Map<string, string>();
  c.nodes.forEach((node, i) => {
    const key = `nodes[${i}]`;
    if (c.frontDoor === "vipOnly" && node.role === "backend") {
      problems.add(
        `${key}.role`,
        `is backend on ${node.name}, but with frontDoor vipOnly no nginx proxies to other nodes: a backend-only node would get no traffic`,
        "make it a front door (remove role), or run nginx in front (pulumi config set frontDoor havip)",
      );
    }
    if (!/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/.test(node.name)) {
      problems.add(`${key}.name`, `"${node.name}" is not a valid host name`, "use 2-32 lowercase letters, digits and dashes, e.g. node-1");
    }
    checkNodeAddress(c, key, node, subnet, problems);
    const unique: [string, string][] = [
      ["name", node.name],
      ["privateIp", node.privateIp],
    ];
    if (node.role === "frontDoor") {
      if (node.priority < 1 || node.priority > 254) {
        problems.add(`${key}.priority`, `${node.priority} is outside keepalived's 1-254`, "pick a priority from 1 to 254");
      }
      unique.push(["priority", String(node.priority)]);
    }
    for (const [what, value] of unique) {
      const other = seen.get(`${what}=${value}`);
      if (other)
        problems.add(`${key}.${what}`, `${value} is also used by ${other}`, `give every ${what === "priority" ? "front door" : "node"} its own ${what}`);
      seen.set(`${what}=${value}`, key);
    }
  });
}

/** A node's address: in the subnet, or with several zones in one of theirs. */
function checkNodeAddress(c: IamHaConfig, key: string, node: NodeConfig, subnet: Cidr | undefined, problems: Problems): void {
  if (c.network.zones.length === 1) return checkHostAddress(`${key}.privateIp`, node.privateIp, subnet, problems);
  const zone = zoneOf(c, node);
  if (!zone) {
    const subnets = c.network.zones.map((z) => `${z.subnetCidr} (${z.availabilityZone})`).join(", ");
    problems.add(
      `${key}.privateIp`,
      `${node.privateIp} is in no zone's subnet: ${subnets}`,
      "use an address inside the subnet of the zone the node should sit in",
    );
    return;
  }
  checkHostAddress(`${key}.privateIp`, node.privateIp, parseCidr(zone.subnetCidr), problems);
}

function checkVrrp(c: IamHaConfig, subnet: Cidr | undefined, problems: Problems): void {
  const { vrrp } = c;
  if (c.frontDoor !== "clb") {
    checkVips(c, subnet, problems);
    checkVrrpVersion(c, problems);
    checkRange("checkInterval", vrrp.checkInterval, 1, 3600, problems);
    checkRange("checkFall", vrrp.checkFall, 1, 100, problems);
    checkRange("checkRise", vrrp.checkRise, 1, 100, problems);
  }
  checkRange("upstreamMaxFails", c.upstream.maxFails, 0, 100, problems);
  checkRange("upstreamFailTimeout", c.upstream.failTimeout, 1, 3600, problems);
  checkRange("proxyConnectTimeoutMs", c.upstream.connectTimeoutMs, 50, 75_000, problems);
  checkRange("upstreamKeepalive", c.upstream.keepalive, 0, 10000, problems);
  if (!/^[A-Za-z0-9._-]{1,15}$/.test(vrrp.interface)) {
    problems.add("vrrpInterface", `"${vrrp.interface}" is not an interface name`, "use the nodes' interface, e.g. eth0");
  }
}

/** Tencent's health-check ranges for a CLB rule (the API's HealthCheck; the interval above the 2 s timeout). */
const CLB_INTERVAL = [3, 300];
const CLB_THRESHOLD = [2, 10];
/** A CLB rule takes at most 100 targets (the provider's attachment). */
const MAX_CLB_TARGETS = 100;

/**
 * frontDoor clb: no VIP, no keepalived (so none of their keys matter); the health checks in
 * Tencent's ranges; master and standby zones both or neither, two zones of the region.
 */
function checkClb(c: IamHaConfig, region: string | undefined, problems: Problems): void {
  const { clb } = c;
  if (c.vips.length > 1 || c.vips[0]?.preferred !== undefined) {
    problems.add("vips", "is set with frontDoor clb, which has no VIP: the CLB is the front door", "remove vips");
  }
  checkRange("clbHealthInterval", clb.healthInterval, CLB_INTERVAL[0], CLB_INTERVAL[1], problems);
  checkRange("clbHealthyThreshold", clb.healthyThreshold, CLB_THRESHOLD[0], CLB_THRESHOLD[1], problems);
  checkRange("clbUnhealthyThreshold", clb.unhealthyThreshold, CLB_THRESHOLD[0], CLB_THRESHOLD[1], problems);
  if (Boolean(clb.masterZone) !== Boolean(clb.slaveZone)) {
    problems.add(
      clb.masterZone ? "clbSlaveZone" : "clbMasterZone",
      "a master zone and a standby zone go together",
      "set both clbMasterZone and clbSlaveZone, or neither",
    );
  } else if (clb.masterZone && clb.slaveZone) {
    checkZone("clbMasterZone", clb.masterZone, region, problems);
    checkZone("clbSlaveZone", clb.slaveZone, region, problems);
    if (clb.masterZone === clb.slaveZone)
      problems.add("clbSlaveZone", `is ${clb.slaveZone}, the master zone too`, "pick another zone of the region for the standby");
  }
  const doors = frontDoors(c.nodes).length;
  if (doors > MAX_CLB_TARGETS)
    problems.add("nodes", `has ${doors} front doors; a CLB rule takes at most ${MAX_CLB_TARGETS} targets`, `make at most ${MAX_CLB_TARGETS} nodes front doors`);
}

/** keepalived's preempt_delay range (keepalived.conf(5)). */
const MAX_PREEMPT_DELAY = 1000;

/**
 * Each VIP: a free address in the subnet and a router id of its own; with vips, a preferred front
 * door. The keys are havip and virtualRouterId for a stack's one VIP, vips[i].… for a list.
 */
function checkVips(c: IamHaConfig, subnet: Cidr | undefined, problems: Problems): void {
  const listed = c.vips.length > 1 || c.vips[0]?.preferred !== undefined;
  if (c.vips.length === 0) problems.add("vips", "lists no VIP", "list at least one {address, virtualRouterId, preferred}, or remove vips to use havip");
  if (listed && c.frontDoor === "vipOnly") {
    problems.add(
      "vips",
      "is set with frontDoor vipOnly, which serves the one VIP of havip and virtualRouterId",
      "remove vips and set havip, or put nginx in front (pulumi config set frontDoor havip)",
    );
  }
  const doors = frontDoors(c.nodes).map((n) => n.name);
  const seen = new Map<string, string>();
  c.vips.forEach((vip, i) => {
    const key = (field: "address" | "virtualRouterId") => (listed ? `vips[${i}].${field}` : field === "address" ? "havip" : field);
    checkHostAddress(key("address"), vip.address, subnet, problems);
    const holder = c.nodes.find((n) => n.privateIp === vip.address);
    if (holder) problems.add(key("address"), `${vip.address} is ${holder.name}'s own address`, "pick a free address for the HAVIP");
    checkRange(key("virtualRouterId"), vip.virtualRouterId, 1, 255, problems);
    for (const [field, value] of [
      ["address", vip.address],
      ["virtualRouterId", String(vip.virtualRouterId)],
    ] as const) {
      const other = seen.get(`${field}=${value}`);
      if (other) problems.add(key(field), `${value} is also ${other}'s`, `give every VIP its own ${field}`);
      seen.set(`${field}=${value}`, `vips[${i}]`);
    }
    if (vip.preferred !== undefined && !doors.includes(vip.preferred)) {
      problems.add(`vips[${i}].preferred`, `"${vip.preferred}" is not a front door of this stack`, `name one of: ${doors.join(", ")}`);
    }
    if (vip.preemptDelay !== undefined) checkRange(`vips[${i}].preemptDelay`, vip.preemptDelay, 0, MAX_PREEMPT_DELAY, problems);
  });
}

/**
 * What each VRRP version allows (keepalived 2.2.7 vrrp_parser.c, checked with keepalived -t):
 * VRRPv2 rounds a fractional advert_int and has PASS authentication; VRRPv3 counts in units of
 * 10 ms up to 40.95 s and has none, so a vrrpAuthPass there would protect nothing.
 */
function checkVrrpVersion(c: IamHaConfig, problems: Problems): void {
  const { vrrp, secrets } = c;
  if (vrrp.version !== 2 && vrrp.version !== 3) {
    problems.add(
      "vrrpVersion",
      `${vrrp.version} is not a VRRP version keepalived speaks`,
      "run: pulumi config set vrrpVersion 2 (or 3 for sub-second adverts)",
    );
    return;
  }
  if (Number.isNaN(vrrp.advertInt)) return;
  if (vrrp.version === 2) {
    if (!Number.isInteger(vrrp.advertInt) || vrrp.advertInt < 1 || vrrp.advertInt > 255) {
      problems.add(
        "advertInt",
        `${vrrp.advertInt} is not a whole number of seconds from 1 to 255, which VRRPv2 needs`,
        "run: pulumi config set advertInt 1, or pulumi config set vrrpVersion 3 for a fraction",
      );
    }
    checkAuthPass(secrets.vrrpAuthPass, problems);
    return;
  }
  const centiseconds = Math.round(vrrp.advertInt * 100);
  if (Math.abs(centiseconds - vrrp.advertInt * 100) > 1e-6 || centiseconds < 1 || centiseconds > 4095) {
    problems.add("advertInt", `${vrrp.advertInt} is not 0.01-40.95 s in steps of 0.01, which VRRPv3 needs`, "run: pulumi config set advertInt 0.3");
  }
  if (secrets.vrrpAuthPass !== "") {
    problems.add(
      "vrrpAuthPass",
      "is set, but VRRPv3 (vrrpVersion 3) has no authentication",
      "run: pulumi config rm vrrpAuthPass (the firewall and security group admit VRRP from the peers only)",
    );
  }
}

function checkAuthPass(pass: string, problems: Problems): void {
  const passFix = "run: pulumi config set --secret vrrpAuthPass '<1-8 random characters>'";
  if (pass.length === 0) problems.add("vrrpAuthPass", "is empty or not set, and VRRPv2 (vrrpVersion 2) authenticates with it", passFix);
  if (pass.length > MAX_AUTH_PASS_LENGTH) {
    problems.add("vrrpAuthPass", `has ${pass.length} characters; keepalived's PASS authentication uses at most ${MAX_AUTH_PASS_LENGTH}`, passFix);
  }
  if (SAMPLE_AUTH_PASSWORDS.includes(pass)) problems.add("vrrpAuthPass", "is the article's sample password", passFix);
  if (CONF_FORBIDDEN.test(pass))
    problems.add("vrrpAuthPass", "contains a space, quote, brace, ; # \\ ! $ or a non-ASCII character, which keepalived.conf cannot hold", passFix);
}

function checkSites(c: IamHaConfig, problems: Problems): void {
  if (c.sites.length === 0) problems.add("sites", "lists no site", "list at least one {serverName, port}");
  const names = new Set<string>();
  const ports = new Map<number, string>();
  c.sites.forEach((site, i) => {
    const key = `sites[${i}]`;
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(site.serverName)) {
      problems.add(`${key}.serverName`, `"${site.serverName}" is not a host name`, "use a lowercase DNS name, e.g. iam.api.marmotedu.com");
    }
    if (names.has(site.serverName)) problems.add(`${key}.serverName`, `${site.serverName} is listed twice`, "list each site once");
    names.add(site.serverName);
    if (!Number.isInteger(site.port) || site.port < 1 || site.port > 65535) {
      problems.add(`${key}.port`, `${site.port} is not a TCP port`, "use the backend's port, 1-65535 (iam-apiserver: 8080)");
    } else if (c.frontDoor === "vipOnly") {
      const taken = takenPublicPort(site.port, c.ssh.port);
      const other = ports.get(site.port);
      if (taken) problems.add(`${key}.port`, `${site.port} is ${taken}`, "serve the site on another port, e.g. 8888");
      else if (other) {
        problems.add(
          `${key}.port`,
          `${site.port} is also ${other}'s port, and with frontDoor vipOnly a site is its port on the VIP (no nginx tells sites apart by name)`,
          "give each site a port of its own, or put nginx in front (pulumi config set frontDoor havip)",
        );
      }
      ports.set(site.port, `sites[${i}] (${site.serverName})`);
    } else {
      const taken = takenPort(site.port, c.ssh.port);
      if (taken) problems.add(`${key}.port`, `${site.port} is ${taken}`, "run the backend on another port, e.g. 8080");
    }
    if (!/^\d+[kKmMgG]?$/.test(site.clientMaxBodySize)) {
      problems.add(`${key}.clientMaxBodySize`, `"${site.clientMaxBodySize}" is not an nginx size`, "use a number with k, m or g, e.g. 5m");
    }
  });
}

/** Why a port on the nodes cannot be a site's backend; undefined when it can. */
function takenPort(port: number, sshPort: number): string | undefined {
  if (port === NGINX_LISTEN_PORT) return "the port nginx itself listens on";
  if (port === SSH_PORT) return `SSH's port: ${SSHD_REASON}`;
  if (port === sshPort) return `sshPort, the nodes' SSH port: ${SSHD_REASON}`;
  if (port === MARIADB_PORT) return "MariaDB's port: nginx would send HTTP to MariaDB and the site would publish the database";
  return undefined;
}

/**
 * Why a port cannot be a site's with frontDoor vipOnly, where it is open to the Internet on every
 * front door; undefined when it can (80 too: no nginx takes it).
 */
function takenPublicPort(port: number, sshPort: number): string | undefined {
  const open = "with frontDoor vipOnly a site's port is open to the Internet on every front door";
  if (port === SSH_PORT || port === sshPort) return `${port === SSH_PORT ? "SSH's port" : "sshPort, the nodes' SSH port"}: ${open}, SSH included`;
  if (port === MARIADB_PORT) return `MariaDB's port: ${open}, which would publish the database`;
  if (port === VIP_STATE_PORT) return `the port each front door serves its VRRP state on to the others' VIP watch (frontDoor vipOnly)`;
  return undefined;
}

function checkDatabase(c: IamHaConfig, problems: Problems): void {
  const { database, secrets } = c;
  if (!c.nodes.some((n) => n.name === database.node)) {
    problems.add(
      "dbNode",
      `"${database.node}" is not one of the nodes (${c.nodes.map((n) => n.name).join(", ")})`,
      "name a node from iam-ha:nodes, or leave it empty for the first",
    );
  }
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database.name)) {
    problems.add("dbName", `"${database.name}" is not a plain database name`, "use letters, digits and _ only");
  } else if (SYSTEM_SCHEMAS.includes(database.name.toLowerCase())) {
    problems.add(
      "dbName",
      `"${database.name}" is one of MariaDB's own schemas: privileges on it (mysql.* holds every account) let the peers take over the server`,
      "use the IAM database, e.g. iam",
    );
  }
  if (!/^[A-Za-z0-9_]{1,80}$/.test(database.user)) {
    problems.add("dbUser", `"${database.user}" is not a plain user name`, "use letters, digits and _ only");
  }
  const unknown = database.privileges.filter((p) => !DB_PRIVILEGES.includes(p));
  if (unknown.length > 0 || database.privileges.length === 0) {
    problems.add(
      "dbPrivileges",
      `"${unknown.join(", ") || "(none)"}" is not a MariaDB table privilege`,
      `use ALL or a comma-separated list of ${DB_PRIVILEGES.slice(1).join(", ")}`,
    );
  }
  const fix = "run: pulumi config set --secret dbPassword '<a strong password>'";
  if (secrets.dbPassword.length === 0) problems.add("dbPassword", "is empty", fix);
  if (SAMPLE_DB_PASSWORDS.includes(secrets.dbPassword)) problems.add("dbPassword", "is the article's sample password", fix);
  // A control character (a newline above all) cannot stand in a client's option file.
  if (/[\x00-\x1f\x7f]/.test(secrets.dbPassword)) problems.add("dbPassword", "contains a control character such as a newline", fix);
}
