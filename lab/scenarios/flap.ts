/**
 * Flap safety: how often keepalived changes state when nothing failed, under the conditions that
 * make a backup miss adverts: the master's CPU saturated (stress-ng on every core, in the master
 * container's namespaces) and 20 ms ± 10 ms of delay on every port of the lab's bridge (netem's
 * `delay 20ms 10ms`, played in userspace by ../hosts/jitter.ts: this machine's kernel has no
 * sch_netem). Every transition counted here is spurious. A light request stream through the EIP
 * runs alongside. Bounded: it ends at its deadline, and the stress and the delay are removed even
 * when something fails.
 */
import { runProcess } from "../../common/process";
import { LabError, log } from "../hosts/exec";
import { labBridge, withJitter } from "../hosts/jitter";
import { leaderPid } from "../hosts/nodeShell";
import type { LabStack } from "../program/stack";
import { baseline, startStream } from "./failover";
import { stateEntries } from "./masters";
import { inBackground, keepalivedJournals } from "./nodeRecords";

const MINUTE_MS = 60_000;
const LIGHT_INTERVAL_MS = 200;
/** The stress and the delay outlast the minutes by this much (journal reads between them), and are stopped at the end anyway. */
const MARGIN_S = 30;

export interface FlapRun {
  minutes: number;
  /** The node whose CPU was saturated (the VIP's holder when it started). */
  stressed: string;
  /** keepalived transitions on any node ("Entering … STATE"), each spurious, and those into MASTER. */
  transitions: number;
  masterEntries: number;
  /** Transitions counted at the end of each minute (cumulative). */
  byMinute: number[];
  requests: number;
  failed: number;
  /** The delay on the bridge's ports, as applied. */
  delay: string;
}

function countTransitions(journals: Map<string, string[]>, since: number): { all: number; master: number } {
  const entries = [...journals.values()].flatMap((lines) => stateEntries(lines, since));
  return { all: entries.length, master: entries.filter((e) => e.state === "MASTER").length };
}

export async function runFlap(stack: LabStack, minutes: number): Promise<FlapRun> {
  if ((await runProcess(["stress-ng", "--version"])).code !== 0)
    throw new LabError("stress-ng is not installed: apt-get install stress-ng (scripts/setup.sh installs it)");
  const stressed = await baseline(stack);
  const ms = minutes * MINUTE_MS;
  log(`flap: ${minutes} min with ${stressed}'s CPU saturated (stress-ng, every core) and 20 ms ± 10 ms on every port of the lab's bridge`);
  const stress = inBackground(
    runProcess,
    [
      "nsenter",
      "-t",
      String(leaderPid(stressed)),
      "-n",
      "-p",
      "-u",
      "--",
      "stress-ng",
      "--cpu",
      "0",
      "--timeout",
      `${Math.ceil(ms / 1000) + MARGIN_S}s`,
      "--quiet",
    ],
    ms + 2 * MARGIN_S * 1000,
  );
  const site = stack.config.sites[0].serverName;
  const since = Date.now();
  const byMinute: number[] = [];
  let requests = 0;
  let failed = 0;
  let delay = "";
  try {
    await withJitter(labBridge(), Math.ceil(ms / 1000) + MARGIN_S, async (applied) => {
      delay = applied;
      for (let minute = 1; minute <= minutes; minute++) {
        const events = await startStream(stack, site, MINUTE_MS, LIGHT_INTERVAL_MS);
        requests += events.length;
        failed += events.filter((e) => !e.ok).length;
        const counted = countTransitions(await keepalivedJournals(stack, since), since);
        byMinute.push(counted.all);
        log(`flap: minute ${minute}/${minutes}: ${counted.all} transitions (${counted.master} into MASTER), ${failed}/${requests} requests failed`);
      }
    });
  } finally {
    await stress.stop();
  }
  const counted = countTransitions(await keepalivedJournals(stack, since), since);
  return { minutes, stressed, transitions: counted.all, masterEntries: counted.master, byMinute, requests, failed, delay };
}
