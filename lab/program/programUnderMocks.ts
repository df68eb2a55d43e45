import * as pulumi from "@pulumi/pulumi";
import { GET_IMAGES } from "../../tencentcloud/resources";

/**
 * Runs the Pulumi program (index.ts) under Pulumi's mocks and records every resource it
 * registers, with the options the engine would see. The tests assert on this record; the lab
 * runs the remote commands in it on real hosts.
 */

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
}

export interface ProgramRun {
  registrations: Registration[];
  outputs: Record<string, unknown>;
}

/** What the fake cloud answers for a resource: its id and output properties. */
export type CloudOutputs = (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

export interface RunOptions {
  /** "namespace:key" → string, as the Pulumi CLI passes config to a program. */
  config: Record<string, string>;
  secretKeys: string[];
  /** Loads index.ts in a fresh module registry and returns its exports. */
  load: () => Record<string, unknown>;
  cloud?: CloudOutputs;
  stack?: string;
}

const rpc = require("@pulumi/pulumi/runtime/rpc");
const mocksModule = require("@pulumi/pulumi/runtime/mocks");

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
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
        newResource: (args) => ({
          id: args.custom ? `${args.name}-id` : undefined,
          state: { ...args.inputs, ...(options.cloud ?? defaultCloud)(args.type, args.name, args.inputs) },
        }),
        call: (args) => (args.token === GET_IMAGES ? { images: [{ imageId: "img-test", imageName: "Ubuntu Server 22.04 LTS 64bit", createdTime: "2026-01-01 00:00:00" }] } : {}),
      },
      "iam-ha",
      options.stack ?? "test",
    );
    const exports = options.load();
    const outputs = await resolveDeep(exports);
    await settled(registrations);
    return { registrations, outputs: outputs as Record<string, unknown> };
  } finally {
    monitor.registerResource = original;
  }
}

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
  };
}

/** Outputs the fake cloud gives: addresses from documentation ranges, which no test sends to. */
const defaultCloud: CloudOutputs = (type, name) => {
  switch (type) {
    case "tencentcloud:Instance/instance:Instance":
      return { publicIp: `198.51.100.${(hash(name) % 200) + 10}` };
    case "tencentcloud:Eip/instance:Instance":
      return { publicIp: "203.0.113.99", status: "BIND" };
    case "command:remote:Command":
      return { stdout: "", stderr: "" };
    default:
      return {};
  }
};

function hash(text: string): number {
  return [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
}

async function resolveDeep(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return resolveDeep(await new Promise((resolve) => (value as pulumi.Output<unknown>).apply((v) => { resolve(v); return v; })));
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
  if (value && typeof value === "object" && !(value instanceof pulumi.Resource)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)]));
    return Object.fromEntries(entries);
  }
  return value;
}

/** Registration is asynchronous: wait until no new resource arrived for a while (bounded). */
async function settled(registrations: Registration[], quietMs = 300, maxMs = 20000): Promise<void> {
  const start = Date.now();
  let count = -1;
  while (count !== registrations.length && Date.now() - start < maxMs) {
    count = registrations.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
  for (const r of registrations) r.urn = urnOf(r);
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
