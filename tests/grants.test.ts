import * as fs from "fs";
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

describe("what the grant step takes, and what it leaves alone", () => {
  const prod = stackValues("prod");
  const accounts = () => db.query("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User = 'iam' ORDER BY Host").rows;

  beforeEach(() => {
    runStep(grantScript(prod), "remove");
    db.query("DROP USER IF EXISTS 'iam'@'10.0.4.21'");
  });

  test("dbName with _ grants that database only: _ and % are escaped, so iam_db gives nothing on iamXdb", () => {
    db.query("CREATE DATABASE IF NOT EXISTS iam_db; CREATE DATABASE IF NOT EXISTS iamXdb; CREATE DATABASE IF NOT EXISTS `iam%db`");
    const r = runStep(grantScript({ ...prod, dbName: "iam_db" }), "apply");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("iam@10.0.4.21 (node-2) has ALL on iam_db.*");
    const login = (sql: string) => db.loginFromPeer("iam", TEST_SECRETS.dbPassword, sql);
    expect(login("USE iam_db; SELECT DATABASE()")).toMatchObject({ ok: true, rows: ["iam_db"] });
    expect(login("USE iamXdb").error).toMatch(/Access denied for user 'iam'@'10\.0\.4\.21' to database 'iamXdb'/);
    expect(login("SHOW DATABASES").rows).toEqual(["iam_db", "information_schema"]);
  });

  test("an account iam-ha did not create is refused, left as it was, and remove leaves it too", () => {
    db.query("CREATE USER 'iam'@'10.0.4.21' IDENTIFIED BY 'the-dba-s'; GRANT SELECT ON mysql.* TO 'iam'@'10.0.4.21'");
    const r = runStep(grantScript(prod), "apply");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "[iam-ha] node-1 grant-node-2: ERROR: MariaDB on node-1 already has the account iam@10.0.4.21, which iam-ha did not create: it was left as it is (taking it over would change its password, and pulumi destroy would drop it with all its grants). Fix: set iam-ha:dbUser to a name no account uses at 10.0.4.21, or drop that account if nothing needs it (DROP USER 'iam'@'10.0.4.21') and run pulumi up again",
    );
    expect(passwordMatches(["iam", "10.0.4.21"], "the-dba-s")).toEqual(["1"]);
    expect(db.query("SHOW GRANTS FOR 'iam'@'10.0.4.21'").rows).toContain("GRANT SELECT ON `mysql`.* TO `iam`@`10.0.4.21`");
    const removed = runStep(grantScript(prod), "remove");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("iam@10.0.4.21 was not made by iam-ha; left as it is");
    expect(accounts()).toContain("iam@10.0.4.21");
  });

  test("an account iam-ha made is its own from run to run, and remove drops it", () => {
    expect(runStep(grantScript(prod), "apply").code).toBe(0);
    expect(runStep(grantScript({ ...prod, dbPassword: "n3w-Secret" }), "apply").code).toBe(0);
    expect(passwordMatches(["iam", "10.0.4.21"], "n3w-Secret")).toEqual(["1"]);
    expect(runStep(grantScript(prod), "remove").stdout).toContain("dropped iam@10.0.4.21");
    expect(accounts()).not.toContain("iam@10.0.4.21");
  });

  test("remove while MariaDB is down fails loudly: the account still exists with a password iam-ha set", () => {
    expect(runStep(grantScript(prod), "apply").code).toBe(0);
    const r = runStep(grantScript(prod), "remove", tempDir("no-mariadb"));
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("nothing to drop");
    expect(r.stderr).toContain(
      "[iam-ha] node-1 grant-node-2: ERROR: MariaDB is not running on node-1, so iam@10.0.4.21 was not dropped: it still exists, with the password iam-ha set and ALL on iam.*. Start MariaDB (systemctl start mariadb) and run pulumi destroy again, or drop it by hand once MariaDB runs: DROP USER 'iam'@'10.0.4.21'",
    );
    expect(accounts()).toContain("iam@10.0.4.21");
    expect(runStep(grantScript(prod), "remove").stdout).toContain("dropped iam@10.0.4.21");
  });

  test("a non-ASCII password arrives intact under a client that defaults to GBK, where 中 before \\' would swallow the backslash", () => {
    const home = tempDir("client-charset");
    // What a node's root might have. In GBK, the last byte of 中 (E4 B8 AD) and the backslash that
    // escapes the next quote (5C) read as one character, and the quote then ends the string.
    fs.writeFileSync(`${home}/.my.cnf`, "[client]\ndefault-character-set=gbk\n");
    const password = "pässwört-中'-😀";
    const r = db.runScript(grantScript({ ...prod, dbPassword: password }), ["apply"], db.runDir, { ...process.env, HOME: home });
    expect(r.stderr).toBe("");
    expect(passwordMatches(["iam", "10.0.4.21"], password)).toEqual(["1"]);
    expect(db.loginFromPeer("iam", password, "SELECT 1").rows).toEqual(["1"]);
  });
});
