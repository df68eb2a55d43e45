/**
 * The bench's figures from what the lab recorded (requests, journal lines, wrk's and ip's output):
 * pure, so each rule is unit-tested (tests/benchFigures.test.ts).
 */

/**
 * A request counts as failed unless a 200 came back within this budget: the client's patience the
 * issue's thresholds were set with. The stream itself waits longer (loadgen.ts), so a late answer
 * is seen and counted as slow.
 */
export const ANSWER_BUDGET_MS = 1000;

/** One request of a stream: when it started (ms), how long its answer took (or until it gave up), its status (0: no answer). */
export interface RequestEvent {
  t: number;
  ms: number;
  status: number;
  /** The node whose backend answered (X-Iam-Node). */
  node?: string;
  /** A 200 within ANSWER_BUDGET_MS. */
  ok: boolean;
}

/** A scenario's recording, times in ms from the fault: every request, and each node's MASTER intervals (from its journal). */
export interface Timeline {
  /** Where the recording starts and ends (the stream's start is negative). */
  from: number;
  to: number;
  requests: RequestEvent[];
  holders: { node: string; from: number; to: number }[];
  /** The router's ARP entry for the VIP, each update (ip monitor neigh). */
  arp: { t: number; lladdr: string }[];
}

export const answeredInTime = (status: number, ms: number): boolean => status === 200 && ms <= ANSWER_BUDGET_MS;
/** A 200 that came after the budget: failed, and slow (a subset of failed). */
export const slowAnswer = (e: Pick<RequestEvent, "status" | "ms">): boolean => e.status === 200 && e.ms > ANSWER_BUDGET_MS;

export interface RequestFigures {
  requests: number;
  /** Requests started at or after the fault that got no 200 within the budget. */
  failed: number;
  /** Of those, the ones answered 200 late. */
  slow: number;
  /** From the fault to the start of the first good request after the last failed one; 0 when none failed, null when none came after. */
  firstSuccessMs: number | null;
}

export function requestFigures(events: RequestEvent[], fault: number): RequestFigures {
  const after = events.filter((e) => e.t >= fault).sort((a, b) => a.t - b.t);
  const failures = after.filter((e) => !e.ok);
  const base = { requests: events.length, failed: failures.length, slow: failures.filter(slowAnswer).length };
  if (failures.length === 0) return { ...base, firstSuccessMs: 0 };
  const lastFailure = failures[failures.length - 1].t;
  const success = after.find((e) => e.ok && e.t > lastFailure);
  return { ...base, firstSuccessMs: success ? success.t - fault : null };
}

/** "Entering MASTER" entries beyond those the scenario needs: each one a VIP move nobody asked for. */
export const spuriousTransitions = (entries: number, needed: number): number => Math.max(0, entries - needed);

export interface Spread {
  median: number | null;
  worst: number | null;
  /** Rounds without this figure (e.g. requests never succeeded again). */
  missing: number;
}

/** The median (lower middle) and the worst (largest) of the rounds that have a value. */
export function spread(values: (number | null)[]): Spread {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return {
    median: known.length ? known[Math.floor((known.length - 1) / 2)] : null,
    worst: known.length ? known[known.length - 1] : null,
    missing: values.length - known.length,
  };
}

/** The round a picture shows: the median by failed requests, then by time to first success. */
export function medianRound(rounds: { failed: number; firstSuccessMs: number | null }[]): number {
  const order = rounds
    .map((r, i) => ({ i, failed: r.failed, first: r.firstSuccessMs ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.failed - b.failed || a.first - b.first);
  return order[Math.floor((order.length - 1) / 2)].i;
}

/** How many times faster ours is than the article's (article ÷ ours); null when either is unknown or 0 (nothing lost: no ratio to speak of). */
export function speedup(article: number | null, ours: number | null): number | null {
  return article === null || ours === null || ours === 0 || article === 0 ? null : article / ours;
}

export interface WrkFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers plus socket errors. */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const durationMs = (text: string): number => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk: "${text}" is not a duration`);
  return Number(m[1]) * UNIT_MS[m[2]];
};

/** The figures of `wrk --latency`'s report; throws naming what is missing. */
export function parseWrk(output: string): WrkFigures {
  const need = (re: RegExp, what: string) => {
    const m = re.exec(output);
    if (!m) throw new Error(`wrk's output has no ${what}:\n${output}`);
    return m;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(need(/^Requests\/sec:\s+([\d.]+)/m, "Requests/sec")[1]),
    p50Ms: durationMs(need(/^\s+50%\s+(\S+)/m, "50% latency (run it with --latency)")[1]),
    p99Ms: durationMs(need(/^\s+99%\s+(\S+)/m, "99% latency (run it with --latency)")[1]),
    requests: Number(need(/^\s+(\d+) requests in /m, "request count")[1]),
    errors: (non2xx ? Number(non2xx[1]) : 0) + (socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0),
  };
}

/**
 * The link-layer address the router learned for `ip`, each time it changed or was confirmed, from
 * `ip -ts monitor neigh` ("[2026-12-02T14:38:38.035054] 10.0.4.99 lladdr 0a:… STALE"; "dev …" after the
 * address when not filtered by device).
 * ip prints local time without a zone, which Date.parse reads as local time too.
 */
export function neighbourUpdates(output: string, ip: string): { t: number; lladdr: string }[] {
  return output.split("\n").flatMap((line) => {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (\S+) (?:dev \S+ )?lladdr (\S+)/.exec(line);
    return m && m[3] === ip ? [{ t: Date.parse(m[1]) + Number(m[2]) / 1000, lladdr: m[4].toLowerCase() }] : [];
  });
}

/** From the fault to the first time the router's entry for the VIP named `lladdr` (the new holder's gratuitous ARP), or null. */
export function garpAfter(updates: { t: number; lladdr: string }[], fault: number, lladdr: string): number | null {
  const first = updates.find((u) => u.t >= fault && u.lladdr === lladdr.toLowerCase());
  return first ? first.t - fault : null;
}
