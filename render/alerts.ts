import { AlertFormat, IamHaConfig, NodeConfig } from "../config/types";
import { RenderedFile } from "./files";
import { curlConfigValue, renderTemplate, shellValue } from "./mustache";
import { PATHS } from "./osFacts";

export const ALERT_FORMATS: readonly AlertFormat[] = ["generic", "wecom", "dingtalk", "slack"];

/** The alert sender and its root-only webhook config, when a webhook is configured. */
export function renderAlertFiles(config: IamHaConfig, node: NodeConfig): RenderedFile[] {
  const { alerts } = config;
  if (!config.secrets.alertWebhook) return [];
  const formats = Object.fromEntries(ALERT_FORMATS.map((f) => [f, f === alerts.format]));
  const view = {
    node: node.name,
    havip: config.vips[0].address,
    format: alerts.format,
    ...formats,
    curlConfig: PATHS.alertCurlConfig,
    notifyLog: PATHS.notifyLog,
  };
  return [
    { path: PATHS.alertScript, mode: "0755", content: renderTemplate("iam_ha_alert.sh.mustache", view, shellValue), secret: false },
    // curlConfigValue escapes what curl's quoted strings read specially; & and = stay as they are.
    {
      path: PATHS.alertCurlConfig,
      mode: "0600",
      content: renderTemplate("iam-ha-alert.curl.mustache", { node: node.name, url: config.secrets.alertWebhook }, curlConfigValue),
      secret: true,
    },
  ];
}
