import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { IamHaConfig } from "../config/types";
import { curlConfigValue, renderTemplate } from "../render/mustache";
import { planNode } from "../render/steps";
import { SECRET_KEYS, stackValues, TEST_KEY_PAIR } from "./fixtures/stacks";
import { requireTools, run, runAsync, tempDir, writeTree } from "./fixtures/tools";

/** VRRP transition alerts: the rendered sender posts what operators' chat robots expect. */

requireTools("curl", "unshare", "mount", "shellcheck");

const withAlerts = (format: string, url: string): IamHaConfig =>
  loadConfig(mapSource({ ...stackValues("prod"), alertWebhook: url, alertFormat: format }, [...SECRET_KEYS, "alertWebhook"]));

const keepalivedFiles = (config: IamHaConfig) => planNode(config, config.nodes[0]).steps.find((s) => s.name === "keepalived")!.files;

/**
 * Runs the rendered alert script with its files at their real paths: a private mount over
 * /etc/keepalived, and a private /var/log whose keepalived.log is printed afterwards.
 */
async function sendAlert(config: IamHaConfig, state: string, detail = "") {
  const root = tempDir("alert");
  writeTree(root, keepalivedFiles(config));
  // A sleep that records its delay and returns at once, so the back-off is seen, not waited for.
  fs.mkdirSync(`${root}/bin`);
  fs.writeFileSync(`${root}/bin/sleep`, `#!/bin/sh\necho "slept $1" >> /var/log/keepalived.log\n`, { mode: 0o755 });
  const script = [
    `mount --bind ${root}/etc/keepalived /etc/keepalived && mount -t tmpfs iam-ha-test /var/log || exit 99`,
    `export PATH=${root}/bin:$PATH`,
    `/etc/keepalived/iam_ha_alert.sh ${state} '2026-11-27 10:00:00' '${detail}'; rc=$?`,
    "cat /var/log/keepalived.log 2>/dev/null; exit $rc",
  ].join("\n");
  const result = await runAsync("unshare", ["--mount", "sh", "-c", script]);
  return { code: result.code, log: result.stdout };
}

