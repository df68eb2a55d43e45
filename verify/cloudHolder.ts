import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { NamespacedSetting } from "../config/pulumiConfigJson";
import * as tencentcloud from "../tencentcloud";

/**
 * Which CVM Tencent Cloud binds the HAVIP to right now, read through the provider's own getVips
 * data source: a throwaway Automation API program (no resources, a local file backend in a temp
 * folder) that only invokes it during a preview. Needs the Pulumi CLI and Tencent credentials
 * (TENCENTCLOUD_SECRET_ID / _KEY), as `pulumi up` does.
 */
export async function havipHolderFromTencent(havipId: string, providerConfig: Record<string, NamespacedSetting>): Promise<string | null> {
  let holder: string | null | undefined;
  const program = async () => {
    const result = await tencentcloud.ha.getVips({ id: havipId });
    holder = result.haVipLists?.[0]?.instanceId || null;
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
  if (holder === undefined) throw new Error(`getVips did not answer for HAVIP ${havipId}`);
  return holder;
}
