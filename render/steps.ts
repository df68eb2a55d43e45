import * as path from "path";
import { runsKeepalived, runsNginx } from "../config/lists";
import { IamHaConfig, NodeConfig } from "../config/types";
import { RenderedFile } from "./files";
import { FIREWALL_TABLE, renderFirewallFiles, statePort, VIP_LO_LABEL } from "./firewall";
import { renderGrants } from "./grants";
import { healthCheck, renderKeepalivedFiles } from "./keepalived";
import { shellValue, renderTemplate, templateText } from "./mustache";
import { renderNginxFiles, tellsKeepalived } from "./nginx";
import { allVipNames } from "./vips";
import { CLB_PACKAGES, BACKEND_PACKAGES, FRONT_DOOR_PACKAGES, OS_FACTS, PATHS, VIP_ONLY_PACKAGES } from "./osFacts";

export type StepKind = "ready" | "packages" | "firewall" | "nginx" | "vrrp-hold" | "keepalived" | "vrrp-release" | "grant" | "retire";

/** One remote step on one node, in the order the node runs them. */
export interface HostStep {
  /** Unique on the node: ready, packages, firewall, nginx, vrrp-hold, keepalived, vrrp-release, grant-<peer>. */
  name: string;
  kind: StepKind;
  /** The bash script sent on stdin: `bash -s -- apply` runs it, `bash -s -- remove` (when `undoable`) undoes it. */
  script: string;
  /** Whether the step leaves something to undo; waiting for boot and installed packages leave nothing. */
  undoable: boolean;
  /** Whether the script holds a secret (the VRRP or database password). */
  secret: boolean;
  /** What the step acts on, where that is more than the node: when it changes, the old step is removed and a new one applied. */
  identity?: string[];
  /** The files the step installs. */
  files: RenderedFile[];
}

export interface NodePlan {
  node: NodeConfig;
  steps: HostStep[];
}

/**
 * Steps whose apply leaves nothing to undo: the node was booted, packages stay installed, and a
 * hold is always released in the same run.
 */
const NOTHING_TO_UNDO: StepKind[] = ["ready", "packages", "vrrp-hold", "vrrp-release", "retire"];

/** The line that ends every file embedded in a script (a quoted heredoc: nothing in it expands). */
export const HEREDOC_END = "IAMHA_EOF";
/** How long a node's nginx may take to serve again after a reload before its roll stops. */
const HEALTH_WAIT_SECONDS = 15;
/** How long a node released from a hold may take to settle as BACKUP or MASTER. */
const RELEASE_SETTLE_SECONDS = 15;
/** How long a new CVM may take to finish cloud-init. */
const BOOT_WAIT_SECONDS = 600;

export type StepAction = "apply" | "remove";

/** The command that runs a step's stdin script, as root. */
export function stepCommand(config: IamHaConfig, action: StepAction): string {
  const shell = `bash -s -- ${action}`;
  return config.ssh.user === "root" ? shell : `sudo -n ${shell}`;
}

/** What a node installs: nginx where it fronts the sites, keepalived where it may hold a VIP. */
function packagesOf(config: IamHaConfig, node: NodeConfig): string[] {
  if (node.role === "backend") return BACKEND_PACKAGES;
  return { havip: FRONT_DOOR_PACKAGES, vipOnly: VIP_ONLY_PACKAGES, clb: CLB_PACKAGES }[config.frontDoor];
}

/**
 * Every step for `node`: the front door (firewall, nginx, keepalived; no nginx with frontDoor
 * vipOnly) on a front door, only the firewall on a backend node, and the grants on the database node.
 */
