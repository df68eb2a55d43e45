import * as fs from "fs";
import * as path from "path";
import { runsKeepalived, runsNginx } from "../config/lists";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { IamHaConfig } from "../config/types";
import { VIP_LO_LABEL } from "../render/firewall";
import { PATHS } from "../render/osFacts";
import { planNode, retireStep } from "../render/steps";
import { SECRET_KEYS, stackValues, TEST_KEY_PAIR, threeNodeValues } from "./fixtures/stacks";
import { besideKeepalived, requireTools, run, tempDir, writeTree } from "./fixtures/tools";

/** Every rendered file, checked by the tool that will read it on the node. */

requireTools("nginx", "keepalived", "shellcheck", "nft", "ip", "unshare", "mount", "systemd-analyze");
// The rhel family's nginx.conf runs workers as user nginx, which nginx -t looks up.
if (run("getent", ["passwd", "nginx"]).code !== 0) {
  throw new Error("no user nginx to check the rhel-family nginx.conf: run `bash .ci/run` once, or useradd --system nginx");
}

const configs: [string, IamHaConfig][] = [
  ["prod", loadConfig(mapSource(stackValues("prod"), SECRET_KEYS))],
  ["three nodes", loadConfig(mapSource(threeNodeValues(), SECRET_KEYS))],
  ["rhel family", loadConfig(mapSource({ ...stackValues("prod"), osFamily: "rhel", sshUser: "root" }, SECRET_KEYS))],
  ["VRRPv3, adverts every 0.3 s", loadConfig(mapSource({ ...stackValues("prod"), vrrpVersion: 3, advertInt: "0.3", vrrpAuthPass: undefined }, SECRET_KEYS))],
  ["backend-only nodes", loadConfig(mapSource({ ...stackValues("backends"), sshPublicKey: TEST_KEY_PAIR.publicKey }, SECRET_KEYS))],
  ["VIP-only", loadConfig(mapSource({ ...stackValues("viponly"), sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined }, SECRET_KEYS))],
  [
    "active-active, two VIPs",
    loadConfig(mapSource({ ...stackValues("activeactive"), sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined }, SECRET_KEYS)),
  ],
  ["behind a CLB, two zones", loadConfig(mapSource({ ...stackValues("clb"), sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined }, SECRET_KEYS))],
  [
    "VIP-only, one site on 8888 as in seeds/004, VRRPv2",
    loadConfig(mapSource({ ...stackValues("prod"), frontDoor: "vipOnly", sites: [{ serverName: "swarm.example.com", port: 8888 }] }, SECRET_KEYS)),
  ],
];
const cases = configs.flatMap(([label, config]) => config.nodes.map((node) => [`${label}, ${node.name} (${node.role})`, config, node] as const));
const frontDoorCases = cases.filter(([, , node]) => node.role === "frontDoor");
const nginxCases = frontDoorCases.filter(([, config]) => runsNginx(config.frontDoor));
const keepalivedCases = frontDoorCases.filter(([, config]) => runsKeepalived(config.frontDoor));

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
 * (a private mount over /etc/keepalived), so keepalived also checks the scripts' security, in a
 * network namespace that has the stack's VRRP interface (keepalived warns about a missing one).
 */
function keepalivedTest(files: { path: string; mode: string; content: string }[], iface = "eth0") {
  const root = tempDir("keepalived");
  writeTree(
    root,
    files.filter((f) => f.path.startsWith("/etc/keepalived/")),
  );
  fs.chmodSync(`${root}/etc/keepalived`, 0o755);
  const script = `ip link add ${iface} type veth peer name peer0 && mount --bind ${root}/etc/keepalived /etc/keepalived && keepalived -t -f /etc/keepalived/keepalived.conf`;
  return run("unshare", ["--mount", "--net", "sh", "-c", script]);
}

/** `nft -c` (a dry run in the kernel, which loads nothing) on the rendered ruleset, in a network namespace of its own. */
function nftCheck(files: { path: string; content: string }[]) {
  const ruleset = files.find((f) => f.path === PATHS.firewallRuleset);
  if (!ruleset) throw new Error(`no ${PATHS.firewallRuleset} among the node's files`);
  return run("unshare", ["--net", "nft", "-c", "-f", "-"], { input: ruleset.content });
}

