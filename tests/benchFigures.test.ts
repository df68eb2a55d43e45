import { parseBenchArgs } from "../lab/scenarios/benchArgs";
import {
  answeredInTime,
  garpAfter,
  medianRound,
  neighbourUpdates,
  parseWrk,
  RequestEvent,
  requestFigures,
  speedup,
  spread,
  spuriousTransitions,
} from "../lab/scenarios/benchFigures";
import type { ActiveActiveResult, VipFigures } from "../lab/scenarios/activeActive";
import { activeActiveReport, failoverReport, frontDoorsReport, summarize, summarizeVips, summarizeZones, zonesReport } from "../lab/scenarios/benchReport";
import { LINK_DOWN, ZONE_SCENARIOS } from "../lab/scenarios/scenarioNames";
import type { ZoneScenarioResult } from "../lab/scenarios/zones";
import type { ScenarioResult } from "../lab/scenarios/failover";
import { masterEntries, stateEntries, stateEntriesOf } from "../lab/scenarios/masters";

/** The bench's figures: what counts as failed, slow, first success and spurious, and what wrk and ip say. */

const FAULT = 10_000;
const req = (t: number, status: number, ms: number): RequestEvent => ({ t, ms, status, ok: answeredInTime(status, ms) });

describe("requests of the stream", () => {
  test.each([
    ["a 200 within 1 s", 200, 999, true],
    ["a 200 at exactly 1 s", 200, 1000, true],
    ["a 200 after 1 s (slow)", 200, 1001, false],
    ["a 502 at once", 502, 3, false],
    ["no answer (status 0)", 0, 5000, false],
  ])("%s counts as ok: %s", (_what, status, ms, ok) => {
    expect(answeredInTime(status, ms)).toBe(ok);
  });

  test("failed counts every request from the fault on without a 200 within 1 s; slow is the late 200s among them; first success is the first good one after the last failure", () => {
    const events = [
      req(FAULT - 20, 0, 5000), // before the fault: not counted
      req(FAULT, 200, 2),
      req(FAULT + 20, 0, 5000),
      req(FAULT + 40, 200, 1800), // slow
      req(FAULT + 60, 200, 3),
      req(FAULT + 80, 502, 1), // the last failure
      req(FAULT + 100, 200, 2),
      req(FAULT + 120, 200, 2),
    ];
    expect(requestFigures(events, FAULT)).toEqual({ requests: 8, failed: 3, slow: 1, firstSuccessMs: 100 });
  });

  test("no failure after the fault: first success 0; failures never followed by a good request: null", () => {
    expect(requestFigures([req(FAULT - 20, 0, 5000), req(FAULT + 20, 200, 2)], FAULT)).toEqual({ requests: 2, failed: 0, slow: 0, firstSuccessMs: 0 });
    expect(requestFigures([req(FAULT + 20, 200, 2), req(FAULT + 40, 0, 5000)], FAULT).firstSuccessMs).toBeNull();
  });
});

describe("spurious transitions", () => {
  const line = (at: string, state: string) => `${at}+0000 node-2 Keepalived_vrrp[7]: (VI_1) Entering ${state} STATE`;
  const journal = [
    line("2026-12-02T11:00:00.500000", "MASTER"), // before the scenario
    line("2026-12-02T11:00:02.100000", "MASTER"),
    line("2026-12-02T11:00:05.000000", "BACKUP"),
    line("2026-12-02T11:00:07.250000", "MASTER"), // a flap after recovery
  ];
  const since = Date.parse("2026-12-02T11:00:01Z");

  test("MASTER entries come from the journal from the scenario's start on, flaps included, to the microsecond", () => {
    expect(masterEntries(journal, since)).toEqual([Date.parse("2026-12-02T11:00:02.100Z"), Date.parse("2026-12-02T11:00:07.250Z")]);
    expect(stateEntries(journal, since).map((e) => e.state)).toEqual(["MASTER", "BACKUP", "MASTER"]);
  });

  test("with several VIPs, one instance's transitions are told from another's", () => {
    const two = [...journal, `2026-12-02T11:00:03.000000+0000 node-2 Keepalived_vrrp[7]: (IAM_HA_82) Entering MASTER STATE`];
    expect(stateEntriesOf(two, since, "IAM_HA_82")).toEqual([{ t: Date.parse("2026-12-02T11:00:03Z"), state: "MASTER" }]);
    expect(stateEntriesOf(two, since, "VI_1").map((e) => e.state)).toEqual(["MASTER", "BACKUP", "MASTER"]);
  });

  test.each([
    ["one move needed, one made", 1, 1, 0],
    ["one move needed, a flap after recovery", 2, 1, 1],
    ["backends stopped: no move needed", 1, 0, 1],
    ["the VIP did not move (not spurious, a scenario that broke)", 0, 1, 0],
  ])("%s", (_what, entries, needed, spurious) => {
    expect(spuriousTransitions(entries, needed)).toBe(spurious);
  });
});

