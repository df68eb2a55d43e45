/**
 * `npm run bench`: failover, throughput and flap figures in the lab, for the article's settings,
 * ours (the stack's defaults) and ours with sub-second VRRPv3 adverts, side by side. A script that
 * prints numbers and writes them (--json, with the raw recordings) and a picture per scenario and
 * setting (SVG, the median round); nothing here passes or fails. A stack with several VIPs
 * (examples/Pulumi.activeactive.yaml: --stack activeactive) adds each VIP's figures while a front
 * door fails and comes back. Then the CLB front door (--clb-stack, examples/Pulumi.clb.yaml by
 * default) on its own lab: a front door, a whole zone and the zone back, set beside the HAVIP's
 * figures for the same faults. A CLB stack as --stack reports its zone figures alone.
 *   npm run bench -- [--rounds 3] [--stack lab] [--json FILE] [--svg-dir DIR] [--advert-int 0.3] [--flap-minutes 10] [--flap-advert-int X] [--clb-stack clb|none]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyCommands } from "../program/apply";
import { log } from "../hosts/exec";
import { declaredCommands } from "../program/declaredCommands";
import { hostsRunning } from "../hosts/lab";
import { down, up } from "../program/session";
import { LabStack, loadLabStack } from "../program/stack";
import { refreshStandIns } from "../program/standins";
import { BenchArgs, parseBenchArgs } from "./benchArgs";
import { scenarioChart } from "./benchChart";
import { ActiveActiveResult, lastPreferred, runActiveActive } from "./activeActive";
import {
  activeActiveReport,
  failoverReport,
  flapReport,
  frontDoorsReport,
  SettingRun,
  summarize,
  summarizeVips,
  summarizeZones,
  throughputReport,
  zonesReport,
  ZonesRun,
} from "./benchReport";
import { runZoneScenario, ZoneScenarioResult, zoneScenarios } from "./zones";
import { runScenario, scenarios } from "./failover";
import { FlapRun, runFlap } from "./flap";
import { measureThroughput, Throughput } from "./throughput";

/** The article's keepalived and nginx settings (seeds/000): a 5 s check, no process or stop tracking, nginx defaults upstream, priorities 100/50 (below). */
const ARTICLE_SETTINGS = {
  checkInterval: 5,
  checkFall: 1,
  checkRise: 1,
  trackNginxStop: false,
  trackNginxProcess: false,
  upstreamKeepalive: 0,
  upstreamFailTimeout: 10,
  proxyConnectTimeoutMs: 60_000,
};

/** Sub-second adverts need VRRPv3, which has no authentication: the lab then stands in for no vrrpAuthPass (program/stack.ts). */
const subSecond = (advertInt: number) => ({ vrrpVersion: 3, advertInt });

interface Setting {
  name: string;
  overrides: Record<string, unknown>;
}

function benchSettings(ours: LabStack, args: BenchArgs): Setting[] {
  // The article's priorities, 100 and 50 (then 49, 48, … for more nodes).
  const articleNodes = ours.config.nodes.map((n, i) => ({ name: n.name, privateIp: n.privateIp, priority: i === 0 ? 100 : 51 - i }));
  return [
    { name: "article", overrides: { ...ARTICLE_SETTINGS, nodes: articleNodes } },
    { name: "ours", overrides: {} },
    { name: `ours, ${args.advertInt} s v3`, overrides: subSecond(args.advertInt) },
  ];
}

/** The stack with a setting's overrides, or why the config loader refused it. */
async function stackFor(args: BenchArgs, setting: Setting): Promise<LabStack | string> {
  try {
    return await loadLabStack(args.stack, setting.overrides);
  } catch (e) {
    return e instanceof Error ? e.message.split("\n").slice(0, 3).join(" ") : String(e);
  }
}

async function applySettings(stack: LabStack): Promise<void> {
  await applyCommands(stack.topology, await declaredCommands(stack));
}

