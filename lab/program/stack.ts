import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT } from "../../config/declaredKeys";
import { nthAddress, parseCidr } from "../../config/ipv4";
import { loadConfig } from "../../config/load";
import { mapSource } from "../../config/source";
import { asPulumiConfig, readStackFile, StackFile, stackFilePath } from "../../config/stackFile";
import { IamHaConfig } from "../../config/types";
import { receiverUrl } from "../hosts/alerts";
import { LabError } from "../hosts/exec";
import { settings } from "../hosts/paths";
import { ensureSshKey, privateKey, publicKey } from "../hosts/ssh";
import type { LabTopology } from "../hosts/topology";

/** A stack as the lab runs it: its config (with the lab's own secrets) and the lab network for it. */
export interface LabStack {
  name: string;
  config: IamHaConfig;
  /** "namespace:key" → string, as the Pulumi CLI would hand it to the program. */
  pulumiConfig: Record<string, string>;
  secretKeys: string[];
  topology: LabTopology;
}

/** The EIP's stand-in: an address of the lab's edge namespace, from a range no VPC subnet here uses. */
const LAB_EIP = "10.255.0.10";
const SECRET_FILE = () => path.join(settings.cacheDir, "secrets.json");

/** The lab's VRRP and database passwords: made once, kept with the caches (root only). */
function labSecrets(): { vrrpAuthPass: string; dbPassword: string; alertToken: string } {
  const random = (n: number) =>
    crypto
      .randomBytes(n * 2)
      .toString("base64")
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, n);
  const kept = fs.existsSync(SECRET_FILE()) ? JSON.parse(fs.readFileSync(SECRET_FILE(), "utf8")) : {};
  const secrets = { vrrpAuthPass: random(8), dbPassword: random(24), alertToken: random(16), ...kept };
  if (Object.keys(secrets).length !== Object.keys(kept).length) {
    fs.mkdirSync(settings.cacheDir, { recursive: true });
    fs.writeFileSync(SECRET_FILE(), JSON.stringify(secrets), { mode: 0o600 });
  }
  return secrets;
}

function stackFile(stack: string): StackFile {
  const file = readStackFile(stack);
  if (!file) throw new LabError(`no stack file ${path.basename(stackFilePath(stack))}: pass --stack with one of the Pulumi.<stack>.yaml files`);
  return file;
}

/**
 * Loads a stack for the lab: its file, with the lab's SSH key and passwords in place of the
 * stack's secrets (which only Pulumi can decrypt), and `overrides` on top (the bench's other
 * settings). The loader's errors surface before anything is made.
 */
export async function loadLabStack(stack: string, overrides: Record<string, unknown> = {}): Promise<LabStack> {
  await ensureSshKey();
  const { alertToken, ...secrets } = labSecrets();
  const file = stackFile(stack);
  const values: Record<string, unknown> = {
    ...file.values,
    ...overrides,
    ...secrets,
    sshPrivateKey: privateKey(),
    sshPublicKey: publicKey().trim(),
    // The lab reaches nodes over their private IPs from inside its own namespace, as root.
    sshVia: "private",
    sshUser: "root",
    nodeBandwidthOut: 0,
  };
  const secretKeys = ["vrrpAuthPass", "dbPassword", "sshPrivateKey", "alertWebhook"];
  // Alerts go to the lab's own receiver, on the router address of this stack's subnet.
  values.alertWebhook = receiverUrl(labTopology(loadConfig(mapSource(values, secretKeys))), alertToken);
  const config = loadConfig(mapSource(values, secretKeys));
  const pulumiConfig = asPulumiConfig(values, file.others);
  return { name: stack, config, pulumiConfig, secretKeys: secretKeys.map((k) => `${PROJECT}:${k}`), topology: labTopology(config) };
}

/** The VPC router plays the subnet's first address, as on Tencent Cloud. */
function labTopology(config: IamHaConfig): LabTopology {
  const subnet = parseCidr(config.network.subnetCidr)!;
  const routerIp = nthAddress(subnet, 1);
  const taken = config.nodes.find((n) => n.privateIp === routerIp);
  if (taken || config.vrrp.havip === routerIp) {
    throw new LabError(
      `${routerIp} is the subnet's first address, which the lab's router (like the VPC's) uses; move ${taken ? taken.name : "the HAVIP"} to another address`,
    );
  }
  return {
    subnetCidr: config.network.subnetCidr,
    routerIp,
    havip: config.vrrp.havip,
    eip: LAB_EIP,
    nodes: config.nodes.map((n) => ({ name: n.name, privateIp: n.privateIp })),
  };
}
