import * as standIn from "../tencentcloud/sdk";
import { SDK_FUNCTIONS, SDK_PROVIDER, SDK_RESOURCES } from "./fixtures/tencentcloudSdk";

/**
 * Our stand-in for @tencentcloud_iac/pulumi (tencentcloud/sdk/) declares nothing the SDK table
 * does not list, so everything it declares is checked against the SDK (tests/tencentcloud.test.ts).
 * Delete this file with tencentcloud/sdk/ when switching to the real package.
 */

const exported = standIn as unknown as Record<string, Record<string, unknown>>;

test("declares no binding outside the tables above (each one is checked against the SDK)", () => {
  const declared = Object.entries(exported).flatMap(([namespace, members]) =>
    typeof members === "function"
      ? [namespace]
      : Object.keys(members)
          .filter((k) => typeof members[k] === "function")
          .map((k) => `${namespace}.${k}`),
  );
  const checked = [SDK_PROVIDER.className, ...SDK_RESOURCES.map(([ns, name]) => `${ns}.${name}`), ...SDK_FUNCTIONS.map(([ns, name]) => `${ns}.${name}`)];
  expect(declared.sort()).toEqual(checked.sort());
});
