import { frontDoors } from "../config/lists";
import { IamHaConfig, NodeConfig } from "../config/types";
import { renderAlertFiles } from "./alerts";
import { renderVipWatchFiles } from "./vipWatch";
import { RenderedFile } from "./files";
import { confValue, renderTemplate, shellValue } from "./mustache";
import { PATHS } from "./osFacts";

/** Seconds the nginx check may take: no longer than the interval, so checks never pile up. */
export function checkTimeout(config: IamHaConfig): number {
  return Math.max(1, config.vrrp.checkInterval);
}

/** The vrrp_instance's name, which the step script looks up in keepalived's data dump. */
export function instanceName(config: IamHaConfig): string {
  return `IAM_HA_${config.vrrp.virtualRouterId}`;
}

/** keepalived.conf (holds the VRRPv2 password), the nginx check and the notify script for `node`. */
export function renderKeepalivedFiles(config: IamHaConfig, node: NodeConfig): RenderedFile[] {
  const { vrrp } = config;
  const conf = renderTemplate(
    "keepalived.conf.mustache",
    {
      node: node.name,
      instanceName: instanceName(config),
      interface: vrrp.interface,
      virtualRouterId: vrrp.virtualRouterId,
      priority: node.priority,
      advertInt: vrrp.advertInt,
      vrrpV3: vrrp.version === 3,
      authPass: config.secrets.vrrpAuthPass,
      privateIp: node.privateIp,
      peers: frontDoors(config.nodes)
        .filter((n) => n.name !== node.name)
        .map((n) => ({ privateIp: n.privateIp })),
      havip: vrrp.havip,
      checkScript: PATHS.checkScript,
      checkInterval: vrrp.checkInterval,
      checkTimeout: checkTimeout(config),
      checkFall: vrrp.checkFall,
      checkRise: vrrp.checkRise,
      trackNginxStop: vrrp.trackNginxStop,
      trackNginxProcess: vrrp.trackNginxProcess,
      notifyScript: PATHS.notifyScript,
      nginxStoppedFile: PATHS.nginxStoppedFile,
      maintenanceFile: PATHS.maintenanceFile,
      rolloutHoldFile: PATHS.rolloutHoldFile,
      promoteFile: PATHS.promoteFile,
    },
    confValue,
  );
  const alerting = config.secrets.alertWebhook !== "";
  const scriptView = {
    node: node.name,
    havip: vrrp.havip,
    checkTimeout: checkTimeout(config),
    alertScript: alerting ? PATHS.alertScript : "",
    stateDir: PATHS.runtimeDir,
    stateFile: PATHS.vrrpStateFile,
    persistentDir: PATHS.stateDir,
    notifyLog: PATHS.notifyLog,
  };
  return [
    { path: PATHS.keepalivedConf, mode: "0600", content: conf, secret: true },
    { path: PATHS.checkScript, mode: "0755", content: renderTemplate("check_nginx.sh.mustache", scriptView, shellValue), secret: false },
    { path: PATHS.notifyScript, mode: "0755", content: renderTemplate("keepalived_notify.sh.mustache", scriptView, shellValue), secret: false },
    { path: PATHS.tmpfilesConf, mode: "0644", content: renderTemplate("tmpfiles.conf.mustache", scriptView, shellValue), secret: false },
    ...renderAlertFiles(config, node),
    ...renderVipWatchFiles(config, node),
  ];
}