export function planNode(config: IamHaConfig, node: NodeConfig): NodePlan {
  const facts = OS_FACTS[config.compute.osFamily];
  const frontDoor = node.role === "frontDoor";
  const keepalived = frontDoor && runsKeepalived(config.frontDoor);
  const steps: HostStep[] = [
    step(node, "ready", {
      view: { bootWaitSeconds: BOOT_WAIT_SECONDS, packageManager: facts.packageManager, osFamily: config.compute.osFamily },
    }),
    step(node, "packages", {
      view: { packages: packagesOf(config, node), apt: facts.packageManager === "apt-get" },
    }),
    // Right after the packages (nftables): every later step then dials in through the firewall, and
    // the firewall step itself refuses to load when its runner's own SSH would be cut off.
    step(node, "firewall", {
      files: renderFirewallFiles(config, node),
      view: {
        ruleset: PATHS.firewallRuleset,
        unit: path.basename(PATHS.firewallUnit),
        table: FIREWALL_TABLE,
        adminCidr: config.network.adminCidr,
        sshPort: config.ssh.port,
        frontDoor,
        keepalived,
        sysctlConf: PATHS.sysctlConf,
        vips: config.vips.map((vip) => ({ address: vip.address })),
        vipList: config.vips.map((vip) => vip.address).join(","),
        loLabel: VIP_LO_LABEL,
        // A node that was a front door keeps no VIP settings.
        absentFiles: keepalived ? [] : [PATHS.sysctlConf],
      },
    }),
    ...(frontDoor ? frontDoorSteps(config, node) : []),
  ];
  if (node.name === config.database.node) steps.push(...grantSteps(config, node));
  return { node, steps };
}

/** nginx (not with vipOnly), then keepalived behind a hold and a release (not behind a CLB): what makes a node a front door. */
function frontDoorSteps(config: IamHaConfig, node: NodeConfig): HostStep[] {
  return [...(runsNginx(config.frontDoor) ? [nginxStep(config, node)] : []), ...(runsKeepalived(config.frontDoor) ? keepalivedSteps(config, node) : [])];
}

function nginxStep(config: IamHaConfig, node: NodeConfig): HostStep {
  return step(node, "nginx", {
    files: renderNginxFiles(config, node),
    managedDirs: [PATHS.siteDir],
    view: {
      configDirs: [path.dirname(PATHS.nginxConf)],
      stateDir: PATHS.runtimeDir,
      stoppedFile: PATHS.nginxStoppedFile,
      healthWaitSeconds: HEALTH_WAIT_SECONDS,
      // Turned off (or no keepalived to tell), the drop-in must go too: it lies outside the
      // directories iam-ha owns whole.
      absentFiles: tellsKeepalived(config) ? [] : [PATHS.nginxDropIn],
    },
  });
}

function keepalivedSteps(config: IamHaConfig, node: NodeConfig): HostStep[] {
  const check = healthCheck(config);
  const watching = config.alerts.vipWatchSeconds > 0;
  // The state socket serves the VIP watch where no nginx does.
  const serving = statePort(config) !== undefined;
  const vips = allVipNames(config);
  const primary = vips[0];
  return [
    step(node, "vrrp-hold", {
      secret: true,
      // The primary VIP's holder is the one the roll takes last (components/roll.ts): it stays in.
      view: { ...vrrpSettingsView(config), interface: config.vrrp.interface, havip: primary.vip.address, stateFile: primary.stateFile },
    }),
    step(node, "keepalived", {
      files: renderKeepalivedFiles(config, node),
      view: {
        configDirs: [path.dirname(PATHS.keepalivedConf)],
        configPath: PATHS.keepalivedConf,
        checkScript: check.script,
        instanceNames: vips.map((v) => v.instanceName),
        tmpfilesConf: PATHS.tmpfilesConf,
        // A node turns BACKUP at once and MASTER after about three missed adverts.
        stateWaitSeconds: 30 + Math.ceil(4 * config.vrrp.advertInt),
        absentFiles: [
          ...(config.secrets.alertWebhook ? [] : [PATHS.alertScript, PATHS.alertCurlConfig]),
          ...(watching ? [] : [PATHS.watchScript, PATHS.watchService, PATHS.watchTimer]),
          ...(serving ? [] : [PATHS.stateSocket, PATHS.stateService]),
          // The other front door's check (a stack that changed frontDoor).
          ...[PATHS.checkScript, PATHS.sitesCheckScript].filter((p) => p !== check.script),
        ],
        watchTimer: path.basename(PATHS.watchTimer),
        watching,
        stateSocket: path.basename(PATHS.stateSocket),
        serving,
        holdFiles: [PATHS.rolloutHoldFile, PATHS.maintenanceFile],
      },
    }),
    step(node, "vrrp-release", {
      secret: true,
      view: { ...vrrpSettingsView(config), stateFiles: vips.map((v) => v.stateFile), settleSeconds: RELEASE_SETTLE_SECONDS },
    }),
  ];
}

