// Mirrors sdk/nodejs/utilities.ts of @tencentcloud_iac/pulumi v0.2.3 (tencentcloudstack/pulumi-tencentcloud).

/**
 * The options the SDK puts under every resource and invoke, so that `pulumi up` fetches the same
 * plugin (pulumi-resource-tencentcloud 0.2.3) by itself. The SDK reads the version from its
 * package.json; ours is pinned. Merged as `mergeOptions(resourceOptsDefaults(), opts)`: the
 * caller's options win.
 */
export function resourceOptsDefaults(): { version: string; pluginDownloadURL: string } {
  return { version: "0.2.3", pluginDownloadURL: "github://api.github.com/tencentcloudstack" };
}
