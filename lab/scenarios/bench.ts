/**
 * `npm run bench`: failover and throughput figures in the lab, for our settings and the
 * article's side by side. A script that prints numbers, not a test: nothing here passes or fails.
 *   npm run bench -- [--rounds 3] [--stack lab]
 */
import { applyCommands } from "../program/apply";
import { log } from "../hosts/exec";
import { declaredCommands } from "../program/declaredCommands";
import { runLoadgen, runScenario, scenarios, ScenarioResult } from "./failover";
import { hostsRunning } from "../hosts/lab";
import { up } from "../program/session";
import { LabStack, loadLabStack } from "../program/stack";

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
const THROUGHPUT_SECONDS = 5;
const THROUGHPUT_CONCURRENCY = 8;

interface Figures {
  vipMoved: (number | null)[];
  recovered: (number | null)[];
  failed: number[];
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] : NaN);
const known = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
const secs = (ms: number) => (Number.isNaN(ms) ? "—" : `${(ms / 1000).toFixed(2)}s`);

async function applySettings(stack: LabStack): Promise<void> {
  await applyCommands(stack.topology, await declaredCommands(stack));
}

async function measureScenarios(stack: LabStack, rounds: number): Promise<Map<string, Figures>> {
  const figures = new Map<string, Figures>();
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of scenarios(stack.config)) {
      log(`round ${round}/${rounds}: ${scenario.name}`);
      const r: ScenarioResult = await runScenario(stack, scenario);
      const f = figures.get(r.name) ?? { vipMoved: [], recovered: [], failed: [] };
      f.vipMoved.push(r.vipMovedMs);
      f.recovered.push(r.recoveredMs);
      f.failed.push(r.failed);
      figures.set(r.name, f);
    }
  }
  return figures;
}

async function requestsPerSecond(stack: LabStack, where: "eip" | "backend"): Promise<number> {
  const site = stack.config.sites[0];
  const node = stack.topology.nodes[0];
  const url = where === "eip" ? `http://${stack.topology.eip}/healthz` : `http://${node.privateIp}:${site.port}/healthz`;
  const args = ["--url", url, "--host", site.serverName, "--concurrency", String(THROUGHPUT_CONCURRENCY), "--duration", String(THROUGHPUT_SECONDS * 1000)];
  const lines = await runLoadgen(where === "eip" ? "client" : "lab", args, 60_000);
  const { ok, seconds } = lines[lines.length - 1] as { ok: number; seconds: number };
  return ok / seconds;
}

function report(ours: Map<string, Figures>, article: Map<string, Figures>): string {
  const header =
    "SCENARIO                                          | OURS: VIP moved med/worst, req ok again med/worst, failed med/worst | ARTICLE: same | recovery ratio";
  const rows = [...ours.keys()].map((name) => {
    const o = ours.get(name)!;
    const a = article.get(name)!;
    const cell = (f: Figures) => {
      const moved = known(f.vipMoved);
      const rec = known(f.recovered);
      const worst = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
      return `${secs(median(moved))}/${secs(worst(moved))}, ${secs(median(rec))}/${secs(worst(rec))}, ${median(f.failed)}/${worst(f.failed)}`;
    };
    const ratio = median(known(a.recovered)) / median(known(o.recovered));
    return `${name.padEnd(49)} | ${cell(o).padEnd(68)} | ${cell(a).padEnd(40)} | ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : "—"}`;
  });
  return [header, ...rows].join("\n");
}

async function main(argv: string[]): Promise<void> {
  const rounds = Number(argv[argv.indexOf("--rounds") + 1] ?? 3) || 3;
  const stackName = argv.includes("--stack") ? argv[argv.indexOf("--stack") + 1] : "lab";
  const ours = await loadLabStack(stackName);
  // The article's priorities, 100 and 50 (then 49, 48, … for more nodes).
  const articleNodes = ours.config.nodes.map((n, i) => ({ name: n.name, privateIp: n.privateIp, priority: i === 0 ? 100 : 51 - i }));
  const article = await loadLabStack(stackName, { ...ARTICLE_SETTINGS, nodes: articleNodes });
  if (!hostsRunning(ours.topology)) await up(ours);
  await applySettings(ours);
  const eipRps = await requestsPerSecond(ours, "eip");
  const backendRps = await requestsPerSecond(ours, "backend");
  const oursFigures = await measureScenarios(ours, rounds);
  log("switching the nodes to the article's settings…");
  await applySettings(article);
  const articleFigures = await measureScenarios(article, rounds);
  log("switching back to ours…");
  await applySettings(ours);
  process.stdout.write(
    `\nFailover, ${rounds} round(s) each (requests every 20 ms through the EIP; 1 s request timeout):\n${report(oursFigures, articleFigures)}\n`,
  );
  process.stdout.write(
    `\nThroughput (${THROUGHPUT_CONCURRENCY} keep-alive clients, ${THROUGHPUT_SECONDS} s): through the EIP ${eipRps.toFixed(0)} req/s, direct to ${ours.topology.nodes[0].name}'s backend ${backendRps.toFixed(0)} req/s (${((eipRps / backendRps) * 100).toFixed(0)} %)\n`,
  );
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`[bench] ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
