/**
 * A scenario's picture as SVG, from its timeline (pure; tests/benchChart.test.ts): above, a band
 * per node in that node's colour while it was MASTER (held the VIP); below, a mark per request at
 * its start time, its height the time to its answer (log scale, 1 ms to 5 s), a green dot when a
 * 200 came within 1 s, a red square when not (higher than the 1 s line: a late 200). A dashed line
 * marks the fault.
 */
import { ANSWER_BUDGET_MS, Timeline } from "./benchFigures";

const WIDTH = 900;
const LEFT = 110;
const RIGHT = 20;
const TOP = 36;
const BAND = 14;
const BAND_GAP = 4;
const PLOT = 140;
const BOTTOM = 44;
const MAX_MS = 5000;
/** Colours that stay apart for readers with the common colour deficiencies (Okabe–Ito). */
export const NODE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
const OK = "#009E73";
const FAILED = "#D55E00";

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (n: number) => String(Math.round(n * 10) / 10);

export interface ChartInput {
  title: string;
  /** Every node of the stack, in order: each gets its row and colour, holder or not. */
  nodes: string[];
  timeline: Timeline;
}

export function scenarioChart({ title, nodes, timeline }: ChartInput): string {
  const span = Math.max(1, timeline.to - timeline.from);
  const x = (ms: number) => LEFT + ((Math.min(Math.max(ms, timeline.from), timeline.to) - timeline.from) / span) * (WIDTH - LEFT - RIGHT);
  const plotTop = TOP + nodes.length * (BAND + BAND_GAP) + 10;
  const plotBottom = plotTop + PLOT;
  const y = (ms: number) => plotBottom - (Math.log10(Math.min(Math.max(ms, 1), MAX_MS)) / Math.log10(MAX_MS)) * PLOT;
  const height = plotBottom + BOTTOM;
  const colour = (node: string) => NODE_COLOURS[Math.max(0, nodes.indexOf(node)) % NODE_COLOURS.length];

  const rows = nodes.map((node, i) => {
    const top = TOP + i * (BAND + BAND_GAP);
    const bands = timeline.holders
      .filter((h) => h.node === node)
      .map(
        (h) =>
          `<rect class="holder" data-node="${escapeXml(node)}" x="${num(x(h.from))}" y="${top}" width="${num(Math.max(1, x(h.to) - x(h.from)))}" height="${BAND}" fill="${colour(node)}"/>`,
      );
    return [`<text x="${LEFT - 6}" y="${top + BAND - 3}" text-anchor="end">${escapeXml(node)} MASTER</text>`, ...bands];
  });
  const marks = timeline.requests.map((r) =>
    r.ok
      ? `<circle class="request ok" cx="${num(x(r.t))}" cy="${num(y(r.ms))}" r="1.6" fill="${OK}"/>`
      : `<rect class="request failed" x="${num(x(r.t) - 2)}" y="${num(y(r.ms) - 2)}" width="4" height="4" fill="${FAILED}"/>`,
  );
  const ticks = [];
  const step = span > 30_000 ? 5000 : span > 12_000 ? 2000 : 1000;
  for (let t = Math.ceil(timeline.from / step) * step; t <= timeline.to; t += step) {
    ticks.push(`<line x1="${num(x(t))}" y1="${plotBottom}" x2="${num(x(t))}" y2="${plotBottom + 4}" stroke="#666"/>`);
    ticks.push(`<text x="${num(x(t))}" y="${plotBottom + 16}" text-anchor="middle">${t / 1000} s</text>`);
  }
  const latencyLabels = [1, 10, 100, 1000, MAX_MS].map(
    (ms) => `<text x="${LEFT - 6}" y="${num(y(ms) + 4)}" text-anchor="end">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`,
  );
  const failed = timeline.requests.filter((r) => !r.ok).length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="20" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows.flat(),
    `<rect x="${LEFT}" y="${plotTop}" width="${WIDTH - LEFT - RIGHT}" height="${PLOT}" fill="none" stroke="#ccc"/>`,
    ...latencyLabels,
    `<line class="budget" x1="${LEFT}" y1="${num(y(ANSWER_BUDGET_MS))}" x2="${WIDTH - RIGHT}" y2="${num(y(ANSWER_BUDGET_MS))}" stroke="#999" stroke-dasharray="2 3"/>`,
    ...marks,
    `<line class="fault" x1="${num(x(0))}" y1="${TOP - 4}" x2="${num(x(0))}" y2="${plotBottom}" stroke="#000" stroke-dasharray="5 3"/>`,
    `<text x="${num(x(0) + 3)}" y="${TOP - 6}">fault</text>`,
    ...ticks,
    `<text x="${LEFT}" y="${height - 8}">request time to answer (log), by start time from the fault: green = 200 within 1 s, red = failed (${failed} of ${timeline.requests.length}); bands: the node in MASTER</text>`,
    "</svg>",
    "",
  ].join("\n");
}
