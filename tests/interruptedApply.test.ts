import { spawnSync } from "child_process";
import * as fs from "fs";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { IamHaConfig } from "../config/types";
import { PATHS } from "../render/osFacts";
import { planNode, StepKind } from "../render/steps";
import { SECRET_KEYS, stackValues } from "./fixtures/stacks";
import { requireTools, run, tempDir } from "./fixtures/tools";

/**
 * An apply interrupted at any point (the SSH session dropped: SIGHUP; or SIGKILL) and run again
 * ends with the new config validated and live, or the previous one live and a loud failure; never
 * "config unchanged" over files nothing validated or activated. The step scripts run with the real
 * nginx, keepalived and nft on a private root (/etc, /run, /var/lib/iam-ha) in a network namespace
 * of their own; stand-ins in PATH interrupt them at a chosen point, and systemctl drives a real nginx.
 */

requireTools("nginx", "keepalived", "nft", "ip", "unshare", "setsid", "curl");

const prod = stackValues("prod");
const before = loadConfig(mapSource(prod, SECRET_KEYS));
/**
 * The change: one more site, which shows through nginx (502: its upstream is down; 404 without it)
 * and in the firewall (port 7070), and another advert interval for keepalived.
 */
const NEW_SITE = "iam.new.example.com";
const after = loadConfig(mapSource({ ...prod, advertInt: 2, sites: [...(prod.sites as object[]), { serverName: NEW_SITE, port: 7070 }] }, SECRET_KEYS));
/** The SSH session a step arrives on, from adminCidr to sshPort (the firewall step checks it). */
const FROM_ADMIN = "203.0.113.10 50022 10.0.4.20 22";

function stepOf(config: IamHaConfig, kind: StepKind) {
  return planNode(config, config.nodes[0]).steps.find((s) => s.kind === kind)!;
}

type Point = "nginx -t" | "keepalived -t" | "nft -c" | "before reload" | "after reload";

const tool = (name: string) => run("sh", ["-c", `command -v ${name}`]).stdout.trim();

/** A node's root in miniature: the real tools, a private /etc, /run and /var/lib/iam-ha, its own network. */
class PrivateHost {
  readonly root = tempDir("interrupted");
  readonly netns = `iam-ha-int-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor() {
    const ok = (r: { code: number; stderr: string }) => {
      if (r.code !== 0) throw new Error(r.stderr);
    };
    ok(run("ip", ["netns", "add", this.netns]));
    ok(run("ip", ["netns", "exec", this.netns, "sh", "-c", "ip link set lo up && ip link add eth0 type veth peer name iam-ha-peer && ip link set eth0 up"]));
    for (const dir of ["etc", "run", "state", "bin"]) fs.mkdirSync(`${this.root}/${dir}`);
    for (const f of ["passwd", "group"]) fs.copyFileSync(`/etc/${f}`, `${this.root}/etc/${f}`);
    // The distribution's files, as the packages step leaves them.
    ok(run("cp", ["-a", "/etc/nginx", "/etc/keepalived", `${this.root}/etc/`]));
    ok(run("rm", ["-rf", `${this.root}/etc/nginx/conf.d`, `${this.root}/etc/nginx/sites-enabled`]));
    fs.mkdirSync(`${this.root}/etc/nginx/conf.d`);
    this.writeStandIns();
  }

  /** Stand-ins in PATH: the tools interrupt when asked to, then run the real ones; systemctl runs a real nginx. */
  private writeStandIns() {
    const interrupt = `interrupt() {
  [ "$(head -n 1 '${this.root}/interrupt' 2>/dev/null)" = "$1" ] || return 0
  sig=$(sed -n 2p '${this.root}/interrupt')
  rm -f '${this.root}/interrupt'
  kill -s "$sig" 0
  sleep 30
}`;
    const nginx = tool("nginx");
    const scripts: Record<string, string> = {
      nginx: `case " $* " in *" -t "*) interrupt "nginx -t" ;; esac\nexec ${nginx} "$@"`,
      keepalived: `case " $* " in *" --config-test "*) interrupt "keepalived -t" ;; esac\nexec ${tool("keepalived")} "$@"`,
      nft: `case " $* " in *" -c "*) interrupt "nft -c" ;; esac\nexec ${tool("nft")} "$@"`,
      systemctl: `echo "systemctl $*" >> '${this.root}/systemctl.log'
