/**
 * Demo / smoke test of the lab host layer (run as root):
 *   npx ts-node --transpile-only lab/hostsDemo.ts           # up, checks, package install, down
 *   npx ts-node --transpile-only lab/hostsDemo.ts --no-install
 *   npx ts-node --transpile-only lab/hostsDemo.ts up | down  # just bring up / tear down
 * Exit code 0 only if every check passed.
 */
import * as fs from "fs";
import { execSync } from "child_process";
import { labUp, labDown } from "./lab";
import { sshExec } from "./ssh";
import { execInClient, execInLabNs, clientIp, netnsExists } from "./network";
import { names, paths } from "./paths";
import type { LabTopology } from "./topology";

export const demoTopology: LabTopology = {
  subnetCidr: "10.0.4.0/24",
  routerIp: "10.0.4.1",
  havip: "10.0.4.99",
  eip: "10.255.0.10",
  nodes: [{ name: "node-1", privateIp: "10.0.4.20" }, { name: "node-2", privateIp: "10.0.4.21" }],
};

let failures = 0;
function check(what: string, ok: boolean, detail = ""): void {
  console.log(`${ok ? "PASS" : "FAIL"}  ${what}${detail ? `  — ${detail}` : ""}`);
  if (!ok) failures++;
}
const secs = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

