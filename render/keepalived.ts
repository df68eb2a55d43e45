import { frontDoors, runsNginx } from "../config/lists";
import { IamHaConfig, NodeConfig } from "../config/types";
import { renderAlertFiles } from "./alerts";
import { renderVipWatchFiles } from "./vipWatch";
import { RenderedFile } from "./files";
import { confValue, renderTemplate, shellValue } from "./mustache";
import { PATHS } from "./osFacts";
import { allVipNames, vipPriority } from "./vips";

/** Seconds the nginx check may take: no longer than the interval, so checks never pile up. */
export function checkTimeout(config: IamHaConfig): number {
  return Math.max(1, config.vrrp.checkInterval);
}

/** What keepalived's vrrp_script asks on the node itself. */
export interface HealthCheck {
  /** The vrrp_script's name in keepalived.conf. */
  name: string;
  script: string;
  /** The script's purpose, for its header line. */
  purpose: string;
  urls: string[];
}

/**
 * nginx's own health location (frontDoor havip), or, with no nginx (vipOnly), /healthz on every
 * site's port: the holder must serve every site the EIP leads to.
 */
export function healthCheck(config: IamHaConfig): HealthCheck {
  if (runsNginx(config.frontDoor)) {
    return {
      name: "check_nginx",
      script: PATHS.checkScript,
      purpose: "nginx check. Exit 0 when nginx answers locally",
      urls: ["http://127.0.0.1/iam-ha-health"],
    };
  }
  return {
    name: "check_sites",
    script: PATHS.sitesCheckScript,
    purpose: "site check. Exit 0 when every site answers /healthz locally",
    urls: config.sites.map((s) => `http://127.0.0.1:${s.port}/healthz`),
  };
}

/** keepalived.conf (holds the VRRPv2 password), the health check and the notify script for `node`. */
export function renderKeepalivedFiles(config: IamHaConfig, node: NodeConfig): RenderedFile[] {
  const { vrrp } = config;
  const check = healthCheck(config);
  const nginx = runsNginx(config.frontDoor);
  const conf = renderTemplate(
    "keepalived.conf.mustache",
    {
      node: node.name,
      interface: vrrp.interface,
      instances: allVipNames(config).map(({ vip, instanceName }) => ({
        instanceName,
        virtualRouterId: vip.virtualRouterId,
        priority: vipPriority(config, vip, node),
        havip: vip.address,
        preferred: vip.preferred ?? "",
        preemptive: vip.preemptDelay !== undefined,
        preemptDelay: vip.preemptDelay ?? 0,
      })),
      advertInt: vrrp.advertInt,
      vrrpV3: vrrp.version === 3,
      authPass: config.secrets.vrrpAuthPass,
      privateIp: node.privateIp,
      peers: frontDoors(config.nodes)
        .filter((n) => n.name !== node.name)
        .map((n) => ({ privateIp: n.privateIp })),
      nginx,
      checkName: check.name,
      checkScript: check.script,
      checkInterval: vrrp.checkInterval,
      checkTimeout: checkTimeout(config),
      checkFall: vrrp.checkFall,
      checkRise: vrrp.checkRise,
      // Without nginx there is no nginx to track.
      trackNginxStop: nginx && vrrp.trackNginxStop,
      trackNginxProcess: nginx && vrrp.trackNginxProcess,
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
    vips: allVipNames(config).map(({ vip, stateFile }) => ({ address: vip.address, stateFile })),
    primaryVip: config.vips[0].address,
    checkTimeout: checkTimeout(config),
    alertScript: alerting ? PATHS.alertScript : "",
    stateDir: PATHS.runtimeDir,
    persistentDir: PATHS.stateDir,
    notifyLog: PATHS.notifyLog,
    nginx,
  };
  const checkView = {
    node: node.name,
    purpose: check.purpose,
    checkTimeout: checkTimeout(config),
    several: check.urls.length > 1,
    firstUrl: check.urls[0],
    moreUrls: check.urls.slice(1),
  };
  return [
    { path: PATHS.keepalivedConf, mode: "0600", content: conf, secret: true },
    { path: check.script, mode: "0755", content: renderTemplate("check_http.sh.mustache", checkView, shellValue), secret: false },
    { path: PATHS.notifyScript, mode: "0755", content: renderTemplate("keepalived_notify.sh.mustache", scriptView, shellValue), secret: false },
    { path: PATHS.tmpfilesConf, mode: "0644", content: renderTemplate("tmpfiles.conf.mustache", scriptView, shellValue), secret: false },
    ...renderAlertFiles(config, node),
    ...renderVipWatchFiles(config, node),
  ];
}
