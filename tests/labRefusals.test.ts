import * as fs from "fs";
import { ConfigError } from "../config/problems";
import { checkHost } from "../lab/hosts/lab";
import { checkHostCollisions, validateTopology } from "../lab/hosts/network";
import { loadLabStack } from "../lab/program/stack";
import { projectCli, requireTools, run, tempDir } from "./fixtures/tools";

/** The lab refuses, clearly and before it makes anything, what it cannot do. */

requireTools("ip");

const lab = (args: string[], env: NodeJS.ProcessEnv = process.env) => projectCli("lab/cli.ts", args, env, 60_000);

const topology = {
  subnetCidr: "10.0.4.0/24",
  routerIp: "10.0.4.1",
  havip: "10.0.4.99",
  eip: "10.255.0.10",
  nodes: [
    { name: "node-1", privateIp: "10.0.4.20" },
    { name: "node-2", privateIp: "10.0.4.21" },
  ],
};

test("not root: the lab says it needs root, and how", async () => {
  const uid = jest.spyOn(process, "getuid").mockReturnValue(1000);
  try {
    await expect(checkHost()).rejects.toThrow("the lab needs root (netns, mounts, systemd-nspawn) — run it as root, e.g. `sudo bash scripts/lab.sh`");
  } finally {
    uid.mockRestore();
  }
});

test("no systemd-nspawn: the lab names what is missing and the packages to install", () => {
  // A PATH with a shell and nothing else the lab uses.
  const bin = tempDir("lab-path");
  fs.symlinkSync("/bin/sh", `${bin}/sh`);
  const r = lab(["status"], { ...process.env, PATH: bin });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/missing on this host: systemd-nspawn \(package systemd-container\).* — install with: apt-get install -y systemd-container/);
});

test("a config the loader refuses stops the lab with the key and the fix, before anything is made", async () => {
  await expect(loadLabStack("lab", { havip: "10.0.5.99" })).rejects.toThrow(ConfigError);
  await expect(loadLabStack("lab", { havip: "10.0.5.99" })).rejects.toThrow(/iam-ha:havip: 10\.0\.5\.99 is outside subnetCidr 10\.0\.4\.0\/24/);
  const bogus = lab(["status", "--stack", "nope"]);
  expect([bogus.status, bogus.stderr]).toEqual([
    2,
    expect.stringContaining("no stack file Pulumi.nope.yaml: pass --stack with one of the Pulumi.<stack>.yaml files"),
  ]);
});

test("a subnet that collides with one of this machine's routes is refused", async () => {
  const routes = run("ip", ["-4", "-o", "addr", "show", "scope", "global"]).stdout;
  const cidr = /inet (\d+\.\d+\.\d+)\.\d+\/(\d+)/.exec(routes);
  expect(cidr).not.toBeNull();
  const [, prefix3] = cidr!;
  const onHost = {
    ...topology,
    subnetCidr: `${prefix3}.0/24`,
    routerIp: `${prefix3}.1`,
    havip: `${prefix3}.99`,
    nodes: [
      { name: "node-1", privateIp: `${prefix3}.20` },
      { name: "node-2", privateIp: `${prefix3}.21` },
    ],
  };
  await expect(checkHostCollisions(onHost)).rejects.toThrow(/lab networks collide with the host's network namespace[\s\S]*overlaps lab network/);
  await expect(checkHostCollisions(topology)).resolves.toBeUndefined();
});

test("a topology the lab's hosts cannot take is refused with every problem", () => {
  const bad = () => validateTopology({ ...topology, nodes: [{ name: "Node_1", privateIp: "10.0.4.20" }] });
  expect(bad).toThrow(/node name "Node_1" must match \[a-z\]\[a-z0-9-\]\{0,11\}/);
  expect(bad).toThrow(/nodes: need at least 2, got 1/);
});
