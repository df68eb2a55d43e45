import * as fs from "fs";
import * as path from "path";

/**
 * The layout holds: dependencies point one way (config → render → components → index.ts, with the
 * lab and the verifier above, sharing common/), the lab's layers stack (hosts → program →
 * scenarios), and what the lab and the verifier share exists once. Read from the source's imports.
 */

const ROOT = path.resolve(__dirname, "..");
const SKIP = new Set(["node_modules", ".git", "bin", "coverage", ".lab"]);

function sourceFiles(dir: string = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path.relative(ROOT, full)] : [];
  });
}

/** The project files a file imports (static, dynamic and require), as paths from the root. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\(|require\()["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const base = path.resolve(path.dirname(path.join(ROOT, file)), spec);
    const found = [`${base}.ts`, path.join(base, "index.ts"), base].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    return path.relative(ROOT, found ?? base);
  });
}

/** The top-level part a file belongs to: "index.ts", "config", "lab/hosts", … */
function layerOf(file: string): string {
  const parts = file.split(path.sep);
  if (parts[0] === "lab" && parts.length > 2) return `lab/${parts[1]}`;
  return parts.length === 1 ? file : parts[0];
}

/** What each part may import besides itself. */
const ALLOWED: Record<string, string[]> = {
  config: [],
  render: ["config"],
  tencentcloud: [],
  components: ["config", "render", "tencentcloud"],
  "index.ts": ["config", "render", "components", "tencentcloud"],
  common: ["config", "render"],
  verify: ["config", "render", "common", "tencentcloud"],
  "lab/hosts": ["config", "render", "common"],
  "lab/program": ["config", "render", "common", "tencentcloud", "index.ts", "lab/hosts"],
  "lab/scenarios": ["config", "render", "common", "lab/hosts", "lab/program"],
  lab: ["config", "common", "lab/hosts", "lab/program", "lab/scenarios"],
  // The pack runs on its own, from the tokens alone.
  policy: ["tencentcloud/tokens.ts"],
};

const files = sourceFiles().filter((f) => !f.startsWith(`tests${path.sep}`));

describe("the layout", () => {
  test("every source file belongs to a known part", () => {
    expect(files.map(layerOf).filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  test("each part imports only the parts below it: neither the lab nor the verifier imports the other", () => {
    const wrong = files.flatMap((file) => {
      const layer = layerOf(file);
      return importsOf(file)
        .filter((target) => {
          const to = layerOf(target);
          return to !== layer && !ALLOWED[layer].includes(to) && !ALLOWED[layer].includes(target);
        })
        .map((target) => `${file} → ${target}`);
    });
    expect(wrong).toEqual([]);
  });
});

describe("what the lab and the verifier share exists once", () => {
  const defining = (pattern: RegExp) => files.filter((f) => pattern.test(fs.readFileSync(path.join(ROOT, f), "utf8")));

  test("one shell quoter", () => {
    expect(defining(/'\\\\''/)).toEqual([path.join("common", "shell.ts")]);
  });

  test("one process runner: child_process only in common/process.ts, and where a process must outlive its caller", () => {
    // containers.ts boots nspawn, alerts.ts the webhook receiver and clbStandIn.ts the CLB's
    // stand-in (HAProxy): detached, for the life of the lab.
    const detached = [path.join("lab", "hosts", "containers.ts"), path.join("lab", "hosts", "alerts.ts"), path.join("lab", "program", "clbStandIn.ts")];
    expect(defining(/from "child_process"/)).toEqual([path.join("common", "process.ts"), ...detached].sort());
    for (const file of detached) expect(fs.readFileSync(path.join(ROOT, file), "utf8")).toMatch(/detached: true|systemd-nspawn/);
  });

  test("one reader of stack files, one loader of the program under mocks", () => {
    expect(defining(/Pulumi\.\$\{/)).toEqual([path.join("config", "stackFile.ts")]);
    expect(defining(/isolateModules|require\.cache/)).toEqual([path.join("lab", "program", "programUnderMocks.ts")]);
  });
});
