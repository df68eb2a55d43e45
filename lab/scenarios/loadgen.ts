/**
 * A bounded request stream, run inside a lab namespace (nsenter --net): one request every
 * --interval ms on a new connection, for --duration ms, one JSON line per request to stdout
 * (RequestEvent: start, time to answer, status, the answering node, and whether it counts as ok).
 *   --url U --host H --interval MS --duration MS
 * Each request waits up to 5 s, so an answer later than the 1 s budget is seen (slow), not lost.
 * Throughput is wrk's job (throughput.ts).
 */
import * as http from "http";
import { answeredInTime, RequestEvent } from "./benchFigures";

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
const TIMEOUT_MS = 5000;

function request(): Promise<RequestEvent> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (status: number, node?: string) => {
      const ms = Date.now() - started;
      resolve({ t: started, ms, status, node, ok: answeredInTime(status, ms) });
    };
    const req = http.get(
      { host: url.hostname, port: url.port || 80, path: url.pathname, headers: { Host: host }, agent: false, timeout: TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? 0, res.headers["x-iam-node"] as string | undefined));
        res.on("error", () => done(0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => done(0));
  });
}

async function stream(interval: number): Promise<void> {
  const end = Date.now() + duration;
  const pending: Promise<void>[] = [];
  while (Date.now() < end) {
    pending.push(request().then((e) => void process.stdout.write(`${JSON.stringify(e)}\n`)));
    await new Promise((r) => setTimeout(r, interval));
  }
  await Promise.all(pending);
}

stream(Math.max(5, Number(arg("interval", "20")))).catch((e) => {
  process.stderr.write(`loadgen: ${e.message}\n`);
  process.exit(1);
});
