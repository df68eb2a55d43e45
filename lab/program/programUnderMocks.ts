import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runProcess } from "../../common/process";
import { FUNCTIONS, TYPES } from "../../tencentcloud/tokens";

/**
 * Runs the Pulumi program (index.ts) under Pulumi's mocks and records every resource it
 * registers, with the options the engine would see. The lab runs the remote commands in this
 * record on real hosts; the tests assert on it.
 *
 * It leans on two parts of @pulumi/pulumi that are not public API (checked at 3.248; the test
 * tests/programUnderMocks.test.ts fails loudly when an upgrade breaks either):
 * - `runtime/mocks` `MockMonitor.prototype.registerResource`, wrapped to see each registration
 *   request as the engine would get it (options such as deleteBeforeReplace and the expanded
 *   dependencies are not visible through the public `setMocks` callbacks);
 * - `runtime/settings` `waitForRPCs()`, the promise `pulumi.runtime.disconnect()` itself awaits:
 *   it settles once no registration is in flight, so no quiet period has to be guessed.
 */

const rpc = require("@pulumi/pulumi/runtime/rpc");
const mocksModule = require("@pulumi/pulumi/runtime/mocks");
const settings = require("@pulumi/pulumi/runtime/settings");

/** The type token of @pulumi/command's remote.Command (its SDK sets it at runtime but does not type it). */
export const COMMAND_TYPE = "command:remote:Command";
/** The type token of @pulumi/tls's PrivateKey (node_modules/@pulumi/tls/privateKey.js). */
export const TLS_PRIVATE_KEY_TYPE = "tls:index/privateKey:PrivateKey";

/** Fails with the fix when a Pulumi upgrade moved what this module relies on. */
function assertPrivateApi(): void {
  const missing = [
    typeof mocksModule.MockMonitor?.prototype?.registerResource !== "function" && "runtime/mocks MockMonitor.prototype.registerResource",
    typeof settings.waitForRPCs !== "function" && "runtime/settings waitForRPCs",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `@pulumi/pulumi ${require("@pulumi/pulumi/package.json").version} no longer has ${missing.join(" and ")}: adapt lab/program/programUnderMocks.ts, or pin @pulumi/pulumi to 3.248`,
    );
  }
}

/** The stack's outputs, or (as index.ts exports) an async function that returns them. */
export type ProgramExports = Record<string, unknown> | (() => Promise<Record<string, unknown>>);

/** Loads index.ts afresh: a program registers its resources only when its module first runs. */
export type ProgramLoader = () => ProgramExports;

const PROGRAM_DIRS = ["index", "components", "config", "render", "tencentcloud"].map((d) => path.join(__dirname, "..", "..", d));

/**
 * The one loader of index.ts. Under jest, whose module registry is its own, an isolated registry
 * per load; under Node, the program's own modules are dropped from require.cache first (not the
 * lab's, nor Pulumi's, whose runtime state must survive).
 */
const loadProgramFresh: ProgramLoader = () => {
  if (typeof jest !== "undefined") {
    let loaded: ProgramExports = {};
    jest.isolateModules(() => {
      loaded = require("../../index");
    });
    return loaded;
  }
  for (const id of Object.keys(require.cache)) {
    if (PROGRAM_DIRS.some((d) => id.startsWith(d))) delete require.cache[id];
  }
  return require("../../index");
};

export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  custom: boolean;
  /** As the engine receives them: secret values stay wrapped (see isSecretValue). */
  inputs: Record<string, unknown>;
  /** URNs this resource waits for (explicit dependsOn, expanded, and implicit from inputs). */
  dependencies: string[];
  provider: string;
  version: string;
  pluginDownloadURL: string;
  additionalSecretOutputs: string[];
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  /** The URN whose deletion makes this resource's own delete redundant (the engine then skips it); "" when none. */
  deletedWith: string;
}

export interface ProgramRun {
  registrations: Registration[];
  outputs: Record<string, unknown>;
}

/** The type token of a StackReference (@pulumi/pulumi stackReference.js), which the engine reads rather than registers. */
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";
/** The organization a DIY backend gives every stack (Pulumi's docs, "Stacks"); the mocks need one. */
const ORGANIZATION = "organization";