describe.each(cases)("rendered files pass the real tools (%s)", (_label, config, node) => {
  const files = filesOf(config, node.name);

  test("nft -c accepts the host firewall's ruleset", () => {
    const r = nftCheck(files);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("shellcheck passes every step script and every installed script", () => {
    const scripts = [
      ...[...planNode(config, node).steps, retireStep(node.name)].map((s) => ({ name: `step ${s.name}`, text: s.script })),
      ...files.filter((f) => f.path.endsWith(".sh")).map((f) => ({ name: f.path, text: f.content })),
    ];
    expect(scripts.length).toBeGreaterThanOrEqual(node.role === "frontDoor" && runsKeepalived(config.frontDoor) ? 6 : 4);
    for (const script of scripts) {
      const r = run("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: script.text });
      expect({ script: script.name, findings: r.stdout }).toEqual({ script: script.name, findings: "" });
    }
  });
});

describe.each(nginxCases)("a front door's nginx passes the real tools (%s)", (_label, config, node) => {
  const files = filesOf(config, node.name);

  test("nginx -t accepts nginx.conf and the site files", () => {
    const r = nginxTest(files);
    expect(r.stderr).toContain("test is successful");
    expect(r.code).toBe(0);
  });
});

describe.each(keepalivedCases)("a front door's keepalived passes the real tools (%s)", (_label, config, node) => {
  const files = filesOf(config, node.name);

  test("keepalived -t accepts keepalived.conf, without a single warning", () => {
    const r = keepalivedTest(files, config.vrrp.interface);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

/** `systemd-analyze verify` on the VRRP state socket (vipOnly), which also loads the service it starts per connection. */
function stateSocketTest(files: { path: string; content: string }[]) {
  const root = tempDir("units");
  for (const unit of [PATHS.stateSocket, PATHS.stateService]) {
    const file = files.find((f) => f.path === unit);
    if (!file) throw new Error(`no ${unit} among the node's files`);
    fs.writeFileSync(`${root}/${path.basename(unit)}`, file.content);
  }
  return run("systemd-analyze", ["verify", "--man=no", `${root}/${path.basename(PATHS.stateSocket)}`]);
}

const vipOnlyCases = frontDoorCases.filter(([, config]) => config.frontDoor === "vipOnly");

describe.each(vipOnlyCases)("a VIP-only front door's state socket passes the real tools (%s)", (_label, config, node) => {
  test("systemd-analyze verify accepts iam-ha-vip-state.socket and its service, without a warning", () => {
    const r = stateSocketTest(filesOf(config, node.name));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("there is no nginx file among its files, and no nginx in its packages step", () => {
    const plan = planNode(config, node);
    expect(plan.steps.flatMap((s) => s.files.map((f) => f.path)).filter((p) => p.includes("nginx"))).toEqual([]);
    expect(/^readonly PACKAGES=\((.*)\)$/m.exec(plan.steps.find((s) => s.kind === "packages")!.script)![1]).toBe("'keepalived' 'curl' 'nftables' ");
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

  test("nft -c rejects a misspelt verdict", () => {
    const broken = files.map((f) => (f.path === PATHS.firewallRuleset ? { ...f, content: f.content.replace("tcp dport 80 accept", "tcp dport 80 acept") } : f));
    expect(nftCheck(broken).code).not.toBe(0);
  });

  test("systemd-analyze verify reports a misspelt socket setting and a bad service setting", () => {
    const [, vipOnly] = configs.find(([label]) => label === "VIP-only")!;
    const unit = filesOf(vipOnly, "edge-a");
    const socketBroken = unit.map((f) => (f.path === PATHS.stateSocket ? { ...f, content: f.content.replace("ListenStream=", "ListenStrem=") } : f));
    expect(stateSocketTest(socketBroken).code).not.toBe(0);
    const serviceBroken = unit.map((f) =>
      f.path === PATHS.stateService ? { ...f, content: f.content.replace("StandardInput=socket", "StandardInput=sockt") } : f,
    );
    expect(stateSocketTest(serviceBroken).stderr).toMatch(/sockt/);
  });

  test("shellcheck flags an unquoted variable", () => {
    expect(run("shellcheck", ["--shell=bash", "-"], { input: "#!/bin/bash\nrm $1\n" }).code).not.toBe(0);
  });
});

describe("the firewall step on a real nftables, in a network namespace of its own", () => {
  const [, prod] = configs[0];
  const netns = `iam-ha-fw-test-${process.pid}`;
  const root = tempDir("firewall");
  const stepScript = planNode(prod, prod.nodes[0]).steps.find((s) => s.kind === "firewall")!.script;
  /** The SSH session a step arrives on, as sshd sets it: from adminCidr (203.0.113.10/32) to sshPort 22. */
  const FROM_ADMIN = "203.0.113.10 50022 10.0.4.20 22";

  beforeAll(() => {
    expect(run("ip", ["netns", "add", netns]).code).toBe(0);
    // The VRRP interface, whose forwarding and ARP settings the step sets.
    expect(run("ip", ["-n", netns, "link", "add", prod.vrrp.interface, "type", "veth", "peer", "name", "peer0"]).code).toBe(0);
    // The step's files land in a private /etc; systemctl is a stand-in that records its calls.
    fs.mkdirSync(`${root}/etc`);
    for (const f of ["passwd", "group"]) fs.copyFileSync(`/etc/${f}`, `${root}/etc/${f}`);
    fs.mkdirSync(`${root}/bin`);
    fs.writeFileSync(`${root}/bin/systemctl`, `#!/bin/sh\necho "systemctl $*" >> ${root}/systemctl.log\n`, { mode: 0o755 });
    nftIn("add table inet other_tool; add chain inet other_tool input { type filter hook input priority 10; policy accept; }");
  });
  afterAll(() => {
    run("ip", ["netns", "del", netns]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  function nftIn(commands: string) {
    const r = run("ip", ["netns", "exec", netns, "nft", "-f", "-"], { input: commands });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const ruleset = () => run("ip", ["netns", "exec", netns, "nft", "list", "ruleset"]).stdout;
  const installed = (file: string) => (fs.existsSync(root + file) ? fs.readFileSync(root + file, "utf8") : undefined);

  function runStep(action: "apply" | "remove", sshConnection = FROM_ADMIN, script = stepScript) {
    const shell = `mount --bind "$0/etc" /etc && mount -t tmpfs iam-ha-test /var/lib || exit 99
PATH="$0/bin:$PATH" exec bash -s -- "$@"`;
    return run("ip", ["netns", "exec", netns, "unshare", "--mount", "sh", "-c", shell, root, action], {
      input: script,
      env: { ...process.env, SSH_CONNECTION: sshConnection },
    });
  }

  test("apply loads table inet iam_ha beside other tools' tables, and enables the unit that loads it at boot", () => {
    const r = runStep("apply");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const tables = ruleset().match(/^table \S+ \S+/gm);
    expect(tables).toEqual(["table inet other_tool", "table inet iam_ha"]);
    expect(ruleset()).toMatch(/chain input \{\n\s+type filter hook input priority filter; policy drop;/);
    expect(ruleset()).toContain("ip saddr 203.0.113.10 tcp dport 22 accept");
    expect(installed(PATHS.firewallUnit)).toContain(`ExecStart=/usr/sbin/nft -f ${PATHS.firewallRuleset}`);
    expect(fs.readFileSync(`${root}/systemctl.log`, "utf8")).toContain("systemctl enable iam-ha-firewall.service");
  });

  test("running it again changes nothing", () => {
    const before = [ruleset(), installed(PATHS.firewallRuleset)];
    const r = runStep("apply");
    expect(r.stdout).toContain("config unchanged");
    expect([ruleset(), installed(PATHS.firewallRuleset)]).toEqual(before);
  });

  const onLo = () => run("ip", ["-n", netns, "-4", "-o", "address", "show", "dev", "lo"]).stdout;
  const sysctl = (key: string) => run("ip", ["netns", "exec", netns, "sysctl", "-n", key]).stdout.trim();

  test("apply stands the VIP on lo under iam-ha's label, answered by ARP only where keepalived puts it, and forwards on the VRRP interface", () => {
    expect(runStep("apply").code).toBe(0);
    expect(onLo()).toMatch(new RegExp(` ${prod.vips[0].address.replace(/\./g, "\\.")}/32 .*${VIP_LO_LABEL}`));
    const iface = prod.vrrp.interface;
    expect([sysctl("net.ipv4.conf.all.arp_ignore"), sysctl("net.ipv4.conf.all.arp_announce"), sysctl(`net.ipv4.conf.${iface}.forwarding`)]).toEqual([
      "1",
      "2",
      "1",
    ]);
    // Forwarding stays off on every other interface.
    expect(sysctl("net.ipv4.conf.peer0.forwarding")).toBe("0");
  });

  test("an address iam-ha stood on lo for an older HAVIP goes; others' addresses on lo stay", () => {
    expect(run("ip", ["-n", netns, "address", "add", "10.0.4.98/32", "dev", "lo", "label", VIP_LO_LABEL]).code).toBe(0);
    expect(run("ip", ["-n", netns, "address", "add", "192.0.2.7/32", "dev", "lo"]).code).toBe(0);
    nftIn("add table inet iam_ha; delete table inet iam_ha");
    expect(runStep("apply").code).toBe(0);
    expect(onLo()).not.toContain("10.0.4.98/32");
    expect(onLo()).toContain("192.0.2.7/32");
    expect(onLo()).toContain(`${prod.vips[0].address}/32`);
    run("ip", ["-n", netns, "address", "del", "192.0.2.7/32", "dev", "lo"]);
  });

  test("a table someone deleted comes back on the next run, from the same file", () => {
    nftIn("add table inet iam_ha; delete table inet iam_ha");
    expect(runStep("apply").stdout).toContain("table inet iam_ha loaded");
    expect(ruleset()).toContain("table inet iam_ha");
  });

  test("a ruleset nft -c rejects is not installed, and the loaded one stays", () => {
    const before = [ruleset(), installed(PATHS.firewallRuleset)];
    const r = runStep("apply", FROM_ADMIN, stepScript.replace("tcp dport 80 accept", "tcp dport 80 acept"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("the new config failed validate_ruleset, so it was not installed and the previous one stays");
    expect([ruleset(), installed(PATHS.firewallRuleset)]).toEqual(before);
  });

  test.each([
    ["from outside adminCidr", "198.51.100.7 50022 10.0.4.20 22", "198.51.100.7 to port 22"],
    ["to another port than sshPort", "203.0.113.10 50022 10.0.4.20 2222", "203.0.113.10 to port 2222"],
  ])("a runner that arrived %s is refused before anything loads: it would lock itself out", (_what, connection, seen) => {
    nftIn("add table inet iam_ha; delete table inet iam_ha");
    const r = runStep("apply", connection);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `ERROR: this step runs over SSH from ${seen}, which the firewall would not admit (SSH only from adminCidr 203.0.113.10/32 on sshPort 22): it was not loaded. Set iam-ha:adminCidr`,
    );
    expect(ruleset()).not.toContain("iam_ha");
    expect(runStep("apply").code).toBe(0);
  });

  test("node-2 made a backend-only node: the same step takes the VIP off lo and its sysctl file, and admits no HTTP or VRRP", () => {
    const backend = {
      ...prod,
      nodes: [prod.nodes[0], { ...prod.nodes[1], role: "backend" as const, priority: 0 }, { ...prod.nodes[1], name: "node-3", privateIp: "10.0.4.22" }],
    };
    const script = planNode(backend, backend.nodes[1]).steps.find((s) => s.kind === "firewall")!.script;
    expect(runStep("apply").code).toBe(0);
    expect(onLo()).toContain(`${prod.vips[0].address}/32`);
    const r = runStep("apply", FROM_ADMIN, script);
    expect(r.stderr).toBe("");
    expect(onLo()).not.toContain(`${prod.vips[0].address}/32`);
    expect(installed(PATHS.sysctlConf)).toBeUndefined();
    expect(ruleset()).not.toMatch(/tcp dport 80 accept|ip protocol vrrp|vip_fallback/);
    expect(ruleset()).toContain("ip saddr { 10.0.4.20, 10.0.4.22 } tcp dport { 8080, 9090 } accept");
    expect(runStep("apply").code).toBe(0);
    expect(onLo()).toContain(`${prod.vips[0].address}/32`);
  });

  test("remove deletes the table, the VIP on lo, the unit, the ruleset and sysctl files, and leaves other tools' tables", () => {
    const r = runStep("remove");
    expect(r.code).toBe(0);
    expect(ruleset().match(/^table \S+ \S+/gm)).toEqual(["table inet other_tool"]);
    expect(onLo()).not.toContain(`${prod.vips[0].address}/32`);
    expect([installed(PATHS.firewallRuleset), installed(PATHS.firewallUnit), installed(PATHS.sysctlConf), fs.existsSync(`${root}/etc/iam-ha`)]).toEqual([
      undefined,
      undefined,
      undefined,
      false,
    ]);
    expect(fs.readFileSync(`${root}/systemctl.log`, "utf8")).toContain("systemctl disable iam-ha-firewall.service");
    expect(runStep("remove").code).toBe(0);
  });
});

describe("the keepalived step on a real keepalived", () => {
  const [, prod] = configs[0];
  const node = prod.nodes[0];
  const step = planNode(prod, node).steps.find((s) => s.kind === "keepalived")!;
  /** The step script with one of its functions run in place of main. */
  const calling = (command: string) => step.script.replace(/^main "\$@" <\/dev\/null$/m, command);

  test("reading keepalived's VRRP state leaves no data dump behind (it holds the VRRP password)", () => {
    const r = besideKeepalived(step.files, prod.vrrp.interface, node.privateIp, calling('current_vrrp_states; echo "left in /tmp:" /tmp/*'));
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^IAM_HA_51=(BACKUP|MASTER|FAULT)\nleft in \/tmp: \/tmp\/\*\n$/);
  });

  test("active-active: one data dump gives each VRRP instance's own state", () => {
    const [, activeActive] = configs.find(([label]) => label === "active-active, two VIPs")!;
    const pairA = activeActive.nodes[0];
    const twoVips = planNode(activeActive, pairA).steps.find((s) => s.kind === "keepalived")!;
    const script = twoVips.script.replace(/^main "\$@" <\/dev\/null$/m, "current_vrrp_states");
    const r = besideKeepalived(twoVips.files, activeActive.vrrp.interface, pairA.privateIp, script);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^IAM_HA_81=(BACKUP|MASTER|FAULT) IAM_HA_82=(BACKUP|MASTER|FAULT)\n$/);
  });
});