nginx_running() { [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; }
case "$1 $*" in
  is-active*nginx*) nginx_running ;;
  reload*nginx*)
    interrupt "before reload"
    # break-reload: nginx dies in its reload (the health gate's case).
    if [ -e '${this.root}/break-reload' ]; then kill -QUIT "$(cat /run/nginx.pid)"; else ${nginx} -s reload 2>/dev/null; fi
    interrupt "after reload" ;;
  enable*--now*nginx*) ${nginx} </dev/null >/dev/null 2>&1 ;;
esac`,
    };
    for (const [name, body] of Object.entries(scripts)) {
      fs.writeFileSync(`${this.root}/bin/${name}`, `#!/bin/sh\n${interrupt}\n${body}\n`, { mode: 0o755 });
    }
  }

  /** The next run is stopped by SIGNAL in its whole process group when it reaches POINT. */
  interruptAt(point: Point, signal: "HUP" | "KILL") {
    fs.writeFileSync(`${this.root}/interrupt`, `${point}\n${signal}\n`);
  }

  /** Runs a step script as `bash -s -- apply` would on the node, in a session of its own (so an interruption stops it alone). */
  run(script: string) {
    const shell = `set -e
mount --bind "$0/etc" /etc
mount --bind "$0/run" /run
mount -t tmpfs iam-ha-test /var/log && mkdir /var/log/nginx
mount -t tmpfs iam-ha-test /var/lib && mkdir /var/lib/nginx /var/lib/iam-ha
mount --bind "$0/state" /var/lib/iam-ha
PATH="$0/bin:$PATH" exec bash -s -- apply`;
    const r = spawnSync("setsid", ["--wait", "ip", "netns", "exec", this.netns, "unshare", "--mount", "sh", "-c", shell, this.root], {
      input: script,
      encoding: "utf8",
      env: { ...process.env, SSH_CONNECTION: FROM_ADMIN },
      timeout: 60_000,
    });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  installed(file: string): string | undefined {
    return fs.existsSync(this.root + file) ? fs.readFileSync(this.root + file, "utf8") : undefined;
  }

  /** What /var/lib/iam-ha holds (the journal of an apply in progress would be there). */
  state(): string[] {
    return fs.readdirSync(`${this.root}/state`).sort();
  }

  /**
   * The HTTP status nginx answers for `host`, polled until it is `expected` or 10 s pass (a reload
   * takes effect in the background, once the old workers finish).
   */
  status(host: string, expected: string): string {
    const deadline = Date.now() + 10_000;
    const curl = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "-H", `Host: ${host}`, "http://127.0.0.1/"];
    for (;;) {
      const seen = run("ip", ["netns", "exec", this.netns, ...curl]).stdout;
      if (seen === expected || Date.now() > deadline) return seen;
      spawnSync("sleep", ["0.2"]);
    }
  }

  ruleset(): string {
    return run("ip", ["netns", "exec", this.netns, "nft", "list", "ruleset"]).stdout;
  }

  remove() {
    const pid = this.installed("/run/nginx.pid");
    if (pid) run("kill", ["-QUIT", pid.trim()]);
    run("ip", ["netns", "del", this.netns]);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const SIGNALS = [
  ["SIGHUP (the SSH session dropped)", "HUP"],
  ["SIGKILL", "KILL"],
] as const;

describe("nginx: an apply interrupted, then run again", () => {
  const oldScript = stepOf(before, "nginx").script;
  const newScript = stepOf(after, "nginx").script;
  const newSiteFile = `${PATHS.siteDir}/${NEW_SITE}.conf`;
  let host: PrivateHost;

  beforeEach(() => {
    host = new PrivateHost();
    const r = host.run(oldScript);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("nginx started");
    expect([host.status("iam.api.marmotedu.com", "502"), host.status(NEW_SITE, "404")]).toEqual(["502", "404"]);
  });
  afterEach(() => host.remove());

  test.each(SIGNALS)("interrupted by %s during nginx -t, the next run validates the new config and reloads nginx with it", (_what, signal) => {
    host.interruptAt("nginx -t", signal);
    expect(host.run(newScript).signal).toBe(`SIG${signal}`);
    // Validation comes first: nothing of the new config is in place yet.
    for (const f of stepOf(before, "nginx").files) expect({ file: f.path, content: host.installed(f.path) }).toEqual({ file: f.path, content: f.content });
    expect(host.installed(newSiteFile)).toBeUndefined();

    const again = host.run(newScript);
    expect(again.stderr).toBe("");
    expect(again.stdout).not.toContain("config unchanged");
    expect(again.stdout).toContain("nginx reloaded");
    expect(host.status(NEW_SITE, "502")).toBe("502");
    expect(host.installed(newSiteFile)).toBe(stepOf(after, "nginx").files.find((f) => f.path === newSiteFile)!.content);
    expect(host.state()).toEqual(["orig"]);
  });

  test("the health gate: a node serves through its own nginx after the reload before the roll goes on; one that does not fails its step, naming what to do", () => {
    expect(host.run(newScript).stdout).toContain("serves again through its own nginx");
    fs.writeFileSync(`${host.root}/break-reload`, "");
    const broken = host.run(stepOf(before, "nginx").script);
    expect(broken.code).not.toBe(0);
    // curl's own complaint from the last try, not one per try.
    expect(broken.stderr).toMatch(
      /nginx does not answer http:\/\/127\.0\.0\.1\/iam-ha-health 15 s after the reload \(last try: curl: \(\d+\) .+\), so the change stops here and no other node takes it/,
    );
    expect(broken.stderr.match(/curl: \(/g)).toHaveLength(1);
  });

  test("interrupted before its reload, the next run finds the apply unfinished and makes the new config live", () => {
    host.interruptAt("before reload", "KILL");
    expect(host.run(newScript).signal).toBe("SIGKILL");
    // The journal: root only, naming what was installed and where the previous versions are.
    const journal = `${host.root}/state/nginx.pending`;
    expect(fs.statSync(journal).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${host.root}/state/nginx.previous`).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(journal, "utf8")).toContain("their previous versions are under /var/lib/iam-ha/nginx.previous");
    expect(fs.readFileSync(journal, "utf8").split("\n")).toContain(newSiteFile);

    const again = host.run(newScript);
    expect(again.stderr).toBe("");
    expect(again.stdout).toContain("an earlier apply was interrupted");
    expect(again.stdout).not.toContain("config unchanged");
    expect(again.stdout).toContain("nginx reloaded");
    expect(host.status(NEW_SITE, "502")).toBe("502");
    expect(host.state()).toEqual(["orig"]);
    expect(host.run(newScript).stdout).toContain("config unchanged");
  });

  test("interrupted after its reload and run again with the previous config, the previous config is validated and reloaded, not left 'unchanged'", () => {
    host.interruptAt("after reload", "KILL");
    expect(host.run(newScript).signal).toBe("SIGKILL");
    expect(host.status(NEW_SITE, "502")).toBe("502");

    const back = host.run(oldScript);
    expect(back.stderr).toBe("");
    expect(back.stdout).not.toContain("config unchanged");
    expect(back.stdout).toContain("nginx reloaded");
    expect(host.status(NEW_SITE, "404")).toBe("404");
    expect(host.installed(newSiteFile)).toBeUndefined();
    expect(host.state()).toEqual(["orig"]);
  });

  test("interrupted before its reload and run again with a config nginx -t rejects, the previous config is back and live, and the run fails loudly", () => {
    host.interruptAt("before reload", "KILL");
    expect(host.run(newScript).signal).toBe("SIGKILL");

    const broken = host.run(newScript.replace(/max_fails=1 fail_timeout=3s;/g, ""));
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain("[iam-ha] node-1 nginx: ERROR: the new config failed validate_nginx, so it was not installed and the previous one stays");
    for (const f of stepOf(before, "nginx").files) expect({ file: f.path, content: host.installed(f.path) }).toEqual({ file: f.path, content: f.content });
    expect(host.installed(newSiteFile)).toBeUndefined();
    expect([host.status("iam.api.marmotedu.com", "502"), host.status(NEW_SITE, "404")]).toEqual(["502", "404"]);
    expect(host.state()).toEqual(["orig"]);
  });

  test("a run after a completed apply says 'config unchanged' and reloads nothing", () => {
    expect(host.run(newScript).stdout).toContain("nginx reloaded");
    const log = fs.readFileSync(`${host.root}/systemctl.log`, "utf8");
    const again = host.run(newScript);
    expect(again.stdout).toContain("config unchanged");
    expect(fs.readFileSync(`${host.root}/systemctl.log`, "utf8").slice(log.length)).not.toContain("reload");
  });
});

describe("keepalived: an apply interrupted, then run again", () => {
  /** The step with its activation (reload, VRRP state wait) replaced by a line in the log: keepalived itself is not run here. */
  const script = (config: IamHaConfig, conf = (c: string) => c) =>
    conf(stepOf(config, "keepalived").script).replace(
      /^main "\$@" <\/dev\/null$/m,
      'activate_keepalived() { log "activated"; }\nwait_for_vrrp_state() { :; }\nmain "$@" </dev/null',
    );
  let host: PrivateHost;
  beforeEach(() => (host = new PrivateHost()));
  afterEach(() => host.remove());

  test("the first apply validates keepalived.conf with its scripts, which only the staged copy holds yet", () => {
    const r = host.run(script(before));
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("activated");
    expect(host.installed(PATHS.keepalivedConf)).toBe(stepOf(before, "keepalived").files.find((f) => f.path === PATHS.keepalivedConf)!.content);
  });

  test("interrupted during keepalived -t, the next run validates and activates the new config", () => {
    expect(host.run(script(before)).code).toBe(0);
    host.interruptAt("keepalived -t", "HUP");
    expect(host.run(script(after)).signal).toBe("SIGHUP");
    const again = host.run(script(after));
    expect(again.stderr).toBe("");
    expect(again.stdout).not.toContain("config unchanged");
    expect(again.stdout).toContain("activated");
    expect(host.installed(PATHS.keepalivedConf)).toBe(stepOf(after, "keepalived").files.find((f) => f.path === PATHS.keepalivedConf)!.content);
    expect(host.run(script(after)).stdout).toContain("config unchanged");
  });

  test("a keepalived.conf keepalived -t rejects is never installed, and nothing is activated", () => {
    expect(host.run(script(before)).code).toBe(0);
    const installed = host.installed(PATHS.keepalivedConf);
    const r = host.run(script(after, (s) => s.replace("    enable_script_security\n", "    enable_script_security\n    vrrp_garp_interval 0\n")));
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("activated");
    expect(host.installed(PATHS.keepalivedConf)).toBe(installed);
  });
});

describe("the firewall: an apply interrupted, then run again", () => {
  let host: PrivateHost;
  beforeEach(() => (host = new PrivateHost()));
  afterEach(() => host.remove());

  test.each(SIGNALS)("interrupted by %s during nft -c, the next run checks and loads the new ruleset", (_what, signal) => {
    expect(host.run(stepOf(before, "firewall").script).code).toBe(0);
    expect(host.ruleset()).not.toContain("7070");
    host.interruptAt("nft -c", signal);
    expect(host.run(stepOf(after, "firewall").script).signal).toBe(`SIG${signal}`);

    const again = host.run(stepOf(after, "firewall").script);
    expect(again.stderr).toBe("");
    expect(again.stdout).not.toContain("config unchanged");
    expect(host.ruleset()).toContain("7070");
    expect(host.run(stepOf(after, "firewall").script).stdout).toContain("config unchanged");
  });
});
