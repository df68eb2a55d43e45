import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { COMMAND_TYPE, isSecretValue, ProgramRun, Registration, TLS_PRIVATE_KEY_TYPE, unwrap } from "../lab/program/programUnderMocks";
import { TYPES } from "../tencentcloud/tokens";
import { ofType, runWith } from "./fixtures/program";
import { stackValues } from "./fixtures/stacks";
import { run as runTool, tempDir } from "./fixtures/tools";

/**
 * Host keys pinned end to end, under Pulumi's mocks: the program makes each node's SSH host key
 * (tls.PrivateKey, a secret in state), hands it to the CVM in cloud-init user data (secret), pins it
 * in every remote command's connection and exports its public half for the verifier.
 */

interface CloudConfig {
  ssh_deletekeys: boolean;
  ssh_genkeytypes: string[];
  ssh_keys: { ed25519_private: string; ed25519_public: string };
}

/** The user data of a CVM, parsed as cloud-init would (it must start with #cloud-config). */
function cloudConfigOf(instance: Registration): CloudConfig {
  const text = unwrap(instance.inputs.userDataRaw) as string;
  expect(text.split("\n")[0]).toBe("#cloud-config");
  return YAML.parse(text) as CloudConfig;
}

/** The public key line ssh-keygen derives from a private key: proves the pair is real and matches. */
function publicKeyOf(privateKey: string): string {
  const dir = tempDir("hostkey");
  try {
    fs.writeFileSync(path.join(dir, "key"), privateKey, { mode: 0o600 });
    const r = runTool("ssh-keygen", ["-y", "-f", path.join(dir, "key")]);
    expect(r.code).toBe(0);
    return r.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const keyBody = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");

describe("host keys (prod stack)", () => {
  let program: ProgramRun;
  let instances: Registration[];
  beforeAll(async () => {
    program = await runWith(stackValues("prod"));
    instances = ofType(program, TYPES.instance);
  });

  test("every node gets its own ED25519 host key, made by the program (tls.PrivateKey under Nodes)", () => {
    const keys = ofType(program, TLS_PRIVATE_KEY_TYPE);
    const nodes = ofType(program, "iam-ha:compute:Nodes");
    expect(keys.map((k) => [k.name, k.inputs.algorithm, k.parent]).sort()).toEqual([
      ["iam-ha-node-1-host-key", "ED25519", nodes[0].urn],
      ["iam-ha-node-2-host-key", "ED25519", nodes[0].urn],
    ]);
  });

  test("each CVM's user data is cloud-config that installs only that key (ssh_keys, ssh_deletekeys, no generated keys), as a secret", () => {
    const publics = instances.map((instance) => {
      expect(isSecretValue(instance.inputs.userDataRaw)).toBe(true);
      const config = cloudConfigOf(instance);
      expect([config.ssh_deletekeys, config.ssh_genkeytypes, Object.keys(config.ssh_keys)]).toEqual([true, [], ["ed25519_private", "ed25519_public"]]);
      expect(keyBody(publicKeyOf(config.ssh_keys.ed25519_private))).toBe(keyBody(config.ssh_keys.ed25519_public));
      return config.ssh_keys.ed25519_public;
    });
    expect(new Set(publics).size).toBe(instances.length);
  });

  test("the CVM keeps its user data secret in state, and a new host key means a new CVM (cloud-init applies ssh_keys on first boot only)", () => {
    for (const instance of instances) {
      expect(instance.additionalSecretOutputs).toEqual(expect.arrayContaining(["userData", "userDataRaw"]));
      expect(instance.inputs.userDataReplaceOnChange).toBe(true);
    }
  });

  test("every remote command pins the host key its node got in its user data", () => {
    const commands = ofType(program, COMMAND_TYPE);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      // HostSetup names each step after its node: node-1-nginx, …
      const instance = instances.find((i) => command.name.startsWith(`${i.inputs.hostname}-`))!;
      const connection = unwrap(command.inputs.connection) as { hostKey?: string };
      expect([command.name, keyBody(connection.hostKey ?? "")]).toEqual([command.name, keyBody(cloudConfigOf(instance).ssh_keys.ed25519_public)]);
    }
  });

  test("nodeAddresses exports each node's host public key, for the verifier to pin", () => {
    const exported = program.outputs.nodeAddresses as { name: string; hostKey: string }[];
    const given = new Map(instances.map((i) => [i.inputs.hostname, keyBody(cloudConfigOf(i).ssh_keys.ed25519_public)]));
    expect(exported.map((n) => [n.name, keyBody(n.hostKey)])).toEqual(exported.map((n) => [n.name, given.get(n.name)]));
    expect(exported.map((n) => n.name)).toEqual(["node-1", "node-2"]);
  });

  test("under mocks the key pairs are real and new on every run: no fixed key is committed", async () => {
    const again = await runWith(stackValues("prod"));
    const first = instances.map((i) => cloudConfigOf(i).ssh_keys.ed25519_public);
    const second = ofType(again, TYPES.instance).map((i) => cloudConfigOf(i).ssh_keys.ed25519_public);
    expect(second.filter((k) => first.includes(k))).toEqual([]);
  });
});