/** What the fake cloud answers for a resource: its id and output properties. */
export type CloudOutputs = (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface RunOptions {
  /** "namespace:key" → string, as the Pulumi CLI passes config to a program. */
  config: Record<string, string>;
  secretKeys: string[];
  /** What registers the resources; index.ts by default. */
  load?: ProgramLoader;
  cloud?: CloudOutputs;
  /** What the fake cloud answers a data source (by token), where it answers more than nothing; e.g. getVips with the HAVIP's holder. */
  invoke?: (token: string, args: Record<string, unknown>) => Record<string, unknown> | undefined;
  stack?: string;
  /**
   * The outputs of the stack's last update, which a StackReference to the stack itself reads (as
   * the engine answers it from the stack's state). Default: none, as before a stack's first up.
   */
  lastOutputs?: Record<string, unknown>;
}

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  assertPrivateApi();
  const registrations: Registration[] = [];
  const monitor = mocksModule.MockMonitor.prototype;
  const original = monitor.registerResource;
  monitor.registerResource = function (req: any, callback: unknown) {
    registrations.push(describe(req));
    return original.call(this, req, callback);
  };
  try {
    pulumi.runtime.setAllConfig(options.config, options.secretKeys);
    await pulumi.runtime.setMocks(
      {
        newResource: async (args) => {
          const { id, ...state } = {
            ...args.inputs,
            ...(await defaultCloud(args.type, args.name, args.inputs)),
            ...(await options.cloud?.(args.type, args.name, args.inputs)),
            ...(args.type === STACK_REFERENCE_TYPE && args.inputs.name === selfReference()
              ? { outputs: options.lastOutputs ?? {}, secretOutputNames: [] }
              : {}),
          };
          return { id: args.custom ? ((id as string | undefined) ?? `${args.name}-id`) : undefined, state };
        },
        call: (args) =>
          options.invoke?.(args.token, args.inputs) ??
          (args.token === FUNCTIONS.getImages
            ? { images: [{ imageId: "img-test", imageName: "Ubuntu Server 22.04 LTS 64bit", createdTime: "2026-01-01 00:00:00" }] }
            : {}),
      },
      "iam-ha",
      options.stack ?? "test",
      false,
      ORGANIZATION,
    );
    const loaded = (options.load ?? loadProgramFresh)();
    // As Pulumi's Node host runs a program that exports a function (cmd/run/run.js): it awaits its result.
    const outputs = await resolveDeep(typeof loaded === "function" ? await loaded() : loaded);
    await settings.waitForRPCs();
    for (const r of registrations) r.urn = urnOf(r);
    return { registrations, outputs: outputs as Record<string, unknown> };
  } finally {
    monitor.registerResource = original;
  }
}

/** The name a StackReference to the running stack itself gives. */
const selfReference = () => `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;

function describe(req: any): Registration {
  return {
    type: req.getType(),
    name: req.getName(),
    urn: "",
    parent: req.getParent(),
    custom: req.getCustom(),
    inputs: rpc.deserializeProperties(req.getObject()),
    dependencies: req.getDependenciesList(),
    provider: req.getProvider(),
    version: req.getVersion(),
    pluginDownloadURL: req.getPlugindownloadurl(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    replaceOnChanges: req.getReplaceonchangesList(),
    deletedWith: req.getDeletedwith(),
  };
}

/** Outputs the fake cloud gives: addresses from documentation ranges, which no test sends to. */
const defaultCloud: CloudOutputs = (type, name) => {
  switch (type) {
    case TYPES.instance:
      return { publicIp: `198.51.100.${(hash(name) % 200) + 10}` };
    case TYPES.eip:
      return { publicIp: "203.0.113.99", status: "BIND" };
    // The CLB's address, and the bare ids Tencent gives listeners and rules (the resources' own ids are composite).
    case TYPES.clb:
      return { clbVips: ["203.0.113.98"] };
    case TYPES.clbListener:
      return { listenerId: `lbl-${hash(name).toString(16)}` };
    case TYPES.clbListenerRule:
      return { ruleId: `loc-${hash(name).toString(16)}` };
    case COMMAND_TYPE:
      return { stdout: "", stderr: "" };
    case TLS_PRIVATE_KEY_TYPE:
      return sshKeyPair();
    default:
      return {};
  }
};

/**
 * A new ed25519 key pair as tls.PrivateKey's outputs, from the real ssh-keygen: tests and the lab
 * get working host keys, and no key is ever committed.
 */
export async function sshKeyPair(): Promise<{ privateKeyOpenssh: string; publicKeyOpenssh: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iam-ha-mock-key-"));
  try {
    const key = path.join(dir, "key");
    const r = await runProcess(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`ssh-keygen could not make a mock host key: ${r.stderr.trim()} (install openssh-client)`);
    return { privateKeyOpenssh: fs.readFileSync(key, "utf8"), publicKeyOpenssh: fs.readFileSync(`${key}.pub`, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function hash(text: string): number {
  return [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
}

async function resolveDeep(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return resolveDeep(
      await new Promise((resolve) =>
        (value as pulumi.Output<unknown>).apply((v) => {
          resolve(v);
          return v;
        }),
      ),
    );
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
  if (value && typeof value === "object" && !(value instanceof pulumi.Resource)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)]));
    return Object.fromEntries(entries);
  }
  return value;
}

function urnOf(r: Registration): string {
  const parentType = r.parent ? r.parent.split("::")[2].split("$").pop() + "$" : "";
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${parentType}${r.type}::${r.name}`;
}

/** Whether a deserialized input value is a secret. */
export function isSecretValue(value: unknown): boolean {
  return !!value && typeof value === "object" && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The plain value, with every secret wrapper removed. */
export function unwrap(value: unknown): any {
  if (isSecretValue(value)) return unwrap((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === "object" && !(value instanceof Promise)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

/** The value with every secret replaced by "[secret]": what would show in plaintext. */
export function redact(value: unknown): unknown {
  if (isSecretValue(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object" && !(value instanceof Promise)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}
