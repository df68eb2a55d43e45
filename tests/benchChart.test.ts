import { NODE_COLOURS, scenarioChart } from "../lab/scenarios/benchChart";
import { answeredInTime, RequestEvent, Timeline } from "../lab/scenarios/benchFigures";

/** The bench's picture of a scenario: one mark per request, failed ones apart, the VIP holder as a band per node. */

const req = (t: number, status: number, ms: number): RequestEvent => ({ t, ms, status, ok: answeredInTime(status, ms) });
const timeline: Timeline = {
  from: -2000,
  to: 10_000,
  requests: [req(-1000, 200, 2), req(0, 0, 5000), req(20, 200, 1500), req(40, 502, 1), req(60, 200, 3), req(9000, 200, 2)],
  holders: [
    { node: "node-1", from: -2000, to: 5 },
    { node: "node-2", from: 62, to: 10_000 },
  ],
  arp: [],
};
const svg = scenarioChart({ title: "nginx killed — ours <v3 & more>", nodes: ["node-1", "node-2", "node-3"], timeline });
const all = (re: RegExp) => [...svg.matchAll(re)];

test("one mark per request: a green dot for a 200 within 1 s, a red square for every failed one (a late 200 included)", () => {
  expect(all(/class="request ok"/g)).toHaveLength(3);
  expect(all(/class="request failed"/g)).toHaveLength(3);
  expect(all(/class="request failed"[^>]*fill="#D55E00"/g)).toHaveLength(3);
  expect(all(/<circle class="request ok"[^>]*fill="#009E73"/g)).toHaveLength(3);
  expect(svg).toContain("red = failed (3 of 6)");
});

test("the holder is a band per MASTER interval, in its node's colour, on its node's row; a node that never held the VIP has a row and no band", () => {
  const bands = all(/<rect class="holder" data-node="([^"]+)" x="([\d.]+)" y="(\d+)" width="([\d.]+)"[^>]*fill="([^"]+)"/g).map((m) => ({
    node: m[1],
    x: Number(m[2]),
    y: Number(m[3]),
    width: Number(m[4]),
    fill: m[5],
  }));
  expect(bands.map((b) => [b.node, b.fill])).toEqual([
    ["node-1", NODE_COLOURS[0]],
    ["node-2", NODE_COLOURS[1]],
  ]);
  expect(bands[1].y).toBeGreaterThan(bands[0].y);
  // node-1 holds from the start to the fault, node-2 from 62 ms to the end: they meet the fault line and the right edge.
  const fault = Number(/class="fault" x1="([\d.]+)"/.exec(svg)![1]);
  expect(bands[0].x + bands[0].width).toBeCloseTo(fault, 0);
  expect(bands[1].x + bands[1].width).toBeCloseTo(900 - 20, 0);
  expect(svg).toContain(">node-3 MASTER</text>");
});

test("time runs left to right from the recording's start, and a slower answer sits higher (1 s budget line between)", () => {
  const marks = all(/class="request (ok|failed)" (?:cx|x)="([\d.]+)" (?:cy|y)="([\d.]+)"/g).map((m) => ({ x: Number(m[2]), y: Number(m[3]) }));
  expect(marks.map((m) => m.x)).toEqual([...marks.map((m) => m.x)].sort((a, b) => a - b));
  const budget = Number(/class="budget" x1="[\d.]+" y1="([\d.]+)"/.exec(svg)![1]);
  expect(marks[0].y).toBeGreaterThan(budget); // 2 ms, below the line
  expect(marks[2].y).toBeLessThan(budget); // the late 200 (1.5 s), above it
});

test("it is one well-formed SVG document and the title is escaped", () => {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trim().endsWith("</svg>")).toBe(true);
  expect(svg).toContain("<title>nginx killed — ours &#60;v3 &#38; more&#62;</title>");
  expect(svg).not.toMatch(/<v3|& more/);
});
