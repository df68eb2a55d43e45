import { readStackFile } from "../config/stackFile";
import { labDown } from "../lab/hosts/lab";
import { netnsExists } from "../lab/hosts/network";
import { names } from "../lab/hosts/paths";
import { Day2Result, DAY2_CHANGES, labStackSettings, runDay2 } from "../lab/scenarios/day2";
import { requireTools } from "./fixtures/tools";

/**
 * Day 2 on real hosts: every change an operator makes to a running stack, made as they would (a
 * changed stack file, then up) under a steady stream through the EIP. Each must drop no request,
 * never have two MASTERs, reload (never restart) what it changes, and leave the VIP where it is
 * (but the switchover). The figures are printed and written as JSON, not asserted as timings.
 */

jest.setTimeout(15 * 60_000);
requireTools("systemd-nspawn", "debootstrap", "nsenter", "ip", "nft", "ssh");
if (process.getuid?.() !== 0) throw new Error("the lab suite needs root: run `sudo bash scripts/test.sh`");

let results: Day2Result[];

beforeAll(async () => {
  ({ results } = await runDay2());
}, 14 * 60_000);

afterAll(async () => {
  await labDown().catch(() => undefined);
});

test("every change ran, on a generated copy of the lab stack, and the lab is down after", () => {
  expect(results.map((r) => r.name)).toEqual(DAY2_CHANGES.map((c) => c.name));
  expect([netnsExists(names.labNs()), readStackFile("lab")!.values]).toEqual([false, labStackSettings().values]);
});

const ADDRESSES: Record<string, string> = { "node-1": "10.0.4.20", "node-2": "10.0.4.21", "node-3": "10.0.4.22", "node-4": "10.0.4.23" };

describe.each(DAY2_CHANGES.map((c) => [c.name, c] as const))("%s", (name, change) => {
  const result = () => results.find((r) => r.name === name)!;
  const added = /^add (backend-only )?(node-\d)/.exec(name)?.[2];
  const nodesAfter = added ? ["node-1", "node-2", added] : ["node-1", "node-2"];
  const frontDoorsAfter = nodesAfter.filter((n) => n !== "node-4");

  test("after it, every front door names every other as unicast peer and every node as upstream, MariaDB admits exactly the peers, and the lab's state holds exactly the stack's hosts and host keys", () => {
    const others = (node: string, among: string[]) => (frontDoorsAfter.includes(node) ? among.filter((n) => n !== node) : []);
    expect(result().after).toEqual({
      peers: Object.fromEntries(nodesAfter.map((n) => [n, others(n, frontDoorsAfter)])),
      upstreams: Object.fromEntries(nodesAfter.map((n) => [n, others(n, nodesAfter)])),
      dbAccounts: others("node-1", nodesAfter).map((n) => `iam@${ADDRESSES[n]}`),
      hosts: nodesAfter,
      hostKeys: nodesAfter.map((n) => `iam-ha-${n}-host-key`).sort(),
    });
  });

  test("runs without error, and the lab's checks pass after it", () => {
    expect({ error: result().error, checksFailed: result().checksFailed }).toEqual({ error: undefined, checksFailed: [] });
  });

  test("0 failed requests through the EIP, and never two MASTERs", () => {
    const r = result();
    expect(r.requests).toBeGreaterThan(100);
    expect({ failed: r.failed, mostMasters: r.mostMasters }).toEqual({ failed: 0, mostMasters: 1 });
  });

  test("keeps its hosts (but a new or replaced one), reloads what it changes on every node that stays, restarts nothing there, and moves the VIP only when that is the change", () => {
    const r = result();
    const expected = change.reloads && {
      nginx: change.reloads.nginx === "every node" ? r.stayed : [],
      keepalived: change.reloads.keepalived === "every node" ? r.stayed : [],
    };
    // The same hosts go on serving: only an added node, or the replaced one, is a new host.
    const newHosts = added ? [added] : change.how === "replace" ? nodesAfter.filter((n) => n !== r.vipBefore) : [];
    expect({ newHosts: r.newHosts, reloaded: expected && r.reloaded, restarted: r.restarted, vipMoved: r.vipMoved }).toEqual({
      newHosts,
      reloaded: expected,
      restarted: [],
      vipMoved: change.vipMoves,
    });
  });
});
