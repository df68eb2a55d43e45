import { loadConfig } from "../config/load";
import { mapSource } from "../config/source";
import { planNode } from "../render/steps";
import { TestMariaDb } from "./fixtures/mariadb";
import { SECRET_KEYS, stackValues, TEST_SECRETS, threeNodeValues } from "./fixtures/stacks";
import { tempDir } from "./fixtures/tools";

/** The grant steps' own scripts, run by bash against a real MariaDB server. */

const db = new TestMariaDb();
beforeAll(() => db.start(), 120_000);
afterAll(() => db.stop());

function grantScript(values: Record<string, unknown>, peer = "node-2"): string {
  const config = loadConfig(mapSource(values, SECRET_KEYS));
  const step = planNode(config, config.nodes[0]).steps.find((s) => s.name === `grant-${peer}`);
  if (!step) throw new Error(`no grant step for ${peer}`);
  return step.script;
}

function runStep(script: string, action: "apply" | "remove", runDir?: string) {
  return db.runScript(script, [action], runDir);
}

const grantsOf = (account: string) => db.query(`SHOW GRANTS FOR ${account}`).rows.filter((g) => g.includes(" ON `iam`.*"));
const passwordMatches = (account: [string, string], password: string) =>
  db.query(
    `SELECT authentication_string = PASSWORD(UNHEX('${Buffer.from(password).toString("hex")}')) FROM mysql.user WHERE User='${account[0]}' AND Host='${account[1]}'`,
  ).rows;

describe("the MariaDB grant step on a real server", () => {
  const prod = stackValues("prod");

  test("grants ALL on iam.* to iam@10.0.4.21 with the configured password (quotes and backslashes intact)", () => {
    const r = runStep(grantScript(prod), "apply");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("iam@10.0.4.21 (node-2) has ALL on iam.*");
    expect(grantsOf("'iam'@'10.0.4.21'")).toEqual(["GRANT ALL PRIVILEGES ON `iam`.* TO `iam`@`10.0.4.21`"]);
    expect(passwordMatches(["iam", "10.0.4.21"], TEST_SECRETS.dbPassword)).toEqual(["1"]);
  });

  test("running it again changes nothing", () => {
    const before = db.query("SELECT User, Host, authentication_string FROM mysql.user ORDER BY User, Host").rows;
    expect(runStep(grantScript(prod), "apply").code).toBe(0);
    expect(db.query("SELECT User, Host, authentication_string FROM mysql.user ORDER BY User, Host").rows).toEqual(before);
    expect(grantsOf("'iam'@'10.0.4.21'")).toEqual(["GRANT ALL PRIVILEGES ON `iam`.* TO `iam`@`10.0.4.21`"]);
  });

  test("a new password applies", () => {
    expect(runStep(grantScript({ ...prod, dbPassword: "n3w-Secret" }), "apply").code).toBe(0);
    expect(passwordMatches(["iam", "10.0.4.21"], "n3w-Secret")).toEqual(["1"]);
  });

  test("narrower privileges revoke the rest", () => {
    expect(runStep(grantScript({ ...prod, dbPrivileges: "SELECT,INSERT" }), "apply").code).toBe(0);
    expect(grantsOf("'iam'@'10.0.4.21'")).toEqual(["GRANT SELECT, INSERT ON `iam`.* TO `iam`@`10.0.4.21`"]);
  });

  test("remove drops exactly that account, and again is fine", () => {
    db.query("CREATE USER IF NOT EXISTS 'iam'@'localhost' IDENTIFIED BY 'made-by-the-iam-install'");
    expect(runStep(grantScript(prod), "remove").stdout).toContain("dropped iam@10.0.4.21");
    expect(db.query("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User = 'iam'").rows).toEqual(["iam@localhost"]);
    expect(runStep(grantScript(prod), "remove").code).toBe(0);
  });

  test("three nodes: an account for each peer", () => {
    const values = threeNodeValues();
    for (const peer of ["node-2", "node-3"]) expect(runStep(grantScript(values, peer), "apply").code).toBe(0);
    expect(db.query("SELECT Host FROM mysql.user WHERE User = 'iam' AND Host LIKE '10.%' ORDER BY Host").rows).toEqual(["10.0.4.21", "10.0.4.22"]);
  });

  test("says plainly when MariaDB is not running on the database node", () => {
    const r = runStep(grantScript(prod), "apply", tempDir("no-mariadb"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("[iam-ha] node-1 grant-node-2: ERROR: MariaDB is not running on node-1");
    expect(r.stderr).toContain("systemctl start mariadb");
  });

  test("a failing grant keeps MariaDB's error (which quotes the password) out of the step's output", () => {
    const broken = grantScript(prod).replace("CREATE USER IF NOT EXISTS", "CREATE USR IF NOT EXISTS");
    const r = runStep(broken, "apply");
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain("db-Test-pw");
    expect(r.stderr).toContain(
      "the grant for iam@10.0.4.21 failed. Its output may quote a secret, so it is only on this node: /var/lib/iam-ha/grant-node-2.failure.log (root only)",
    );
    expect(r.failureLog).toContain("db-Test-pw");
  });

  test("a password the loader would pass but SQL would choke on still round-trips", () => {
    const tricky = "a'b\\c\"d`e$f%g;--";
    expect(runStep(grantScript({ ...prod, dbPassword: tricky }), "apply").code).toBe(0);
    expect(passwordMatches(["iam", "10.0.4.21"], tricky)).toEqual(["1"]);
  });
});