async function measureSetting(args: BenchArgs, setting: Setting): Promise<SettingRun> {
  const stack = await stackFor(args, setting);
  if (typeof stack === "string") {
    log(`${setting.name}: skipped, the config loader refused it: ${stack}`);
    return { ...setting, skipped: stack, rounds: [] };
  }
  log(`switching the nodes to the ${setting.name} settings…`);
  await applySettings(stack);
  const rounds = [];
  for (let round = 1; round <= args.rounds; round++) {
    const results = [];
    for (const scenario of scenarios(stack.config)) {
      log(`${setting.name}, round ${round}/${args.rounds}: ${scenario.name}`);
      results.push(await runScenario(stack, scenario));
    }
    rounds.push(results);
  }
  return { ...setting, rounds };
}

/** The flap run on the sub-second setting at --flap-advert-int, or on ours when the loader refuses that. */
async function measureFlap(args: BenchArgs, ours: LabStack): Promise<{ settings: string; run: FlapRun }> {
  const setting = { name: `ours, ${args.flapAdvertInt} s v3`, overrides: subSecond(args.flapAdvertInt) };
  const stack = await stackFor(args, setting);
  const chosen = typeof stack === "string" ? ours : stack;
  const settings = typeof stack === "string" ? `ours (${setting.name} refused: ${stack})` : setting.name;
  await applySettings(chosen);
  return { settings, run: await runFlap(chosen, args.flapMinutes) };
}

/** The zone scenarios on a CLB stack's running lab, every round. */
async function measureZones(args: BenchArgs, stack: LabStack): Promise<ZonesRun> {
  const rounds: ZoneScenarioResult[][] = [];
  for (let round = 1; round <= args.rounds; round++) {
    const results = [];
    for (const scenario of zoneScenarios()) {
      log(`CLB, round ${round}/${args.rounds}: ${scenario.name}`);
      results.push(await runZoneScenario(stack, scenario));
    }
    rounds.push(results);
  }
  const { clb } = stack.config;
  const health = `checks every ${clb.healthInterval} s, ${clb.unhealthyThreshold} failed: out, ${clb.healthyThreshold} passed: in`;
  return { stack: stack.name, health, rounds };
}

/** The CLB stack's zone figures, on its own lab: the HAVIP stack's lab goes down first (one lab at a time). */
async function measureClbBeside(args: BenchArgs, havip: LabStack, clbStackName: string): Promise<ZonesRun> {
  const clbStack = await loadLabStack(clbStackName);
  if (clbStack.config.frontDoor !== "clb")
    throw new Error(
      `--clb-stack ${clbStackName}: that stack's frontDoor is ${clbStack.config.frontDoor}, not clb; name a clb stack (examples/Pulumi.clb.yaml: clb) or none`,
    );
  log(`the CLB front door beside the HAVIP's: stack ${havip.name}'s lab goes down, stack ${clbStackName}'s comes up…`);
  await down(havip);
  const { checks } = await up(clbStack);
  const failing = checks.filter((c) => !c.ok);
  if (failing.length) throw new Error(`stack ${clbStackName}'s lab came up with failing checks: ${failing.map((c) => `${c.name}: ${c.detail}`).join("; ")}`);
  await refreshStandIns(clbStack.topology);
  const zones = await measureZones(args, clbStack);
  log(`stack ${clbStackName}'s lab stays up: npm run lab -- down --stack ${clbStackName}`);
  return zones;
}