/** On the database node, one grant per other node (every node runs the IAM services). */
function grantSteps(config: IamHaConfig, node: NodeConfig): HostStep[] {
  return renderGrants(config).map((grant) => {
    const { user, host } = grant;
    return {
      ...step(node, "grant", {
        name: `grant-${grant.peer.name}`,
        secret: true,
        view: {
          user,
          host,
          peer: grant.peer.name,
          database: config.database.name,
          privileges: config.database.privileges.join(","),
          grantSql: grant.grantSql.trimEnd(),
          dropSql: grant.dropSql.trimEnd(),
        },
      }),
      identity: [`${user}@${host}`, config.database.name],
    };
  });
}

/**
 * The one step for a node the stack no longer has, run in the update that removes it, before any
 * remaining node's keepalived changes: its keepalived stops (templates/steps/retire.sh.mustache).
 */
export function retireStep(nodeName: string): HostStep {
  return step({ name: nodeName }, "retire", { view: {} });
}

/**
 * The VRRP settings every node's adverts must share to be heard (keepalived drops an advert whose
 * router id, interval, version or password differs: vrrp.c, vrrp_check_packet), as keepalived.conf spells
 * them, in its order (instance by instance): vrrp-hold compares them with the node's live config.
 */
export function vrrpSettings(config: IamHaConfig): string {
  const { vrrp, secrets } = config;
  const versioned = vrrp.version === 3 ? "version 3" : `auth_pass ${secrets.vrrpAuthPass}`;
  return config.vips.map((vip) => [`virtual_router_id ${vip.virtualRouterId}`, `advert_int ${vrrp.advertInt}`, versioned].join("|")).join("|");
}

function vrrpSettingsView(config: IamHaConfig): object {
  return { vrrpSettings: vrrpSettings(config), configPath: PATHS.keepalivedConf, holdFile: PATHS.rolloutHoldFile };
}

interface StepParts {
  /** The files it installs. */
  files?: RenderedFile[];
  /** The step template's own values. */
  view: object;
  /** Directories it owns whole (stale files there are removed). */
  managedDirs?: string[];
  /** Defaults to the kind; grants are named per peer. */
  name?: string;
  /** Defaults to whether a file holds a secret. */
  secret?: boolean;
}

function step(node: Pick<NodeConfig, "name">, kind: StepKind, parts: StepParts): HostStep {
  const { files = [], view, managedDirs = [], name = kind } = parts;
  const secret = parts.secret ?? files.some((f) => f.secret);
  const script = renderTemplate(
    `steps/${kind}.sh.mustache`,
    {
      absentFiles: [],
      configDirs: [],
      ...view,
      step: name,
      node: node.name,
      secretStep: secret ? 1 : 0,
      managedDirs,
      delimiter: HEREDOC_END,
      files: files.map((f) => ({ path: f.path, mode: f.mode, content: embeddable(f) })),
    },
    shellValue,
    { lib: templateText("steps/lib.sh.mustache") },
  );
  return { name, kind, script, secret, files, undoable: !NOTHING_TO_UNDO.includes(kind) };
}

/** A file's content as a heredoc body: its final newline is the heredoc's own. */
function embeddable(file: RenderedFile): string {
  if (file.content.split("\n").includes(HEREDOC_END)) {
    throw new Error(`${file.path} contains the line ${HEREDOC_END}, which would end its heredoc early`);
  }
  return file.content.replace(/\n$/, "");
}
