import { isIpv4, privateRangeOf } from "./ipv4";
import { IamHaConfig } from "./types";

/**
 * What the config allows but an operator should hear about: each line names the key and the fix.
 * Warnings, not refusals: the stack may already have what they ask for (a NAT gateway, say).
 */
export function configWarnings(c: IamHaConfig): string[] {
  const warnings: string[] = [];
  // The webhook is a secret (its URL often holds a token): no part of it goes into a warning.
  const webhookHost = hostOf(c.secrets.alertWebhook);
  if (c.compute.nodeBandwidthOut === 0 && webhookHost && !isPrivateAddress(webhookHost)) {
    warnings.push(
      `iam-ha:alertWebhook: the nodes have no public IP (nodeBandwidthOut: 0) and the program makes no NAT gateway, so its posts (to a public address) ` +
        "time out and transitions reach only /var/log/keepalived.log (package installs, too, depend on Tencent's internal mirror). " +
        "Fix: add a NAT gateway with a 0.0.0.0/0 route to the subnet's route table, set nodeBandwidthOut to 1 or more, " +
        "or point alertWebhook at a relay inside the VPC.",
    );
  }
  if (c.frontDoor === "clb" && c.secrets.alertWebhook) {
    warnings.push(
      "iam-ha:alertWebhook: with frontDoor clb no keepalived runs, so nothing posts to it (the CLB's health checks take failed front doors out by themselves). " +
        "Fix: remove it (pulumi config rm alertWebhook), and alert on the CLB's unhealthy targets in Tencent Cloud Observability instead.",
    );
  }
  return warnings;
}

function hostOf(url: string): string | undefined {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
}

const isPrivateAddress = (host: string) => isIpv4(host) && privateRangeOf({ network: host, prefix: 32 }) !== undefined;
