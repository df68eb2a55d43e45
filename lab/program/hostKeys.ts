import * as fs from "fs";
import * as path from "path";
import { PinnedHost } from "../../common/sshOptions";
import { TYPES } from "../../tencentcloud/tokens";
import { LabError } from "../hosts/exec";
import { paths } from "../hosts/paths";
import { nodeAt, type LabTopology } from "../hosts/topology";
import type { DeclaredCommand } from "./declaredCommands";
import { ProgramRun, sshKeyPair, unwrap } from "./programUnderMocks";

/**
 * The nodes' SSH host keys in the lab, end to end as on Tencent Cloud: the program's tls.PrivateKey
 * outputs are kept like Pulumi's state keeps them (so every run of the program, until `down`, makes
 * the same keys), each node gets its key from its CVM's user data before it boots, and the lab's
 * ssh accepts only the keys the program pins.
 */

type KeyOutputs = Record<string, string>;

/** tls.PrivateKey outputs by resource name: the kept ones, a new pair for any other (the kept record grows). */
export function keptHostKeys(): (name: string) => Promise<KeyOutputs> {
  const kept: Record<string, KeyOutputs> = fs.existsSync(paths.hostKeys()) ? JSON.parse(fs.readFileSync(paths.hostKeys(), "utf8")) : {};
  return async (name) => {
    if (!kept[name]) {
      kept[name] = await sshKeyPair();
      fs.mkdirSync(path.dirname(paths.hostKeys()), { recursive: true });
      fs.writeFileSync(paths.hostKeys(), JSON.stringify(kept), { mode: 0o600 });
    }
    return kept[name];
  };
}

/**
 * As Pulumi deletes a tls.PrivateKey the program no longer declares (a node removed): only the keys
 * of `resources` stay, so a node added again later gets a new key, as its new CVM would.
 */
export function keepHostKeysOf(resources: string[]): void {
  if (!fs.existsSync(paths.hostKeys())) return;
  const kept: Record<string, KeyOutputs> = JSON.parse(fs.readFileSync(paths.hostKeys(), "utf8"));
  const declared = Object.fromEntries(Object.entries(kept).filter(([name]) => resources.includes(name)));
  fs.writeFileSync(paths.hostKeys(), JSON.stringify(declared), { mode: 0o600 });
}

/** As `pulumi destroy` takes the keys out of state: the next lab is a new stack, with new keys. */
export function forgetHostKeys(): void {
  for (const file of [paths.hostKeys(), paths.knownHosts()]) fs.rmSync(file, { force: true });
}

/** Each node's user data (cloud-config) from the program's CVMs, by node name. */
export function userDataByNode(run: ProgramRun, topology: LabTopology): Record<string, string> {
  const instances = run.registrations.filter((r) => r.type === TYPES.instance);
  return Object.fromEntries(
    instances.map((i) => [nodeAt(topology, i.inputs.privateIp as string, `CVM ${i.name}`).name, unwrap(i.inputs.userDataRaw) as string]),
  );
}

/** The key each node's connections pin; a node whose commands pin different keys is the program's bug. */
export function pinnedByCommands(commands: DeclaredCommand[], topology: LabTopology): PinnedHost[] {
  const keys = new Map<string, string>();
  for (const c of commands) {
    if (!c.hostKey) throw new LabError(`${c.name} pins no host key: every connection must (hostKey)`);
    if (keys.has(c.host) && keys.get(c.host) !== c.hostKey) throw new LabError(`the program's commands pin two different host keys for ${c.host}`);
    keys.set(c.host, c.hostKey);
  }
  return [...keys].map(([host, key]) => {
    const node = nodeAt(topology, host, "a connection");
    return { name: node.name, host, port: node.sshPort ?? 22, key };
  });
}

/** The keys the program exports in nodeAddresses[].hostKey: what the verifier pins. */
export function pinnedByOutputs(run: ProgramRun, topology: LabTopology): PinnedHost[] {
  const nodes = run.outputs.nodeAddresses as { name: string; privateIp: string; hostKey: string }[];
  return nodes.map((n) => ({ name: n.name, host: n.privateIp, port: nodeAt(topology, n.privateIp, "nodeAddresses").sshPort ?? 22, key: n.hostKey }));
}
