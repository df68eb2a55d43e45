import * as path from "path";
import { frontDoors, runsKeepalived } from "../config/lists";
import { IamHaConfig, NodeConfig, SiteConfig } from "../config/types";
import { RenderedFile } from "./files";
import { confValue, renderTemplate, unitValue } from "./mustache";
import { OS_FACTS, PATHS } from "./osFacts";
import { allVipNames } from "./vips";

/** nginx.conf and one file per site for `node`. */
export function renderNginxFiles(config: IamHaConfig, node: NodeConfig): RenderedFile[] {
  const facts = OS_FACTS[config.compute.osFamily];
  const main = renderTemplate(
    "nginx.conf.mustache",
    {
      node: node.name,
      nginxUser: facts.nginxUser,
      modulesInclude: facts.modulesInclude,
      siteInclude: `${path.relative(path.dirname(PATHS.nginxConf), PATHS.siteDir)}/*.conf`,
      // The other front doors' VIP watch asks this nginx for keepalived's state.
      peers: frontDoors(config.nodes)
        .filter((n) => n.name !== node.name)
        .map((n) => n.privateIp),
      // One location per VIP: its state file (none behind a CLB: no VIP).
      states: runsKeepalived(config.frontDoor) ? allVipNames(config).map(({ statePath, stateFile }) => ({ statePath, stateFile })) : [],
    },
    confValue,
  );
  return [
    { path: PATHS.nginxConf, mode: "0644", content: main, secret: false },
    ...(tellsKeepalived(config) ? [renderDropIn(node)] : []),
    ...config.sites.map((site) => renderSite(config, node, site)),
  ];
}

/** Whether nginx's stop is written where keepalived tracks it: trackNginxStop, where keepalived runs. */
export function tellsKeepalived(config: IamHaConfig): boolean {
  return config.vrrp.trackNginxStop && runsKeepalived(config.frontDoor);
}

/** The systemd drop-in that reports nginx's stop to keepalived (see nginx-dropin.conf.mustache). */
function renderDropIn(node: NodeConfig): RenderedFile {
  const view = { node: node.name, stateDir: PATHS.runtimeDir, stoppedFile: PATHS.nginxStoppedFile };
  return { path: PATHS.nginxDropIn, mode: "0644", content: renderTemplate("nginx-dropin.conf.mustache", view, unitValue), secret: false };
}

function renderSite(config: IamHaConfig, node: NodeConfig, site: SiteConfig): RenderedFile {
  const { upstream } = config;
  // Every node runs the IAM services, front doors and backend nodes alike.
  const backends = config.nodes.map((n) => ({
    // The article reaches the local backend as 127.0.0.1, the others by private IP.
    address: n.name === node.name ? "127.0.0.1" : n.privateIp,
    port: site.port,
    maxFails: upstream.maxFails,
    failTimeout: upstream.failTimeout,
  }));
  const content = renderTemplate(
    "site.conf.mustache",
    {
      node: node.name,
      serverName: site.serverName,
      clientMaxBodySize: site.clientMaxBodySize,
      backends,
      backendCount: backends.length,
      keepalive: upstream.keepalive,
      connectTimeoutMs: upstream.connectTimeoutMs,
    },
    confValue,
  );
  return { path: `${PATHS.siteDir}/${site.serverName}.conf`, mode: "0644", content, secret: false };
}