describe("the VIP's move on the bridge", () => {
  const monitor = [
    "pid 4242",
    "[2026-12-02T11:00:01.000000] 10.0.4.99 lladdr 0a:00:00:00:00:01 REACHABLE",
    "[2026-12-02T11:00:02.000000] 10.0.4.20 lladdr 0a:00:00:00:00:01 STALE",
    "[2026-12-02T11:00:02.062500] 10.0.4.99 lladdr 0A:00:00:00:00:02 STALE",
    "[2026-12-02T11:00:03.000000] 10.0.4.99 dev br-iamlab lladdr 0a:00:00:00:00:02 REACHABLE",
    "Deleted 10.0.4.99 lladdr 0a:00:00:00:00:02 STALE",
  ].join("\n");

  test("the router's entry for the VIP, each update, in local time to the microsecond (other addresses ignored)", () => {
    const local = (at: string) => Date.parse(at);
    expect(neighbourUpdates(monitor, "10.0.4.99")).toEqual([
      { t: local("2026-12-02T11:00:01.000"), lladdr: "0a:00:00:00:00:01" },
      { t: local("2026-12-02T11:00:02.000") + 62.5, lladdr: "0a:00:00:00:00:02" },
      { t: local("2026-12-02T11:00:03.000"), lladdr: "0a:00:00:00:00:02" },
    ]);
  });

  test("GARP time: from the fault to the first update naming the new holder's MAC; null when it never does", () => {
    const updates = neighbourUpdates(monitor, "10.0.4.99");
    const fault = Date.parse("2026-12-02T11:00:02.000");
    expect(garpAfter(updates, fault, "0A:00:00:00:00:02")).toBe(62.5);
    expect(garpAfter(updates, fault, "0a:00:00:00:00:03")).toBeNull();
  });
});

describe("wrk's report", () => {
  const report = `Running 10s test @ http://10.255.0.10/healthz
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.14ms    2.37ms  29.93ms   91.72%
    Req/Sec    15.89k     3.67k   26.45k    73.77%
  Latency Distribution
     50%  400.00us
     75%  657.00us
     90%    2.98ms
     99%    1.25s
  96669 requests in 3.10s, 9.40MB read
  Non-2xx or 3xx responses: 7
  Socket errors: connect 1, read 2, write 0, timeout 3
Requests/sec:  31172.87
Transfer/sec:      3.03MB
`;
  test("requests/s, p50 and p99 in ms (us, ms and s read), and errors (non-2xx and socket errors)", () => {
    expect(parseWrk(report)).toEqual({ requestsPerSecond: 31172.87, p50Ms: 0.4, p99Ms: 1250, requests: 96669, errors: 13 });
  });
  test("a report without --latency is refused, naming what is missing", () => {
    expect(() => parseWrk(report.replace(/ {5}50%.*\n/, ""))).toThrow(/no 50% latency \(run it with --latency\)/);
  });
});

describe("medians, worst cases, the pictured round and ratios", () => {
  test("median is the lower middle of the known values, worst the largest; rounds without a value are counted", () => {
    expect(spread([300, 100, null, 200])).toEqual({ median: 200, worst: 300, missing: 1 });
    expect(spread([null])).toEqual({ median: null, worst: null, missing: 1 });
  });
  test("the pictured round is the median by failed requests, then by time to first success", () => {
    expect(
      medianRound([
        { failed: 9, firstSuccessMs: 900 },
        { failed: 2, firstSuccessMs: 100 },
        { failed: 4, firstSuccessMs: 150 },
      ]),
    ).toBe(2);
    expect(
      medianRound([
        { failed: 2, firstSuccessMs: 300 },
        { failed: 2, firstSuccessMs: 100 },
        { failed: 2, firstSuccessMs: null },
      ]),
    ).toBe(0);
  });
  test("speedup is article ÷ ours, unknown when either lost nothing (0) or never recovered", () => {
    expect([speedup(850, 85), speedup(850, 0), speedup(0, 70), speedup(null, 85)]).toEqual([10, null, null, null]);
  });
});

