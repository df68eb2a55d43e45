import { PATHS } from "../render/osFacts";
import { NodeState } from "./checks";
import { RunResult } from "./process";
import { shQuote } from "./shell";

/**
 * Probing a node for keepalived's view, the same for the verifier (over SSH) and the lab (inside
 * the node, which works with its link down): one `key=value` line each, so the parse does not
 * depend on line order.
 */
export function probeScript(vrrpInterface: string, havip: string): string {
  return [
    "if systemctl is-active --quiet keepalived; then echo keepalived=active; else echo keepalived=inactive; fi",
    `echo "state=$(head -n1 ${PATHS.vrrpStateFile} 2>/dev/null || echo NONE)"`,
    `if ip -4 -o addr show dev ${shQuote(vrrpInterface)} | grep -qF ${shQuote(` ${havip}/`)}; then echo vip=yes; else echo vip=no; fi`,
    "",
  ].join("\n");
}

/** ssh's own failures are code 255; a run that hit its time limit never reached the node either. */
export const unreachable = (r: RunResult): boolean => r.code === 255 || r.timedOut === true;

const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";

export function parseProbe(name: string, r: RunResult): NodeState {
  if (unreachable(r)) return { name, state: "UNREACHABLE", holdsVip: false };
  const values = Object.fromEntries(
    r.stdout
      .split("\n")
      .map((l) => l.trim().split("="))
      .filter((kv) => kv.length === 2),
  );
  // No answer from the script itself: sudo wanted a password, or no shell. Say so rather than guess.
  if (!values.keepalived) return { name, state: `UNKNOWN (${firstLine(r.stderr) || `exit ${r.code}`})`, holdsVip: false };
  const state = values.keepalived === "active" ? values.state || "NONE" : "STOPPED";
  return { name, state, holdsVip: values.vip === "yes" };
}
