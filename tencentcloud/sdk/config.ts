// Mirrors sdk/nodejs/config/vars.ts of @tencentcloud_iac/pulumi v0.2.3: the provider's settings, as
// the stack's `tencentcloud:*` config holds them, read when asked. Unlike the SDK's, region, secretId,
// secretKey and securityToken do not fall back to their TENCENTCLOUD_* variables (the plugin reads
// those itself), so the registered graph does not depend on the environment.
import * as pulumi from "@pulumi/pulumi";
import * as types from "./types";

const settings = new pulumi.Config("tencentcloud");

/** Every setting the v0.2.3 provider declares, each read with its type, as the SDK's getters do. */
export const config = {
  get allowedAccountIds(): string[] | undefined {
    return settings.getObject<string[]>("allowedAccountIds");
  },
  get assumeRole(): types.output.config.AssumeRole | undefined {
    return settings.getObject<types.output.config.AssumeRole>("assumeRole");
  },
  get assumeRoleWithSaml(): types.output.config.AssumeRoleWithSaml | undefined {
    return settings.getObject<types.output.config.AssumeRoleWithSaml>("assumeRoleWithSaml");
  },
  get assumeRoleWithWebIdentity(): types.output.config.AssumeRoleWithWebIdentity | undefined {
    return settings.getObject<types.output.config.AssumeRoleWithWebIdentity>("assumeRoleWithWebIdentity");
  },
  get camRoleName(): string | undefined {
    return settings.get("camRoleName");
  },
  get cosDomain(): string | undefined {
    return settings.get("cosDomain");
  },
  get domain(): string | undefined {
    return settings.get("domain");
  },
  get enablePodOidc(): boolean | undefined {
    return settings.getObject<boolean>("enablePodOidc");
  },
  get forbiddenAccountIds(): string[] | undefined {
    return settings.getObject<string[]>("forbiddenAccountIds");
  },
  get mfaCertification(): types.output.config.MfaCertification | undefined {
    return settings.getObject<types.output.config.MfaCertification>("mfaCertification");
  },
  get profile(): string | undefined {
    return settings.get("profile");
  },
  get protocol(): string | undefined {
    return settings.get("protocol");
  },
  get region(): string | undefined {
    return settings.get("region");
  },
  get secretId(): string | undefined {
    return settings.get("secretId");
  },
  get secretKey(): string | undefined {
    return settings.get("secretKey");
  },
  get securityToken(): string | undefined {
    return settings.get("securityToken");
  },
  get sharedCredentialsDir(): string | undefined {
    return settings.get("sharedCredentialsDir");
  },
};
