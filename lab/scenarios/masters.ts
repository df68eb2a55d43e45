/**
 * MASTER intervals from the nodes' keepalived journals (`journalctl -o short-iso-precise`), to the
 * microsecond: exact where a poll would miss an overlap or a gap shorter than its interval.
 */

/** A journal line's time in ms since the epoch, to the microsecond: 2026-12-02T11:30:21.416320+0000. */
function lineTime(line: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})([+-]\d\d)(\d\d)\s/.exec(line);
  return m ? Date.parse(`${m[1]}${m[3]}:${m[4]}`) + Number(m[2]) / 1000 : undefined;
}

const ENTERING = /Entering (MASTER|BACKUP|FAULT) STATE/;
/** keepalived gone: after its process ends, so a stop never shortens a MASTER interval. */
const STOPPED = /Stopped keepalived\.service|keepalived\.service: (Deactivated successfully|Main process exited|Failed)/;

/** A node's MASTER intervals from its journal: `wasMaster` at `since`, then its transitions; one still open ends at `until`. */
export function masterIntervals(lines: string[], wasMaster: boolean, since: number, until: number): [number, number][] {
  const intervals: [number, number][] = [];
  let from: number | undefined = wasMaster ? since : undefined;
  for (const line of lines) {
    const t = lineTime(line);
    if (t === undefined || t < since) continue;
    const entering = ENTERING.exec(line)?.[1];
    const master = entering ? entering === "MASTER" : STOPPED.test(line) ? false : undefined;
    if (master === true && from === undefined) from = t;
    if (master === false && from !== undefined) {
      intervals.push([from, t]);
      from = undefined;
    }
  }
  if (from !== undefined) intervals.push([from, until]);
  return intervals;
}

/** One VRRP instance's MASTER intervals on each node of `journals`; `wasMaster(node)`: it held the instance's VIP at `since`. */
export function instanceMasterIntervals(
  journals: Map<string, string[]>,
  instance: string,
  wasMaster: (node: string) => boolean,
  since: number,
  until: number,
): { node: string; interval: [number, number] }[] {
  return [...journals].flatMap(([node, lines]) =>
    masterIntervals(instanceLines(lines, instance), wasMaster(node), since, until).map((interval) => ({ node, interval })),
  );
}

/** Each keepalived transition ("Entering … STATE") in a node's journal lines at or after `since`, in order. */
export function stateEntries(lines: string[], since: number): { t: number; state: string }[] {
  return lines.flatMap((line) => {
    const t = lineTime(line);
    const state = ENTERING.exec(line)?.[1];
    return t !== undefined && t >= since && state ? [{ t, state }] : [];
  });
}

/**
 * One VRRP instance's lines (keepalived prefixes its transitions with "(IAM_HA_82)"): one VIP's,
 * with several. keepalived's own stop ends every instance, so its lines stay.
 */
export function instanceLines(lines: string[], instance: string): string[] {
  return lines.filter((line) => line.includes(`(${instance})`) || STOPPED.test(line));
}

/** The transitions of one VRRP instance. */
export function stateEntriesOf(lines: string[], since: number, instance: string): { t: number; state: string }[] {
  return stateEntries(instanceLines(lines, instance), since);
}

/** When a node entered MASTER (ms since the epoch), at or after `since`: every entry, a flap included. */
export function masterEntries(lines: string[], since: number): number[] {
  return stateEntries(lines, since)
    .filter((e) => e.state === "MASTER")
    .map((e) => e.t);
}

/** Every interval's start (+1) and end (-1) in time order, an end before a start at the same instant. */
function edges(intervals: [number, number][]): [number, number][] {
  const all = intervals.flatMap(([a, b]): [number, number][] => [
    [a, 1],
    [b, -1],
  ]);
  return all.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** The most intervals open at one moment. */
export function mostAtOnce(intervals: [number, number][]): number {
  let open = 0;
  let most = 0;
  for (const [, d] of edges(intervals)) most = Math.max(most, (open += d));
  return most;
}

/** The longest time, in ms, that no interval was open after one had been (a VIP handover's gap). */
export function longestGap(intervals: [number, number][]): number {
  let open = 0;
  let longest = 0;
  let noneSince: number | undefined;
  for (const [t, d] of edges(intervals)) {
    const before = open;
    open += d;
    if (before > 0 && open === 0) noneSince = t;
    if (open > 0 && noneSince !== undefined) {
      longest = Math.max(longest, t - noneSince);
      noneSince = undefined;
    }
  }
  return longest;
}
