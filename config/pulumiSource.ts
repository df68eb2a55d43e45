import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./declaredKeys";
import { ConfigSource } from "./source";

// isConfigSecret is exported by the runtime but missing from its typings. Reading raw values this
// way lets the loader validate secrets without pulumi.Config's "use getSecret" warning; index.ts
// wraps them in pulumi.secret before any resource sees them.
const runtimeConfig: { isConfigSecret(key: string): boolean } = require("@pulumi/pulumi/runtime/config");

/** The running stack's `iam-ha:` configuration (and, for the checks across namespaces, the others'). */
export function stackConfigSource(): ConfigSource {
  const prefix = `${PROJECT}:`;
  return {
    get: (key) => pulumi.runtime.getConfig(prefix + key),
    isSecret: (key) => runtimeConfig.isConfigSecret(prefix + key),
    keys: () =>
      Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length)),
    namespaced: (key) => pulumi.runtime.getConfig(key),
  };
}
