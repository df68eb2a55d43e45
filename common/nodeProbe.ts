import { IamHaConfig } from "../config/types";
import { PATHS } from "../render/osFacts";
import { allVipNames } from "../render/vips";
import { NodeState, VipHolding } from "./checks";
import { RunResult } from "./process";
import { shQuote } from "./shell";

/**
 * Probing a node for keepalived's view, the same for the verifier (over SSH) and the lab (inside
 * the node, which works with its link down): one `key=value` line each, so the parse does not
 * depend on line order. The primary VIP answers as it always has (state=, vip=); each further VIP
 * of an active-active stack under its address (state@<address>=, vip@<address>=), all in the one
 * run of the script.
 */

/** A further VIP (any but the primary) as the probe looks for it: its address, and the file its state is kept in. */
export interface ProbedVip {
  address: string;
  stateFile: string;
}

/** The stack's further VIPs, in config order (render/vips.ts names their state files). */
export function moreProbedVips(config: IamHaConfig): ProbedVip[] {
  return allVipNames(config)
    .filter((names) => !names.primary)
    .map((names) => ({ address: names.vip.address, stateFile: names.stateFile }));
}

export function probeScript(vrrpInterface: string, havip: string, moreVips: ProbedVip[] = []): string {
  const lines = (key: string, stateFile: string, address: string) => [
    `echo "state${key}=$(head -n1 ${shQuote(stateFile)} 2>/dev/null || echo NONE)"`,
    `echo "vip${key}=$(held ${shQuote(address)})"`,
  ];
  return [
    "if systemctl is-active --quiet keepalived; then echo keepalived=active; else echo keepalived=inactive; fi",
    `addresses="$(ip -4 -o addr show dev ${shQuote(vrrpInterface)})"`,
    // " <address>/": 10.0.4.9 must not match a held 10.0.4.99.
    `held() { if printf '%s\\n' "$addresses" | grep -qF -- " $1/"; then echo yes; else echo no; fi; }`,
    ...lines("", PATHS.vrrpStateFile, havip),
    ...moreVips.flatMap((vip) => lines(`@${vip.address}`, vip.stateFile, vip.address)),
    "",
  ].join("\n");
}

/** ssh's own failures are code 255; a run that hit its time limit never reached the node either. */
export const unreachable = (r: RunResult): boolean => r.code === 255 || r.timedOut === true;

const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";

/** The node's state; with `moreVips` (those probeScript was given) each further VIP's too. */
export function parseProbe(name: string, r: RunResult, moreVips: ProbedVip[] = []): NodeState {
  const everyVip = (holding: (key: string) => VipHolding): NodeState => ({
    name,
    ...holding(""),
    ...(moreVips.length > 0 ? { moreVips: Object.fromEntries(moreVips.map((vip) => [vip.address, holding(`@${vip.address}`)])) } : {}),
  });
  if (unreachable(r)) return everyVip(() => ({ state: "UNREACHABLE", holdsVip: false }));
  const values: Record<string, string> = Object.fromEntries(
    r.stdout
      .split("\n")
      .map((l) => l.trim().split("="))
      .filter((kv) => kv.length === 2),
  );
  // No answer from the script itself: sudo wanted a password, or no shell. Say so rather than guess.
  if (!values.keepalived) return everyVip(() => ({ state: `UNKNOWN (${firstLine(r.stderr) || `exit ${r.code}`})`, holdsVip: false }));
  return everyVip((key) => ({
    state: values.keepalived === "active" ? values[`state${key}`] || "NONE" : "STOPPED",
    holdsVip: values[`vip${key}`] === "yes",
  }));
}
