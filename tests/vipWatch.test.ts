import * as fs from "fs";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { IamHaConfig, VIP_STATE_PORT } from "../config/types";
import { planNode } from "../render/steps";
import { SECRET_KEYS, stackValues, TEST_KEY_PAIR, threeNodeValues } from "./fixtures/stacks";
import { requireTools, run, tempDir, writeTree } from "./fixtures/tools";

/**
 * The VIP watch on a node, run by the real bash with its files at their real paths. curl and sleep
 * are stand-ins on PATH: curl answers each node's /iam-ha-state from a table and records webhook
 * posts, so nothing leaves this machine.
 */

requireTools("unshare", "mount", "shellcheck", "ip", "python3");

const withWatch = (values: Record<string, unknown>): IamHaConfig =>
  loadConfig(mapSource({ ...values, alertWebhook: "http://127.0.0.1:9/hook", vipWatchSeconds: 10 }, [...SECRET_KEYS, "alertWebhook"]));

const FAKE_CURL = `#!/bin/bash
# Answers http://ADDRESS/iam-ha-state from $STATES (ADDRESS=STATE lines); records any other call.
url=""
for a in "$@"; do case "$a" in http://*) url=$a ;; esac; done
if [ -z "$url" ]; then cat >/dev/null; echo post >> "$POSTS"; exit 0; fi
address=\${url#http://}; address=\${address%%/*}
state=$(grep -m1 "^$address=" "$STATES" | cut -d= -f2)
[ -n "$state" ] || exit 7
printf '%s' "$state"
`;