const result = (name: string, firstSuccessMs: number, failed: number): ScenarioResult => ({
  name,
  expectation: "",
  held: true,
  firstSuccessMs,
  failed,
  slow: 0,
  requests: 600,
  masterAtMs: 60,
  garpMs: 61,
  masterEntries: 1,
  neededMoves: 1,
  spurious: 0,
  transitions: 2,
  alertsMissing: [],
  detail: "",
  timeline: { from: -2000, to: 10_000, requests: [], holders: [], arp: [] },
});

test("the report puts each setting's line under its scenario and says how many times faster than the article's ours is", () => {
  const runs = [
    { name: "article", overrides: {}, rounds: [[result("nginx killed", 2000, 100)], [result("nginx killed", 2400, 120)], [result("nginx killed", 2200, 110)]] },
    { name: "ours", overrides: {}, rounds: [[result("nginx killed", 100, 1)], [result("nginx killed", 120, 2)], [result("nginx killed", 110, 1)]] },
    { name: "ours, 0.3 s v3", overrides: {}, skipped: "vrrpVersion: unknown key", rounds: [] },
  ];
  expect(summarize(runs[1].rounds)[0]).toMatchObject({
    name: "nginx killed",
    held: 3,
    rounds: 3,
    pictureRound: 2,
    failed: { median: 1, worst: 2, missing: 0 },
  });
  const text = failoverReport(runs);
  expect(text).toContain("nginx killed\n  article            first ok 2.20/2.40 s   failed 110/120");
  expect(text).toContain("  ours vs article    first success 20.0× faster, new MASTER 1.0× faster, failed 110 → 1");
  expect(text).toContain("ours, 0.3 s v3: skipped (vrrpVersion: unknown key)");
});

describe("npm run bench's flags", () => {
  test("defaults: 3 rounds, the lab stack, a 0.3 s sub-second setting, 10 flap minutes at that interval, no files, the clb stack beside", () => {
    expect(parseBenchArgs([])).toEqual({
      rounds: 3,
      stack: "lab",
      json: undefined,
      svgDir: undefined,
      advertInt: 0.3,
      flapMinutes: 10,
      flapAdvertInt: 0.3,
      clbStack: "clb",
    });
  });
  test("every flag", () => {
    expect(
      parseBenchArgs([
        "--rounds",
        "1",
        "--json",
        "/tmp/b.json",
        "--svg-dir",
        "/tmp/svg",
        "--advert-int",
        "0.5",
        "--flap-minutes",
        "0",
        "--flap-advert-int",
        "1",
        "--clb-stack",
        "none",
      ]),
    ).toEqual({ rounds: 1, stack: "lab", json: "/tmp/b.json", svgDir: "/tmp/svg", advertInt: 0.5, flapMinutes: 0, flapAdvertInt: 1, clbStack: undefined });
  });
  test.each([
    [["--rounds", "0"], /--rounds 0: must be a whole number, 1 or more/],
    [["--flap-minutes", "1.5"], /--flap-minutes 1.5: must be a whole number of minutes, 0 to skip/],
    [["--advert-int", "-1"], /--advert-int -1: must be a positive number of seconds/],
    [["--round", "2"], /--round is not a flag of the bench/],
    [["--json"], /--json needs a value/],
  ])("%j is refused", (argv, message) => {
    expect(() => parseBenchArgs(argv as string[])).toThrow(message);
  });
});

test("active-active: each VIP's figures over the rounds, median and worst, and the rounds it held", () => {
  const vip = (address: string, failed: number, masterAtMs: number | null): VipFigures => ({
    vip: address,
    eip: address === "10.0.4.99" ? "10.255.0.10" : "10.255.0.11",
    preferred: null,
    holderBefore: null,
    holderAfter: null,
    masterAtMs,
    requests: 500,
    failed,
    slow: 0,
    firstSuccessMs: failed ? 800 : 0,
  });
  const round = (held: boolean, failedOnSecond: number, masterAt: number): ActiveActiveResult[] => [
    { name: "fails", expectation: "", held, detail: "", vips: [vip("10.0.4.99", 0, null), vip("10.0.4.98", failedOnSecond, masterAt)] },
  ];
  const summary = summarizeVips([round(true, 35, 800), round(false, 30, 900), round(true, 40, 700)]);
  expect(summary.map((s) => [s.vip, s.failed.median, s.failed.worst, s.masterAtMs.median, s.masterAtMs.missing, s.held])).toEqual([
    ["10.0.4.99", 0, 0, null, 3, 2],
    ["10.0.4.98", 35, 40, 800, 0, 2],
  ]);
  expect(activeActiveReport([round(true, 35, 800)], "node-2")).toMatch(
    /fails, 10\.0\.4\.98 \(EIP 10\.255\.0\.11\) +failed 35\/35 .* new MASTER 0\.80\/0\.80 s +held 1\/1/,
  );
});

