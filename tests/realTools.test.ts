import * as fs from "fs";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { IamHaConfig } from "../config/types";
import { planNode } from "../render/steps";
import { SECRET_KEYS, stackValues, threeNodeValues } from "./fixtures/stacks";
import { requireTools, run, tempDir, writeTree } from "./fixtures/tools";

/** Every rendered file, checked by the tool that will read it on the node. */

requireTools("nginx", "keepalived", "shellcheck", "unshare", "mount");
// The rhel family's nginx.conf runs workers as user nginx, which nginx -t looks up.
if (run("getent", ["passwd", "nginx"]).code !== 0) {
  throw new Error("no user nginx to check the rhel-family nginx.conf: run `bash .ci/run` once, or useradd --system nginx");
}

const configs: [string, IamHaConfig][] = [
  ["prod", loadConfig(mapSource(stackValues("prod"), SECRET_KEYS))],
  ["three nodes", loadConfig(mapSource(threeNodeValues(), SECRET_KEYS))],
  ["rhel family", loadConfig(mapSource({ ...stackValues("prod"), osFamily: "rhel", sshUser: "root" }, SECRET_KEYS))],
];
const cases = configs.flatMap(([label, config]) => config.nodes.map((node) => [`${label}, ${node.name}`, config, node] as const));

function filesOf(config: IamHaConfig, nodeName: string) {
  const node = config.nodes.find((n) => n.name === nodeName)!;
  return planNode(config, node).steps.flatMap((s) => s.files);
}

/** `nginx -t` on the rendered nginx.conf and site files, in a prefix of their own. */
function nginxTest(files: { path: string; mode: string; content: string }[]) {
  const root = tempDir("nginx");
  writeTree(
    root,
    files.filter((f) => f.path.startsWith("/etc/nginx/")),
  );
  fs.copyFileSync("/etc/nginx/mime.types", `${root}/etc/nginx/mime.types`);
  return run("nginx", ["-t", "-p", `${root}/etc/nginx/`, "-c", `${root}/etc/nginx/nginx.conf`]);
}

/**
 * `keepalived -t` on the rendered keepalived.conf, with the rendered scripts at their real paths
 * (a private mount over /etc/keepalived), so keepalived also checks the scripts' security.
 */
function keepalivedTest(files: { path: string; mode: string; content: string }[]) {
  const root = tempDir("keepalived");
  writeTree(
    root,
    files.filter((f) => f.path.startsWith("/etc/keepalived/")),
  );
  fs.chmodSync(`${root}/etc/keepalived`, 0o755);
  return run("unshare", ["--mount", "sh", "-c", `mount --bind ${root}/etc/keepalived /etc/keepalived && keepalived -t -f /etc/keepalived/keepalived.conf`]);
}

describe.each(cases)("rendered files pass the real tools (%s)", (_label, config, node) => {
  const files = filesOf(config, node.name);

  test("nginx -t accepts nginx.conf and the site files", () => {
    const r = nginxTest(files);
    expect(r.stderr).toContain("test is successful");
    expect(r.code).toBe(0);
  });

  test("keepalived -t accepts keepalived.conf, without a single warning", () => {
    const r = keepalivedTest(files);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("shellcheck passes every step script and every installed script", () => {
    const scripts = [
      ...planNode(config, node).steps.map((s) => ({ name: `step ${s.name}`, text: s.script })),
      ...files.filter((f) => f.path.endsWith(".sh")).map((f) => ({ name: f.path, text: f.content })),
    ];
    expect(scripts.length).toBeGreaterThanOrEqual(6);
    for (const script of scripts) {
      const r = run("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: script.text });
      expect({ script: script.name, findings: r.stdout }).toEqual({ script: script.name, findings: "" });
    }
  });
});

describe("the checks can fail", () => {
  const [, prod] = configs[0];
  const files = filesOf(prod, "node-1");

  test("nginx -t rejects the article's upstream as printed (no ; after server)", () => {
    const broken = files.map((f) =>
      f.path.endsWith("iam.api.marmotedu.com.conf") ? { ...f, content: f.content.replace(/max_fails=1 fail_timeout=3s;/g, "") } : f,
    );
    expect(nginxTest(broken).code).not.toBe(0);
  });

  test("keepalived -t reports the article's vrrp_garp_interval 0", () => {
    const broken = files.map((f) =>
      f.path.endsWith("keepalived.conf")
        ? { ...f, content: f.content.replace("enable_script_security", "enable_script_security\n    vrrp_garp_interval 0") }
        : f,
    );
    expect(keepalivedTest(broken).stderr).toMatch(/vrrp_garp_interval '0' is invalid/);
  });

  test("keepalived -t notices a check script that is not root-owned and safe", () => {
    const broken = files.filter((f) => !f.path.endsWith("check_nginx.sh"));
    expect(keepalivedTest(broken).stdout + keepalivedTest(broken).stderr).toMatch(/check_nginx/);
  });

  test("shellcheck flags an unquoted variable", () => {
    expect(run("shellcheck", ["--shell=bash", "-"], { input: "#!/bin/bash\nrm $1\n" }).code).not.toBe(0);
  });
});