async function demo(install: boolean): Promise<void> {
  const t = demoTopology;
  const [n1, n2] = t.nodes;
  const tUp = Date.now();
  const up = await labUp(t);
  console.log(`TIMING rootfs: ${up.timings.rootfsBuilt ? `built in ${up.timings.rootfsSeconds.toFixed(1)} s` : "cached"}; repo: ${up.timings.repoBuilt ? `built in ${up.timings.repoSeconds.toFixed(1)} s` : "cached"}; ` +
    `boot ${t.nodes.length} nodes to ssh-ready: ${up.timings.bootSeconds.toFixed(1)} s; labUp total: ${secs(tUp)} s`);

  for (const n of t.nodes) {
    const r = await sshExec(n, "hostname; systemctl is-system-running --wait || true; ip -4 addr");
    console.log(`--- ${n.name}: hostname; systemctl is-system-running --wait; ip -4 addr ---\n${r.stdout.trim()}`);
    const lines = r.stdout.trim().split("\n");
    check(`${n.name}: ssh works, hostname is ${n.name}`, r.code === 0 && lines[0] === n.name, r.stderr.trim());
    check(`${n.name}: systemd is PID 1 and booted`, /^(running|degraded)$/.test(lines[1] ?? ""), lines[1]);
    check(`${n.name}: host0 has ${n.privateIp}`, r.stdout.includes(`inet ${n.privateIp}/24`) && r.stdout.includes("host0"));
    const pid1 = await sshExec(n, "cat /proc/1/comm; stat -c %i /");
    check(`${n.name}: /proc/1/comm is systemd`, pid1.stdout.split("\n")[0] === "systemd");
  }
  for (const [a, b] of [[n1, n2], [n2, n1]]) {
    const r = await sshExec(a, `ping -c 2 -W 2 ${b.privateIp}`);
    check(`ping ${a.name} → ${b.name} (${b.privateIp})`, r.code === 0, r.stdout.split("\n").find((l) => l.includes("packet loss")) ?? r.stderr.trim());
  }
  // Nodes must have no way out.
  const out = await sshExec(n1, "curl -sS -m 3 -o /dev/null http://192.0.2.1/ 2>&1; ip -4 route");
  check("node-1: no route beyond the lab (curl to a host-network address fails)", !/^200/.test(out.stdout), out.stdout.trim().split("\n")[0]);

  // HAVIP by hand (what keepalived will do): /32 on node-1's host0, reachable from node-2 and via the EIP.
  const add = await sshExec(n1, `ip addr add ${t.havip}/32 dev host0 && (command -v arping >/dev/null && arping -c1 -U -I host0 ${t.havip} || true) && ip -4 addr show host0`);
  check(`node-1: ip addr add ${t.havip}/32 dev host0 (CAP_NET_ADMIN in the container)`, add.code === 0, add.stderr.trim());
  const ping = await sshExec(n2, `ping -c 2 -W 2 ${t.havip}`);
  check(`ping node-2 → havip ${t.havip} (on node-1)`, ping.code === 0, ping.stdout.split("\n").find((l) => l.includes("packet loss")) ?? ping.stderr.trim());
  const srv = await sshExec(n1, `echo iam-ha-lab-$(hostname) > /tmp/index.html; cd /tmp; nohup timeout 60 python3 -m http.server 80 --bind ${t.havip} >/tmp/http.log 2>&1 </dev/null & echo $! > /tmp/http.pid; sleep 1; ss -ltn 2>/dev/null | grep ':80 ' || true`);
  check("node-1: python3 -m http.server 80 --bind havip started", srv.code === 0, srv.stdout.trim());
  let body = "";
  for (let i = 0; i < 10 && !body.includes("iam-ha-lab-node-1"); i++) {
    const c = await execInClient(["curl", "-sS", "-m", "3", `http://${t.eip}/index.html`], { timeoutMs: 10_000 });
    body = c.stdout + c.stderr;
    if (!body.includes("iam-ha-lab-node-1")) await new Promise((r) => setTimeout(r, 500));
  }
  check(`client netns (${clientIp(t)}) → curl http://${t.eip}/ → DNAT → havip:80 on node-1`, body.includes("iam-ha-lab-node-1"), body.trim());
  const fromN2 = await sshExec(n2, `curl -sS -m 3 http://${t.havip}/index.html`);
  check(`node-2 → curl http://${t.havip}/`, fromN2.stdout.includes("iam-ha-lab-node-1"), (fromN2.stdout + fromN2.stderr).trim());
  const fromLab = await execInLabNs(["curl", "-sS", "-m", "3", `http://${t.eip}/index.html`]);
  check(`lab netns → curl http://${t.eip}/ (output DNAT)`, fromLab.stdout.includes("iam-ha-lab-node-1"), (fromLab.stdout + fromLab.stderr).trim());
  const seenFrom = await sshExec(n1, "cat /tmp/http.log");
  console.log(`--- node-1 http.server log (client address as seen by the node) ---\n${seenFrom.stdout.trim()}`);
  const direct = await execInClient(["curl", "-sS", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", `http://${t.havip}/`], { timeoutMs: 10_000 });
  check("client netns cannot reach the private subnet directly", direct.stdout.trim() !== "200", (direct.stdout + direct.stderr).trim());
  const del = await sshExec(n1, `kill $(cat /tmp/http.pid); ip addr del ${t.havip}/32 dev host0`);
  check(`node-1: havip removed again`, del.code === 0, del.stderr.trim());

  if (install) {
    const tInst = Date.now();
    const r = await sshExec(n1, "export DEBIAN_FRONTEND=noninteractive; apt-get update && apt-get install -y nginx keepalived mariadb-server curl", undefined, { timeoutMs: 15 * 60_000 });
    const instSecs = secs(tInst);
    const errLines = (r.stdout + r.stderr).split("\n").filter((l) => /^(E:|W:)|unmet dependencies|not installable|Unable to locate/.test(l));
    console.log(`--- node-1 apt-get install (tail) ---\n${r.stdout.trim().split("\n").slice(-6).join("\n")}`);
    check("node-1: apt-get update && apt-get install -y nginx keepalived mariadb-server curl from the local repo", r.code === 0 && errLines.length === 0, errLines.join(" | ") || r.stderr.trim().slice(-300));
    console.log(`TIMING install nginx keepalived mariadb-server curl in node-1: ${instSecs} s`);
    const v = await sshExec(n1, "dpkg-query -W nginx keepalived mariadb-server curl; systemctl is-active nginx mariadb; curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1/");
    console.log(`--- node-1 installed ---\n${v.stdout.trim()}`);
    check("node-1: nginx and mariadb active, nginx answers 200", /active\nactive\n200/.test(v.stdout), v.stderr.trim());
  }

  const tDown = Date.now();
  await labDown(t);
  console.log(`TIMING labDown: ${secs(tDown)} s`);
  verifyDown(t);
  const tDown2 = Date.now();
  await labDown(t);
  check("labDown a second time is fine", true, `${secs(tDown2)} s`);
}

function verifyDown(t: LabTopology): void {
  check(`down: netns ${names.labNs()} and ${names.clientNs()} gone`, !netnsExists(names.labNs()) && !netnsExists(names.clientNs()),
    execSync("ip netns list").toString().trim());
  const ps = execSync("ps -eo pid,args").toString().split("\n").filter((l) => /systemd-nspawn/.test(l) && !/ps -eo/.test(l));
  check("down: no systemd-nspawn processes", ps.length === 0, ps.join("; "));
  const dirs = t.nodes.map((n) => paths.nodeDir(n.name)).filter((d) => fs.existsSync(d));
  check("down: no per-node dirs", dirs.length === 0, dirs.join(", "));
  const mounts = fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes("iam-ha-lab"));
  check("down: no lab mounts left", mounts.length === 0, mounts.join("; "));
  check("down: caches kept", fs.existsSync(paths.rootfs()) && fs.existsSync(paths.repo()) && fs.existsSync(paths.sshKey()));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  try {
    if (args[0] === "up") {
      const up = await labUp(demoTopology);
      console.log(JSON.stringify(up, null, 2));
      return;
    }
    if (args[0] === "down") {
      await labDown(demoTopology);
      verifyDown(demoTopology);
    } else {
      await demo(!args.includes("--no-install"));
    }
  } catch (e) {
    console.error(`ERROR: ${(e as Error).message}`);
    failures++;
    if (args[0] !== "up" && !args.includes("--keep")) {
      await labDown(demoTopology).catch((e2) => console.error(`labDown after error failed: ${(e2 as Error).message}`));
    }
  }
  console.log(failures === 0 ? "ALL CHECKS PASSED" : `${failures} CHECK(S) FAILED`);
  process.exitCode = failures === 0 ? 0 : 1;
}

if (require.main === module) void main();