const zone = (name: string, markedMs: number | null, failed: number, held = true): ZoneScenarioResult => ({
  name,
  expectation: "",
  held,
  nodes: ["zone-b1", "zone-b2"],
  markedMs,
  failedAfterMark: 0,
  sentAfterMark: {},
  failures: [],
  requests: 600,
  failed,
  slow: 0,
  firstSuccessMs: failed ? 2500 : 0,
  detail: "",
});

test("behind a CLB: each zone scenario's mark, failed requests and first success over the rounds, median and worst", () => {
  const rounds = [
    [zone("a whole zone down", 6100, 4), zone("the zone back", 6900, 0)],
    [zone("a whole zone down", 7200, 9, false), zone("the zone back", 6400, 0)],
    [zone("a whole zone down", 6500, 2), zone("the zone back", null, 0, false)],
  ];
  expect(summarizeZones(rounds).map((s) => [s.name, s.markedMs.median, s.markedMs.worst, s.markedMs.missing, s.failed.median, s.failed.worst, s.held])).toEqual(
    [
      ["a whole zone down", 6500, 7200, 0, 4, 9, 2],
      ["the zone back", 6400, 6900, 1, 0, 0, 2],
    ],
  );
  expect(zonesReport(rounds, "checks every 3 s")).toMatch(/a whole zone down +marked 6\.50\/7\.20 s +failed 4\/9 /);
});

test("front doors side by side: each HAVIP setting's link down and the CLB's front door under the same fault, then the zone down and back", () => {
  const linkDown = (failed: number, firstSuccessMs: number) => ({ ...result(LINK_DOWN, firstSuccessMs, failed), masterAtMs: 800 });
  const runs = [
    { name: "ours", overrides: {}, rounds: [[linkDown(38, 850)], [linkDown(40, 900)], [linkDown(37, 840)]] },
    { name: "ours, 0.3 s v3", overrides: {}, skipped: "refused", rounds: [] },
  ];
  const clbRounds = [
    [zone(ZONE_SCENARIOS.frontDoorDown, 6190, 0), zone(ZONE_SCENARIOS.zoneDown, 5580, 5), zone(ZONE_SCENARIOS.zoneBack, 5820, 0)],
    [zone(ZONE_SCENARIOS.frontDoorDown, 6600, 1), zone(ZONE_SCENARIOS.zoneDown, 6600, 17), zone(ZONE_SCENARIOS.zoneBack, 5880, 0)],
  ];
  const text = frontDoorsReport(runs, { stack: "lab", zone: "ap-guangzhou-3", nodes: 2 }, { stack: "clb", health: "checks every 3 s", rounds: clbRounds });
  const lines = text.split("\n");
  const under = (heading: string) => lines.slice(lines.indexOf(heading) + 1).filter((_, i, rest) => rest.slice(0, i + 1).every((l) => l.startsWith("  ")));
  expect(lines[0]).toBe("Front doors side by side: the HAVIP's (stack lab) and the CLB's (stack clb; checks every 3 s).");
  const cutOff = under("a front door's machine cut off (its link down)");
  expect(cutOff).toHaveLength(2); // the skipped setting has no line
  expect(cutOff[0]).toMatch(/^ {2}HAVIP, ours +failed 38\/40 +first ok 0\.85\/0\.90 s +new MASTER 0\.80\/0\.80 s$/);
  expect(cutOff[1]).toMatch(/^ {2}CLB +failed 0\/1 +first ok 0\.00\/2\.50 s +marked down 6\.19\/6\.60 s$/);
  const zoneDown = under("a whole zone down");
  expect(zoneDown[0]).toMatch(/all 2 nodes sit in ap-guangzhou-3 .*every request fails until the zone is back/);
  expect(zoneDown[1]).toMatch(/^ {2}CLB +failed 5\/17 .* marked down 5\.58\/6\.60 s$/);
  expect(under("the zone back")[1]).toMatch(/^ {2}CLB +failed 0\/0 .* marked up 5\.82\/5\.88 s$/);
});