/** The figures and raw recordings as JSON, when --json asks for them. */
function writeJson(args: BenchArgs, figures: Record<string, unknown>): void {
  if (!args.json) return;
  const report = { when: new Date().toISOString(), machine: { cpus: os.cpus().length }, args, ...figures };
  fs.writeFileSync(args.json, `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`figures and recordings: ${args.json}\n`);
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

/** The median round of each scenario and setting as SVG in `dir`; returns the files. */
function writePictures(dir: string, runs: SettingRun[], nodes: string[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return runs.flatMap((run) =>
    summarize(run.rounds).map((s) => {
      const result = run.rounds[s.pictureRound].find((r) => r.name === s.name)!;
      const file = path.join(dir, `${slug(run.name)}--${slug(s.name)}.svg`);
      const title = `${s.name} — ${run.name} settings (round ${s.pictureRound + 1} of ${s.rounds}, the median)`;
      fs.writeFileSync(file, scenarioChart({ title, nodes, timeline: result.timeline }));
      return file;
    }),
  );
}

async function main(argv: string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const ours = await loadLabStack(args.stack);
  if (!hostsRunning(ours.topology)) await up(ours);
  await refreshStandIns(ours.topology);
  await applySettings(ours);
  const throughput: Throughput = await measureThroughput(ours);
  process.stdout.write(`\n${throughputReport(throughput)}\n`);
  // Behind a CLB there is no keepalived to tune: a front door and a zone failing, and the zone back.
  if (ours.config.frontDoor === "clb") {
    const zones = await measureZones(args, ours);
    process.stdout.write(`\n${zonesReport(zones.rounds, zones.health)}\n`);
    return writeJson(args, { throughput, zones: { ...zones, summary: summarizeZones(zones.rounds) } });
  }
  const runs: SettingRun[] = [];
  for (const setting of benchSettings(ours, args)) runs.push(await measureSetting(args, setting));
  // With several VIPs (vips): each VIP's figures while one front door fails and comes back.
  const spreadNode = ours.config.vips.length > 1 ? lastPreferred(ours.config) : undefined;
  const activeActive: ActiveActiveResult[][] = [];
  for (let round = 1; spreadNode && round <= args.rounds; round++) {
    log(`active-active, round ${round}/${args.rounds}: ${spreadNode} fails and comes back`);
    activeActive.push(await runActiveActive(ours, spreadNode));
  }
  // A flap run that fails still leaves the figures above to report.
  const flap = args.flapMinutes > 0 ? await measureFlap(args, ours).catch((e: Error) => ({ error: e.message })) : undefined;
  log("switching back to ours…");
  await applySettings(ours);
  process.stdout.write(`\nFailover, ${args.rounds} round(s) each (a request every 20 ms through the EIP):\n${failoverReport(runs)}\n`);
  if (spreadNode) process.stdout.write(`\n${activeActiveReport(activeActive, spreadNode)}\n`);
  if (flap) process.stdout.write(`\n${"error" in flap ? `Flap safety: failed: ${flap.error}` : flapReport(flap.run, flap.settings)}\n`);
  // The CLB front door's zone figures beside these, on the same faults; its failure leaves these figures to report.
  const clb = args.clbStack ? await measureClbBeside(args, ours, args.clbStack).catch((e: Error) => ({ error: e.message })) : undefined;
  if (clb && "error" in clb) process.stdout.write(`\nThe CLB front door: failed: ${clb.error}\n`);
  else if (clb) {
    const placement = { stack: ours.name, zone: ours.config.network.availabilityZone, nodes: ours.config.nodes.length };
    process.stdout.write(`\n${zonesReport(clb.rounds, clb.health)}\n\n${frontDoorsReport(runs, placement, clb)}\n`);
  }
  const svgDir = args.svgDir ?? (args.json ? path.dirname(args.json) : undefined);
  const pictures = svgDir
    ? writePictures(
        svgDir,
        runs,
        ours.topology.nodes.map((n) => n.name),
      )
    : [];
  if (pictures.length) process.stdout.write(`\npictures (the median round of each):\n${pictures.map((p) => `  ${p}`).join("\n")}\n`);
  writeJson(args, {
    throughput,
    settings: runs.map((r) => ({ ...r, summary: summarize(r.rounds) })),
    flap,
    activeActive: spreadNode ? { node: spreadNode, rounds: activeActive, summary: summarizeVips(activeActive) } : undefined,
    clb: clb && !("error" in clb) ? { ...clb, summary: summarizeZones(clb.rounds) } : clb,
    pictures,
  });
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`[bench] ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
