import { spawnSync } from "child_process";
import * as fs from "fs";
import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { IamHaConfig } from "../config/types";
import { PATHS } from "../render/osFacts";
import { planNode, StepKind } from "../render/steps";
import { SECRET_KEYS, stackValues, TEST_KEY_PAIR } from "./fixtures/stacks";
import { requireTools, tempDir } from "./fixtures/tools";

/**
 * The VRRP hold and release steps decide on the node, from its live keepalived.conf: a node that
 * doesn't hold the VIP leaves the election only when the new settings are ones its peers could not
 * hear (router id, advert interval, password). Each case runs the real step script with bash on a
 * private /etc/keepalived, /run/iam-ha and /var/lib/iam-ha (a mount namespace), the live config
 * rendered from the old stack; stand-ins answer for systemctl and for the VIP on the interface.
 * That two MASTERs never show while such a change rolls is the lab's Day 2 suite's to prove.
 */

requireTools("bash", "unshare", "sed", "paste");

const prod = stackValues("prod");
const configOf = (values: Record<string, unknown>) => loadConfig(mapSource({ ...prod, ...values }, SECRET_KEYS));
const old = configOf({});
const stepOf = (config: IamHaConfig, kind: StepKind) => planNode(config, config.nodes[1]).steps.find((s) => s.kind === kind)!;
const liveConf = (config: IamHaConfig) => stepOf(config, "keepalived").files.find((f) => f.path === PATHS.keepalivedConf)!.content;

interface Node {
  /** keepalived.conf as it is live on the node; undefined: none. */
  conf?: string;
  keepalivedActive?: boolean;
  holdsVip?: boolean;
  /** What the notify script last wrote (keepalived's state). */
  state?: string;
  hold?: string;
}

function runStep(script: string, node: Node) {
  const root = tempDir("vrrp-hold");
  for (const dir of ["keepalived", "run", "state", "bin"]) fs.mkdirSync(`${root}/${dir}`);
  if (node.conf !== undefined) fs.writeFileSync(`${root}/keepalived/keepalived.conf`, node.conf);
  if (node.state) fs.writeFileSync(`${root}/run/vrrp-state`, `${node.state}\n`);
  if (node.hold) fs.writeFileSync(`${root}/state/rollout-hold`, `${node.hold}\n`);
  const vip = node.holdsVip ? ` ${old.vips[0].address}/32` : "";
  fs.writeFileSync(`${root}/bin/systemctl`, `#!/bin/sh\n[ "$1 $3" = "is-active keepalived" ] && exit ${node.keepalivedActive === false ? 3 : 0}\nexit 0\n`, {
    mode: 0o755,
  });
  fs.writeFileSync(`${root}/bin/ip`, `#!/bin/sh\necho "2: ${old.vrrp.interface}    inet 10.0.4.21/24${vip}"\n`, { mode: 0o755 });
  const shell = `set -e
mount --bind "$0/keepalived" /etc/keepalived
mkdir -p /run/iam-ha /var/lib/iam-ha
mount --bind "$0/run" /run/iam-ha
mount --bind "$0/state" /var/lib/iam-ha
PATH="$0/bin:$PATH" exec bash -s -- apply`;
  const r = spawnSync("unshare", ["--mount", "sh", "-c", shell, root], { input: script, encoding: "utf8", timeout: 30_000 });
  const hold = fs.existsSync(`${root}/state/rollout-hold`) ? fs.readFileSync(`${root}/state/rollout-hold`, "utf8").trim() : undefined;
  return { code: r.status, out: r.stdout + r.stderr, hold };
}

const incompatible: [string, Record<string, unknown>][] = [
  ["a new vrrpAuthPass", { vrrpAuthPass: "Nw9pAss2" }],
  ["a new advertInt", { advertInt: 2 }],
  ["a new virtualRouterId", { virtualRouterId: 77 }],
  ["VRRPv3 (sub-second adverts, no password)", { vrrpVersion: 3, advertInt: "0.3", vrrpAuthPass: undefined }],
];

