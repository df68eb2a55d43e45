import * as path from "path";
import { frontDoors, runsNginx } from "../config/lists";
import { IamHaConfig, NodeConfig, VIP_STATE_PORT } from "../config/types";
import { RenderedFile } from "./files";
import { renderTemplate, shellValue, unitValue } from "./mustache";
import { PATHS } from "./osFacts";
import { allVipNames } from "./vips";

/**
 * The VIP watch's script, service and timer for `node`, when vipWatchSeconds is not 0; with
 * frontDoor vipOnly also the socket that serves this node's VRRP state to the watch (nginx does
 * it otherwise).
 */
export function renderVipWatchFiles(config: IamHaConfig, node: NodeConfig): RenderedFile[] {
  const seconds = config.alerts.vipWatchSeconds;
  if (seconds === 0) return [];
  const nginx = runsNginx(config.frontDoor);
  const view = {
    node: node.name,
    // The primary VIP keeps the watch's one-VIP state file; each other has its own beside it.
    vips: allVipNames(config).map(({ vip, statePath, primary }) => ({
      address: vip.address,
      statePath,
      watchStateFile: primary ? PATHS.watchStateFile : `${PATHS.watchStateFile}-${vip.virtualRouterId}`,
    })),
    seconds,
    nginx,
    // nginx: this node asks itself over loopback, which its nginx allows, and the others by private
    // IP. The state socket listens on the private IP only, this node's too.
    nodes: frontDoors(config.nodes).map((n) => ({ name: n.name, address: nginx && n.name === node.name ? "127.0.0.1" : n.privateIp })),
    statePort: VIP_STATE_PORT,
    privateIp: node.privateIp,
    stateFile: PATHS.vrrpStateFile,
    stateSocket: path.basename(PATHS.stateSocket),
    watchScript: PATHS.watchScript,
    notifyLog: PATHS.notifyLog,
    alertScript: config.secrets.alertWebhook ? PATHS.alertScript : "",
  };
  return [
    { path: PATHS.watchScript, mode: "0755", content: renderTemplate("iam_ha_vip_watch.sh.mustache", view, shellValue), secret: false },
    { path: PATHS.watchService, mode: "0644", content: renderTemplate("iam-ha-vip-watch.service.mustache", view, unitValue), secret: false },
    { path: PATHS.watchTimer, mode: "0644", content: renderTemplate("iam-ha-vip-watch.timer.mustache", view, unitValue), secret: false },
    ...(nginx
      ? []
      : [
          { path: PATHS.stateSocket, mode: "0644", content: renderTemplate("iam-ha-vip-state.socket.mustache", view, unitValue), secret: false },
          { path: PATHS.stateService, mode: "0644", content: renderTemplate("iam-ha-vip-state@.service.mustache", view, unitValue), secret: false },
        ]),
  ];
}