/** Runs the watch `times` times on node-1 with the given states; returns the log and the webhook posts. */
function watch(config: IamHaConfig, states: Record<string, string>, times = 1) {
  const root = tempDir("watch");
  const files = planNode(config, config.nodes[0]).steps.find((s) => s.name === "keepalived")!.files;
  writeTree(root, files);
  fs.mkdirSync(`${root}/bin`);
  fs.writeFileSync(`${root}/bin/curl`, FAKE_CURL, { mode: 0o755 });
  fs.writeFileSync(`${root}/bin/sleep`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  fs.writeFileSync(
    `${root}/states`,
    Object.entries(states)
      .map(([a, s]) => `${a}=${s}`)
      .join("\n") + "\n",
  );
  const script = [
    `mount --bind ${root}/etc/keepalived /etc/keepalived && mount -t tmpfs t /var/log && mount -t tmpfs t /run && mkdir /run/iam-ha || exit 99`,
    `export PATH=${root}/bin:$PATH STATES=${root}/states POSTS=${root}/posts`,
    ...Array(times).fill("/etc/keepalived/iam_ha_vip_watch.sh || exit $?"),
    "cat /var/log/keepalived.log 2>/dev/null; true",
  ].join("\n");
  const r = run("unshare", ["--mount", "sh", "-c", script]);
  const posts = fs.existsSync(`${root}/posts`) ? fs.readFileSync(`${root}/posts`, "utf8").trim().split("\n").length : 0;
  return { code: r.code, log: r.stdout, posts };
}

const prod = stackValues("prod");

/** Answers every connection to ADDRESS:PORT with STATE and a newline, as iam-ha-vip-state.socket does. */
const STATE_SERVER = `import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[3].encode() + b"\\n"); c.close()`;

/**
 * The VIP-only watch, with its real /dev/tcp reads: in a network namespace of its own, each node's
 * private address on lo and a state server there (none for a node left out of `states`).
 */
function watchOverSockets(config: IamHaConfig, states: Record<string, string>) {
  const root = tempDir("watch-sockets");
  const files = planNode(config, config.nodes[0]).steps.find((s) => s.name === "keepalived")!.files;
  writeTree(root, files);
  fs.mkdirSync(`${root}/bin`);
  fs.writeFileSync(`${root}/bin/curl`, FAKE_CURL, { mode: 0o755 });
  fs.writeFileSync(`${root}/bin/sleep`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  fs.writeFileSync(`${root}/server.py`, STATE_SERVER);
  fs.writeFileSync(`${root}/states`, "");
  const servers = Object.entries(states).flatMap(([address, state]) => [
    `python3 ${root}/server.py ${address} ${VIP_STATE_PORT} ${state} & pids="$pids $!"`,
    `until (exec 3<>/dev/tcp/${address}/${VIP_STATE_PORT}) 2>/dev/null; do /bin/sleep 0.05; done`,
  ]);
  const script = [
    `mount --bind ${root}/etc/keepalived /etc/keepalived && mount -t tmpfs t /var/log && mount -t tmpfs t /run && mkdir /run/iam-ha || exit 99`,
    "ip link set lo up",
    ...config.nodes.map((n) => `ip address add ${n.privateIp}/32 dev lo`),
    'pids=""',
    ...servers,
    `export PATH=${root}/bin:$PATH STATES=${root}/states POSTS=${root}/posts`,
    "/etc/keepalived/iam_ha_vip_watch.sh; code=$?",
    "kill $pids 2>/dev/null",
    "cat /var/log/keepalived.log 2>/dev/null",
    "exit $code",
  ].join("\n");
  const r = run("unshare", ["--mount", "--net", "bash", "-c", script]);
  const posts = fs.existsSync(`${root}/posts`) ? fs.readFileSync(`${root}/posts`, "utf8").trim().split("\n").length : 0;
  return { code: r.code, log: r.stdout, posts, stderr: r.stderr };
}

const vipOnly = (states: Record<string, string>) => watchOverSockets(withWatch({ ...prod, frontDoor: "vipOnly" }), states);

/**
 * Serves nginx's part over real HTTP on ADDRESS:PORT: a GET of a path listed as PATH=STATE answers
 * STATE and a newline (404 for any other); every POST's body is appended to POSTS_FILE, as the
 * alert webhook would receive it.
 */
const HTTP_SERVER = `import http.server, sys
address, port, posts, answers = sys.argv[1], int(sys.argv[2]), sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:])
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        state = answers.get(self.path)
        self.send_response(200 if state else 404); self.end_headers()
        if state: self.wfile.write(state.encode() + b"\\n")
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(posts, "ab") as f: f.write(body + b"\\n")
        self.send_response(200); self.end_headers()
http.server.HTTPServer((address, port), Handler).serve_forever()`;

/**
 * The watch of a stack with nginx against real sockets and the real curl: in a network namespace
 * of its own, each node's state paths served on the address the watch asks it at (this node:
 * 127.0.0.1; the others: their private address, on lo), and the alert webhook
 * (http://127.0.0.1:9/hook) a real server that records what is posted.
 */
function watchOverHttp(config: IamHaConfig, states: Record<string, Record<string, string>>) {
  const root = tempDir("watch-http");
  const files = planNode(config, config.nodes[0]).steps.find((s) => s.name === "keepalived")!.files;
  writeTree(root, files);
  fs.mkdirSync(`${root}/bin`);
  fs.writeFileSync(`${root}/bin/sleep`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  fs.writeFileSync(`${root}/server.py`, HTTP_SERVER);
  const serve = (address: string, port: number, answers: string[]) => [
    `python3 ${root}/server.py ${address} ${port} ${root}/posts ${answers.join(" ")} & pids="$pids $!"`,
    `until (exec 3<>/dev/tcp/${address}/${port}) 2>/dev/null; do /bin/sleep 0.05; done`,
  ];
  const script = [
    `mount --bind ${root}/etc/keepalived /etc/keepalived && mount -t tmpfs t /var/log && mount -t tmpfs t /run && mkdir /run/iam-ha || exit 99`,
    "ip link set lo up",
    ...config.nodes.slice(1).map((n) => `ip address add ${n.privateIp}/32 dev lo`),
    'pids=""',
    ...serve("127.0.0.1", 9, []),
    ...Object.entries(states).flatMap(([address, paths]) =>
      serve(
        address,
        80,
        Object.entries(paths).map(([p, state]) => `${p}=${state}`),
      ),
    ),
    `export PATH=${root}/bin:$PATH`,
    "/etc/keepalived/iam_ha_vip_watch.sh; code=$?",
    "kill $pids 2>/dev/null",
    "cat /var/log/keepalived.log 2>/dev/null",
    "exit $code",
  ].join("\n");
  const r = run("unshare", ["--mount", "--net", "bash", "-c", script]);
  const posts = fs.existsSync(`${root}/posts`) ? fs.readFileSync(`${root}/posts`, "utf8").trim().split("\n") : [];
  return { code: r.code, log: r.stdout, posts, stderr: r.stderr };
}

const activeActive = () => withWatch({ ...stackValues("activeactive"), sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined });

describe("the VIP watch", () => {
  test("two MASTERs are split brain: logged and alerted once, not on every run while it lasts", () => {
    const r = watch(withWatch(prod), { "127.0.0.1": "MASTER", "10.0.4.21": "MASTER" }, 3);
    expect(r.code).toBe(0);
    expect(r.log.match(/vip_watch SPLIT_BRAIN masters: node-1 node-2 node=node-1 vip=10\.0\.4\.99/g)).toHaveLength(1);
    expect(r.posts).toBe(1);
  });

  test("no MASTER while every node answers is reported", () => {
    const r = watch(withWatch(prod), { "127.0.0.1": "BACKUP", "10.0.4.21": "FAULT" });
    expect(r.log).toMatch(/vip_watch NO_MASTER states: node-1=BACKUP node-2=FAULT/);
    expect(r.posts).toBe(1);
  });

  test("one MASTER is quiet, and so is no MASTER while a node does not answer", () => {
    expect(watch(withWatch(prod), { "127.0.0.1": "BACKUP", "10.0.4.21": "MASTER" })).toMatchObject({ log: "", posts: 0 });
    expect(watch(withWatch(prod), { "127.0.0.1": "BACKUP" })).toMatchObject({ log: "", posts: 0 });
  });

  test("three nodes: node-1 asks itself over loopback and the two others by private IP", () => {
    const r = watch(withWatch(threeNodeValues()), { "127.0.0.1": "BACKUP", "10.0.4.21": "MASTER", "10.0.4.22": "MASTER" });
    expect(r.log).toMatch(/SPLIT_BRAIN masters: node-2 node-3/);
  });

  test("its script passes shellcheck, its timer runs every vipWatchSeconds, and 0 turns it off", () => {
    const files = planNode(withWatch(prod), withWatch(prod).nodes[0]).steps.find((s) => s.name === "keepalived")!.files;
    const script = files.find((f) => f.path.endsWith("iam_ha_vip_watch.sh"))!;
    expect(run("shellcheck", ["--shell=bash", "-"], { input: script.content }).stdout).toBe("");
    expect(files.find((f) => f.path.endsWith(".timer"))!.content).toContain("OnUnitActiveSec=10");
    const off = loadConfig(mapSource({ ...prod, vipWatchSeconds: 0 }, SECRET_KEYS));
    const step = planNode(off, off.nodes[0]).steps.find((s) => s.name === "keepalived")!;
    expect(step.files.map((f) => f.path)).not.toContain("/etc/keepalived/iam_ha_vip_watch.sh");
    expect(step.script).toContain(
      "'/etc/keepalived/iam_ha_vip_watch.sh' '/etc/systemd/system/iam-ha-vip-watch.service' '/etc/systemd/system/iam-ha-vip-watch.timer'",
    );
  });

  test("VIP-only: it reads every node's state socket on its private address (this node's too), and sees split brain", () => {
    const r = vipOnly({ "10.0.4.20": "MASTER", "10.0.4.21": "MASTER" });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.log).toMatch(/^\[[^\]]+\] vip_watch SPLIT_BRAIN masters: node-1 node-2 node=node-1 vip=10\.0\.4\.99$/m);
    expect(r.posts).toBe(1);
  });

  test("VIP-only: one MASTER is quiet; a node whose socket does not answer is unreachable, not a missing MASTER", () => {
    expect(vipOnly({ "10.0.4.20": "BACKUP", "10.0.4.21": "MASTER" })).toMatchObject({ code: 0, log: "", posts: 0 });
    expect(vipOnly({ "10.0.4.20": "BACKUP" })).toMatchObject({ code: 0, log: "", posts: 0 });
    expect(vipOnly({ "10.0.4.20": "BACKUP", "10.0.4.21": "FAULT" }).log).toMatch(/vip_watch NO_MASTER states: node-1=BACKUP node-2=FAULT/);
  });

  test("two VIPs: a split brain on the second VIP only is reported for that VIP, over real HTTP; the first stays quiet", () => {
    const config = activeActive();
    const [first, second] = config.vips.map((v) => v.address);
    // pair-a (this node, asked over loopback) and pair-b are both MASTER of the second VIP only.
    const r = watchOverHttp(config, {
      "127.0.0.1": { "/iam-ha-state": "MASTER", "/iam-ha-state-82": "MASTER" },
      "172.20.16.12": { "/iam-ha-state": "BACKUP", "/iam-ha-state-82": "MASTER" },
    });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.log.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^\\[[^\\]]+\\] vip_watch SPLIT_BRAIN masters: pair-a pair-b node=pair-a vip=${second}$`)),
    ]);
    expect(r.log).not.toContain(`vip=${first}`);
    expect(r.posts).toHaveLength(1);
    expect(JSON.parse(r.posts[0])).toMatchObject({ event: "vip_watch", state: "SPLIT_BRAIN", vip: second });
  });

  test("two VIPs: each node MASTER of its own VIP is quiet; no MASTER of the first VIP is reported for the first only", () => {
    const config = activeActive();
    const healthy = watchOverHttp(config, {
      "127.0.0.1": { "/iam-ha-state": "MASTER", "/iam-ha-state-82": "BACKUP" },
      "172.20.16.12": { "/iam-ha-state": "BACKUP", "/iam-ha-state-82": "MASTER" },
    });
    expect([healthy.code, healthy.stderr, healthy.log, healthy.posts]).toEqual([0, "", "", []]);
    const orphaned = watchOverHttp(config, {
      "127.0.0.1": { "/iam-ha-state": "FAULT", "/iam-ha-state-82": "BACKUP" },
      "172.20.16.12": { "/iam-ha-state": "BACKUP", "/iam-ha-state-82": "MASTER" },
    });
    expect(orphaned.log.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`NO_MASTER states: pair-a=FAULT pair-b=BACKUP node=pair-a vip=${config.vips[0].address}$`)),
    ]);
  });

  test("nginx serves keepalived's state to the other nodes and to nobody else", () => {
    const config = withWatch(prod);
    const conf = planNode(config, config.nodes[0])
      .steps.find((s) => s.name === "nginx")!
      .files.find((f) => f.path === "/etc/nginx/nginx.conf")!.content;
    expect(conf).toMatch(/location = \/iam-ha-state \{\n\s+access_log off;\n\s+allow 127\.0\.0\.1;\n\s+allow 10\.0\.4\.21;\n\s+deny all;/);
    expect(conf).toContain("alias /run/iam-ha/vrrp-state;");
  });
});
