import { longestGap, masterIntervals, mostAtOnce } from "../lab/scenarios/masters";

/** MASTERs counted from the nodes' keepalived journals, as the Day 2 suite and the switchover count them. */

const line = (at: string) => `${at}.000000+0000 node-1 Keepalived_vrrp[7]: (VI_1) `;
const ms = (at: string) => Date.parse(`${at}Z`);

test("MASTER intervals come from the journal's transitions, to the microsecond, and a stop ends one only once keepalived is gone", () => {
  const since = ms("2026-12-02T11:00:00");
  const lines = [
    "2026-12-02T10:59:59.000000+0000 node-1 Keepalived_vrrp[7]: (VI_1) Entering BACKUP STATE",
    `${line("2026-12-02T11:00:01")}Entering BACKUP STATE`,
    "2026-12-02T11:00:02.000250+0000 node-1 Keepalived_vrrp[7]: (VI_1) Entering MASTER STATE",
    "2026-12-02T11:00:03.000000+0000 node-1 systemd[1]: Stopping keepalived.service - Keepalive Daemon (LVS and VRRP)...",
    "2026-12-02T11:00:03.500000+0000 node-1 systemd[1]: Stopped keepalived.service - Keepalive Daemon (LVS and VRRP).",
    `${line("2026-12-02T11:00:04")}Entering MASTER STATE`,
  ];
  expect(masterIntervals(lines, true, since, ms("2026-12-02T11:00:05"))).toEqual([
    [since, ms("2026-12-02T11:00:01")],
    [ms("2026-12-02T11:00:02") + 0.25, ms("2026-12-02T11:00:03.500")],
    [ms("2026-12-02T11:00:04"), ms("2026-12-02T11:00:05")],
  ]);
});

test("a handover: one MASTER at a time, and the gap between the old leaving and the new entering", () => {
  const handover: [number, number][] = [
    [0, 10_003],
    [10_012, 20_000],
  ];
  expect([mostAtOnce(handover), longestGap(handover)]).toEqual([1, 9]);
});

test("an overlap shorter than any poll still counts as two MASTERs, with no gap", () => {
  const overlap: [number, number][] = [
    [0, 10_000.4],
    [10_000, 20_000],
  ];
  expect([mostAtOnce(overlap), longestGap(overlap)]).toEqual([2, 0]);
});

test("an end and a start at the same instant are one MASTER after the other", () => {
  const touching: [number, number][] = [
    [0, 10],
    [10, 20],
  ];
  expect([mostAtOnce(touching), longestGap(touching)]).toEqual([1, 0]);
});
