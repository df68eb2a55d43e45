/**
 * A bounded request generator, run inside a lab namespace (nsenter --net): one JSON line per
 * request to stdout. Two modes:
 *   stream:     --url U --host H --interval MS --duration MS   one request every interval, new connection each
 *   throughput: --url U --host H --concurrency N --duration MS  N workers back to back, keep-alive
 * Every request has a 1 s timeout; the run ends by itself after --duration.
 */
import * as http from "http";

interface Event {
  t: number;
  ok: boolean;
  status: number;
  node?: string;
  ms: number;
}

const args = process.argv.slice(2);
const arg = (name: string, fallback?: string) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
};

const url = new URL(arg("url"));
const host = arg("host");
const duration = Math.min(Number(arg("duration")), 120_000);
const TIMEOUT_MS = 1000;

function request(agent: http.Agent | false): Promise<Event> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (status: number, node?: string) => resolve({ t: started, ok: status === 200, status, node, ms: Date.now() - started });
    const req = http.get({ host: url.hostname, port: url.port || 80, path: url.pathname, headers: { Host: host }, agent, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode ?? 0, res.headers["x-iam-node"] as string | undefined));
      res.on("error", () => done(0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => done(0));
  });
}

async function stream(interval: number): Promise<void> {
  const end = Date.now() + duration;
  const pending: Promise<void>[] = [];
  while (Date.now() < end) {
    pending.push(request(false).then((e) => void process.stdout.write(`${JSON.stringify(e)}\n`)));
    await new Promise((r) => setTimeout(r, interval));
  }
  await Promise.all(pending);
}

async function throughput(concurrency: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + duration;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, 256) }, async () => {
      while (Date.now() < end) {
        if ((await request(agent)).ok) ok++;
        else failed++;
      }
    }),
  );
  agent.destroy();
  process.stdout.write(`${JSON.stringify({ ok, failed, seconds: duration / 1000 })}\n`);
}

(args.includes("--concurrency") ? throughput(Number(arg("concurrency"))) : stream(Math.max(5, Number(arg("interval", "20"))))).catch((e) => {
  process.stderr.write(`loadgen: ${e.message}\n`);
  process.exit(1);
});