describe("alerts", () => {
  let server: http.Server;
  let url = "";
  const received: { path: string; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ path: req.url ?? "", body });
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=s3cret&x=1`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each([
    [
      "generic",
      {
        event: "vrrp_transition",
        node: "node-1",
        state: "MASTER",
        vip: "10.0.4.99",
        time: "2026-11-27 10:00:00",
        detail: "",
        text: "[iam-ha] node-1 is now MASTER for VIP 10.0.4.99 at 2026-11-27 10:00:00",
      },
    ],
    ["wecom", { msgtype: "text", text: { content: "[iam-ha] node-1 is now MASTER for VIP 10.0.4.99 at 2026-11-27 10:00:00" } }],
    ["dingtalk", { msgtype: "text", text: { content: "[iam-ha] node-1 is now MASTER for VIP 10.0.4.99 at 2026-11-27 10:00:00" } }],
    ["slack", { text: "[iam-ha] node-1 is now MASTER for VIP 10.0.4.99 at 2026-11-27 10:00:00" }],
  ])("the %s format posts the transition to the webhook, token and all", async (format, expected) => {
    received.length = 0;
    const r = await sendAlert(withAlerts(format, url), "MASTER");
    expect(r.code).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0].path).toBe("/hook?token=s3cret&x=1");
    expect(JSON.parse(received[0].body)).toEqual(expected);
  });

  test("the VIP watch's finding goes out as its own event, with what it saw", async () => {
    received.length = 0;
    const r = await sendAlert(withAlerts("generic", url), "SPLIT_BRAIN", "masters: node-1 node-2");
    expect(r.code).toBe(0);
    expect(JSON.parse(received[0].body)).toMatchObject({
      event: "vip_watch",
      state: "SPLIT_BRAIN",
      detail: "masters: node-1 node-2",
      text: "[iam-ha] node-1 sees SPLIT_BRAIN (masters: node-1 node-2) for VIP 10.0.4.99 at 2026-11-27 10:00:00",
    });
  });

  test("two VIPs: keepalived's notify for the second VIP records that VIP's state in its own file and alerts for that VIP", async () => {
    received.length = 0;
    const config = loadConfig(
      mapSource({ ...stackValues("activeactive"), sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined, alertWebhook: url, alertFormat: "generic" }, [
        ...SECRET_KEYS,
        "alertWebhook",
      ]),
    );
    const [first, second] = config.vips.map((v) => v.address);
    const root = tempDir("notify");
    writeTree(root, keepalivedFiles(config));
    // systemd-run starts the sender in a transient unit; here it runs it in place, and waits.
    fs.mkdirSync(`${root}/bin`);
    fs.writeFileSync(`${root}/bin/systemd-run`, '#!/bin/bash\nwhile [[ "$1" == --* ]]; do shift; done\n"$@"\n', { mode: 0o755 });
    const script = [
      `mount --bind ${root}/etc/keepalived /etc/keepalived && mount -t tmpfs iam-ha-test /var/log && mount -t tmpfs iam-ha-test /run || exit 99`,
      `export PATH=${root}/bin:$PATH`,
      `/etc/keepalived/keepalived_notify.sh MASTER ${second} || exit $?`,
      // As a config from before several VIPs calls it (no VIP) while the step reloads keepalived: the primary's.
      "/etc/keepalived/keepalived_notify.sh FAULT || exit $?",
      `/etc/keepalived/keepalived_notify.sh BACKUP ${first} || exit $?`,
      'for f in /run/iam-ha/*; do echo "$f=$(cat "$f")"; done; cat /var/log/keepalived.log',
    ].join("\n");
    const r = await runAsync("unshare", ["--mount", "sh", "-c", script]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("/run/iam-ha/vrrp-state=BACKUP\n/run/iam-ha/vrrp-state-82=MASTER\n");
    expect(r.stdout).toMatch(new RegExp(`notify_fault node=pair-a vip=${first.replace(/\./g, "\\.")}\n`));
    expect(r.stdout).toMatch(new RegExp(`notify_master node=pair-a vip=${second.replace(/\./g, "\\.")}\n`));
    expect(received.map((p) => JSON.parse(p.body)).map((b) => [b.state, b.vip])).toEqual([
      ["MASTER", second],
      ["FAULT", first],
      ["BACKUP", first],
    ]);
  });

  test("an unreachable webhook is retried with back-off for about a minute, then logged, and the script ends", async () => {
    const closed = `http://127.0.0.1:1/hook`;
    const r = await sendAlert(withAlerts("generic", closed), "FAULT");
    expect(r.code).toBe(1);
    expect(r.log.match(/slept \d+/g)).toEqual(["slept 0", "slept 1", "slept 2", "slept 4", "slept 8", "slept 15", "slept 30"]);
    expect(r.log).toMatch(/alert for FAULT not delivered after 7 attempts/);
  });

  test("the webhook URL stays in a root-only file, never in a script or a command line", () => {
    const config = withAlerts("generic", url);
    const files = keepalivedFiles(config);
    const curl = files.find((f) => f.path.endsWith("iam-ha-alert.curl"))!;
    expect([curl.mode, curl.secret, curl.content.includes(url)]).toEqual(["0600", true, true]);
    for (const f of files.filter((x) => x !== curl)) expect(f.content).not.toContain("s3cret");
    const notify = files.find((f) => f.path.endsWith("keepalived_notify.sh"))!.content;
    expect(notify).toContain("systemd-run --no-block --collect --quiet /etc/keepalived/iam_ha_alert.sh");
  });

  test("without a webhook there is no sender, and the keepalived step removes an old one", () => {
    const config = loadConfig(mapSource(stackValues("prod"), SECRET_KEYS));
    const step = planNode(config, config.nodes[0]).steps.find((s) => s.name === "keepalived")!;
    expect(step.files.map((f) => f.path)).not.toContain("/etc/keepalived/iam_ha_alert.sh");
    expect(step.files.find((f) => f.path.endsWith("keepalived_notify.sh"))!.content).not.toContain("systemd-run");
    expect(step.script).toContain("readonly ABSENT_FILES=('/etc/keepalived/iam_ha_alert.sh' '/etc/keepalived/iam-ha-alert.curl' ");
  });

  test("the alert sender passes shellcheck in every format", () => {
    for (const format of ["generic", "wecom", "dingtalk", "slack"]) {
      const script = keepalivedFiles(withAlerts(format, url)).find((f) => f.path.endsWith("iam_ha_alert.sh"))!;
      expect({ format, findings: run("shellcheck", ["--shell=bash", "-"], { input: script.content }).stdout }).toEqual({ format, findings: "" });
    }
  });

  test("a webhook URL with $ and ` (which the loader lets through) reaches the webhook as configured", async () => {
    received.length = 0;
    const r = await sendAlert(withAlerts("generic", `${url}&sig=a$b\`c`), "MASTER");
    expect(r.code).toBe(0);
    expect(received.map((x) => x.path)).toEqual(["/hook?token=s3cret&x=1&sig=a$b`c"]);
  });

  test("curl reads the rendered config's URL as written, \\ and \" included", async () => {
    const file = `${tempDir("curl-config")}/webhook.curl`;
    const target = `${url}&q="quoted"\\back`;
    fs.writeFileSync(file, renderTemplate("iam-ha-alert.curl.mustache", { node: "node-1", url: target }, curlConfigValue));
    received.length = 0;
    const r = await runAsync("curl", ["--silent", "--fail", "--globoff", "--config", file, "--data", "{}"]);
    expect(r.code).toBe(0);
    expect(received.map((x) => x.path)).toEqual(['/hook?token=s3cret&x=1&q="quoted"\\back']);
  });

  test("a webhook that is not an http(s) URL is refused with the key", () => {
    expect(() => withAlerts("generic", "ftp://example.com/x")).toThrow(/iam-ha:alertWebhook: is not an http\(s\) URL/);
  });
});
