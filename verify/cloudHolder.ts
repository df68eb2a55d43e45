import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { NamespacedSetting } from "../config/pulumiConfigJson";
import * as tencentcloud from "../tencentcloud";

/**
 * What Tencent Cloud says now, read through one of the provider's own data sources (`ask`): a
 * throwaway Automation API program (no resources, a local file backend in a temp folder) that
 * only invokes it during a preview. Needs the Pulumi CLI and Tencent credentials
 * (TENCENTCLOUD_SECRET_ID / _KEY), as `pulumi up` does.
 */
async function askTencent<T>(what: string, providerConfig: Record<string, NamespacedSetting>, ask: () => Promise<T>): Promise<T> {
  let answer: { value: T } | undefined;
  const program = async () => {
    answer = { value: await ask() };
    return {};
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iam-ha-verify-"));
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "iam-ha-verify", stackName: "holder", program },
      {
        workDir: dir,
        projectSettings: { name: "iam-ha-verify", runtime: "nodejs", backend: { url: `file://${dir}` } },
        envVars: { PULUMI_CONFIG_PASSPHRASE: "", PULUMI_SKIP_UPDATE_CHECK: "true" },
      },
    );
    // Every tencentcloud:* setting of the deployed stack, secrets as secrets (in a 0700 temp dir, removed below).
    await stack.setAllConfig(providerConfig);
    await stack.preview();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (answer === undefined) throw new Error(`${what} did not answer`);
  return answer.value;
}

/** Which CVM Tencent Cloud binds the HAVIP to right now (getVips). */
export async function havipHolderFromTencent(havipId: string, providerConfig: Record<string, NamespacedSetting>): Promise<string | null> {
  return askTencent(`getVips for HAVIP ${havipId}`, providerConfig, async () => {
    const result = await tencentcloud.ha.getVips({ id: havipId });
    return result.haVipLists?.[0]?.instanceId || null;
  });
}

/** One target of one of the CLB's rules, as Tencent Cloud sees it. */
export interface ClbTarget {
  domain: string;
  ip: string;
  port: number;
  healthy: boolean;
  /** Alive, Dead or Unknown (not probed yet, or probing). */
  status: string;
}

/** How the CLB sees each target of each rule right now (getTargetHealth: DescribeTargetHealth). */
export async function clbTargetsFromTencent(clbId: string, providerConfig: Record<string, NamespacedSetting>): Promise<ClbTarget[]> {
  return askTencent(`getTargetHealth for CLB ${clbId}`, providerConfig, async () => {
    const result = await tencentcloud.clb.getTargetHealth({ loadBalancerIds: [clbId] });
    return (result.loadBalancers ?? []).flatMap((lb) =>
      (lb.listeners ?? []).flatMap((listener) =>
        (listener.rules ?? []).flatMap((rule) =>
          (rule.targets ?? []).map((t) => ({ domain: rule.domain, ip: t.ip, port: t.port, healthy: t.healthStatus, status: t.healthStatusDetail })),
        ),
      ),
    );
  });
}
