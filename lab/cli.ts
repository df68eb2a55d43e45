import { shellWords } from "../common/shell";
import { LabError } from "./hosts/exec";
import { checkHost, hostsRunning } from "./hosts/lab";
import { execInClient } from "./hosts/network";
import { sshExec } from "./hosts/ssh";
import { loadLabStack } from "./program/stack";
import { down, labChecks, printChecks, replace, up } from "./program/session";
import { labStatus } from "./program/status";
import { labPlan } from "./program/apply";
import { declaredCommands } from "./program/declaredCommands";
import { formatPlan } from "./program/plan";
import { runDay2 } from "./scenarios/day2";
import { lastPreferred, runActiveActive } from "./scenarios/activeActive";
import { runFailover } from "./scenarios/failover";
import { runZones } from "./scenarios/zones";
import { releaseNode, runSwitchover } from "./scenarios/switchover";

const USAGE = `usage: npm run lab -- [up|preview|verify|status [--json]|exec <node|client> -- <command…>|failover|switchover [--to <node>] [--from <node>] [--release <node>]|replace <node>|day2|down] [--stack <name>]
  up         build or reuse the hosts, apply the program's remote commands as pulumi up would (only what changed), check through the EIP (default)
  preview    the plan up would run against what the lab applied: each command created, updated, replaced, deleted or unchanged
  verify     the verifier's checks (npm run verify's) against the running lab, plus the lab's own
  status     who holds the VIP; each node's keepalived state (frontDoor clb: the CLB's view of each front door)
  exec       run a command on a node over SSH, or as an outside user ("client") who reaches the EIP
  failover   the article's failure scenarios under a steady stream of requests, with figures; with several VIPs (vips) also a front door failing and coming back, per VIP;
             with frontDoor clb instead: one front door down, a whole zone down, the zone back, through the CLB's stand-in
  switchover move the VIP off its holder for maintenance (to --to, or the next BACKUP) under a steady stream through every EIP; --from <node>: every VIP that node holds (active-active); --release <node> puts it back in service
  replace    make a node's CVM anew (new instance id, a fresh host at the same address): the next up sets it up again
  day2       every day 2 change (a site, a port, vrrpAuthPass, advertInt, VRRPv3, priorities, a node added and removed, a CVM replaced, a switchover) on a new lab of the lab stack, each under a steady stream: a table and JSON; the lab is down after
  down       destroy as pulumi destroy would (no step's delete runs: each goes with its CVM), then remove every host, namespace and rule`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  // Before anything is read or made: the lab keeps its key and caches where only root writes.
  await checkHost();
  const stack = await loadLabStack(option(args, "--stack") ?? "lab");
  const [command = "up", ...rest] = args;
  switch (command) {
    case "up": {
      const result = await up(stack);
      printChecks(result.checks);
      return result.checks.every((c) => c.ok) ? 0 : 1;
    }
    case "preview": {
      process.stdout.write(`${formatPlan(labPlan(await declaredCommands(stack)))}\n`);
      return 0;
    }
    case "verify": {
      if (!hostsRunning(stack.topology)) throw new LabError(`the lab of stack ${stack.name} is not running: npm run lab -- up --stack ${stack.name}`);
      const checks = await labChecks(stack);
      printChecks(checks);
      return checks.every((c) => c.ok) ? 0 : 1;
    }
    case "status": {
      const status = await labStatus(stack.config, stack.topology);
      if (rest.includes("--json")) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else
        process.stdout.write(
          `${status.vip === undefined ? `CLB ${status.eip} (the lab's stand-in), its view of each front door:\n` : ""}${status.vips.map((v) => `EIP ${v.eip} → VIP ${v.vip}, held by ${v.holder ?? "nobody"}\n`).join("")}${status.nodes.map((n) => `  ${n.name} ${n.privateIp} ${n.state}`).join("\n")}\n`,
        );
      return 0;
    }
    case "exec": {
      const [target, dashes, ...words] = rest;
      if (!target || dashes !== "--" || words.length === 0)
        throw new LabError(`exec needs a node and a command: npm run lab -- exec node-1 -- systemctl status keepalived\n${USAGE}`);
      const r = target === "client" ? await execInClient(words) : await sshExec(nodeNamed(stack, target), shellWords(words));
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.code;
    }
    case "failover": {
      // Behind a CLB no VIP moves: a front door, then a whole zone, fails and comes back instead.
      if (stack.config.frontDoor === "clb") return (await runZones(stack)).every((s) => s.held) ? 0 : 1;
      const held = (await runFailover(stack)).every((s) => s.held);
      // With several VIPs, also each VIP's preferred node failing and coming back.
      const spread = stack.config.vips.length > 1 ? await runActiveActive(stack, lastPreferred(stack.config)) : [];
      return held && spread.every((s) => s.held) ? 0 : 1;
    }
    case "switchover": {
      const released = option(rest, "--release");
      if (released) {
        await releaseNode(stack, released);
        process.stdout.write(`${released} released: back in service as BACKUP; the VIP stays where it is\n`);
        return 0;
      }
      const r = await runSwitchover(stack, { to: option(rest, "--to"), from: option(rest, "--from") });
      process.stdout.write(
        `${r.what} moved from ${r.from} to ${r.to} in ${r.seconds.toFixed(2)} s; ${r.failed} of ${r.requests} requests failed; at most ${r.mostMasters} MASTER at once. ${r.from} stays in maintenance: npm run lab -- switchover --release ${r.from}\n`,
      );
      return r.failed === 0 && r.mostMasters === 1 ? 0 : 1;
    }
    case "replace": {
      if (!rest[0]) throw new LabError(`replace needs a node: npm run lab -- replace node-2\n${USAGE}`);
      await replace(stack, rest[0]);
      return 0;
    }
    case "day2": {
      const { results } = await runDay2();
      return results.every((r) => !r.error && r.failed === 0 && r.mostMasters === 1) ? 0 : 1;
    }
    case "down":
      await down(stack);
      return 0;
    default:
      throw new LabError(`unknown command "${command}"\n${USAGE}`);
  }
}

function nodeNamed(stack: Awaited<ReturnType<typeof loadLabStack>>, name: string) {
  const node = stack.topology.nodes.find((n) => n.name === name);
  if (!node) throw new LabError(`no node "${name}"; the nodes are ${stack.topology.nodes.map((n) => n.name).join(", ")}, or "client"`);
  return node;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`[lab] ERROR: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