describe("vrrp-hold", () => {
  const backup = { conf: liveConf(old), state: "FAULT" };

  test.each(incompatible)("%s holds a node that does not hold the VIP", (_, change) => {
    const r = runStep(stepOf(configOf(change), "vrrp-hold").script, backup);
    expect([r.code, r.hold]).toEqual([0, "1"]);
    expect(r.out).toContain("held out of the election");
  });

  test.each(incompatible)("%s leaves the VIP's holder in the election", (what, change) => {
    const r = runStep(stepOf(configOf(change), "vrrp-hold").script, { ...backup, holdsVip: true });
    expect([r.code, r.hold]).toEqual([0, undefined]);
    // A reload keeps the instance's MASTER state, but a new router id makes a new instance.
    expect(r.out).toContain(what.includes("virtualRouterId") ? "takes the VIP again about three advert intervals" : "stays MASTER");
  });

  test.each([
    ["the same settings", {}],
    ["new priorities", { nodes: (prod.nodes as object[]).map((n, i) => ({ ...n, priority: [230, 220][i] })) }],
    ["a new site", { sites: [...(prod.sites as object[]), { serverName: "iam.new.example.com", port: 7070 }] }],
  ])("%s (peers still hear each other) hold nobody", (_, change) => {
    const r = runStep(stepOf(configOf(change), "vrrp-hold").script, backup);
    expect([r.code, r.hold]).toEqual([0, undefined]);
    expect(r.out).toContain("no hold");
  });

  test.each([
    ["a new node (no keepalived yet)", { conf: undefined, keepalivedActive: false }],
    ["a node whose keepalived is stopped", { keepalivedActive: false }],
  ])("%s is held: it starts with the new settings while the holder may still speak the old", (_, node) => {
    const r = runStep(stepOf(configOf({ vrrpAuthPass: "Nw9pAss2" }), "vrrp-hold").script, { ...backup, ...node });
    expect([r.code, r.hold]).toEqual([0, "1"]);
    expect(r.out).toContain("will start held out of the election");
  });

  test("a live config from before the hold existed refuses the change, saying how to make it", () => {
    const untracked = liveConf(old)
      .split("\n")
      .filter((l) => !l.includes(PATHS.rolloutHoldFile) && l.trim() !== "rollout_hold")
      .join("\n");
    const r = runStep(stepOf(configOf({ vrrpAuthPass: "Nw9pAss2" }), "vrrp-hold").script, { ...backup, conf: untracked });
    expect(r.code).toBe(1);
    expect(r.out).toContain("run pulumi up once without changing vrrpAuthPass, virtualRouterId, advertInt or vrrpVersion");
    expect(r.hold).toBeUndefined();
  });
});

describe("vrrp-hold with two VIPs (active-active): the settings peers must share are every instance's", () => {
  const values = stackValues("activeactive");
  const twoVips = (change: (vips: { virtualRouterId: number }[]) => void = () => undefined) => {
    const vips = structuredClone(values.vips) as { virtualRouterId: number }[];
    change(vips);
    return loadConfig(mapSource({ ...values, vips, sshPublicKey: TEST_KEY_PAIR.publicKey, vrrpAuthPass: undefined }, SECRET_KEYS));
  };
  const live = { conf: liveConf(twoVips()), state: "BACKUP" };

  test("the live config runs two instances, and unchanged settings hold nobody", () => {
    expect(live.conf.match(/^vrrp_instance \S+/gm)).toEqual(["vrrp_instance IAM_HA_81", "vrrp_instance IAM_HA_82"]);
    const r = runStep(stepOf(twoVips(), "vrrp-hold").script, live);
    expect([r.code, r.hold]).toEqual([0, undefined]);
    expect(r.out).toContain("no hold");
  });

  test.each([
    ["the second VIP's router id", 1],
    ["the first VIP's router id", 0],
  ])("a new value of %s holds a node that does not hold the primary VIP", (_, index) => {
    const changed = twoVips((vips) => (vips[index].virtualRouterId = 90));
    const r = runStep(stepOf(changed, "vrrp-hold").script, { ...live, state: "FAULT" });
    expect([r.code, r.hold]).toEqual([0, "1"]);
    expect(r.out).toContain("held out of the election");
  });
});

describe("vrrp-release", () => {
  const release = stepOf(configOf({ vrrpAuthPass: "Nw9pAss2" }), "vrrp-release").script;

  test("a held node is released and the step waits until keepalived is BACKUP or MASTER", () => {
    const r = runStep(release, { conf: liveConf(old), hold: "1", state: "BACKUP" });
    expect([r.code, r.hold]).toEqual([0, "0"]);
    expect(r.out).toContain("released: keepalived is BACKUP");
  });

  test("a node that was not held is left alone", () => {
    const r = runStep(release, { conf: liveConf(old), state: "MASTER" });
    expect([r.code, r.hold]).toEqual([0, undefined]);
    expect(r.out).toContain("not held");
  });
});
