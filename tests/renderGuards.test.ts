// The render layer's guards, as tables of what each lets through and what it refuses, with the
// exact message of each refusal. What a guard lets through is then read back by the tool that reads
// the output on the node: keepalived and nginx for confValue, bash for shellValue and for the
// heredocs that carry files, MariaDB for sqlString.
import type { RenderedFile } from "../render/files";

// Rendered files come from validated config, so none can hold the heredoc terminator; to test the
// guard, the nginx step also embeds the files a test puts here.
const mockExtraNginxFiles: RenderedFile[] = [];
jest.mock("../render/nginx", () => {
  const actual = jest.requireActual<typeof import("../render/nginx")>("../render/nginx");
  return {
    ...actual,
    renderNginxFiles: (...args: Parameters<typeof actual.renderNginxFiles>) => [...actual.renderNginxFiles(...args), ...mockExtraNginxFiles],
  };
});

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../config/load";
import { ConfigError } from "../config/problems";
import { mapSource } from "../config/source";
import { IamHaConfig } from "../config/types";
import { renderGrants, sqlString } from "../render/grants";
import { confValue, renderTemplate, shellValue, unitValue } from "../render/mustache";
import { HEREDOC_END, planNode } from "../render/steps";
import { TestMariaDb } from "./fixtures/mariadb";
import { SECRET_KEYS, stackValues, TEST_SECRETS } from "./fixtures/stacks";
import { besideKeepalived, requireTools, run, tempDir } from "./fixtures/tools";

const prodValues = stackValues("prod");
const prod = (): IamHaConfig => loadConfig(mapSource(prodValues, SECRET_KEYS));

/** The message a guard threw, or undefined. */
function refusal(render: () => unknown): string | undefined {
  try {
    render();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

function problemsOf(values: Record<string, unknown>): string[] {
  try {
    loadConfig(mapSource(values, SECRET_KEYS));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
/** Characters outside printable ASCII: control characters, DEL, and some non-ASCII ones. */
const NOT_PRINTABLE = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  "\x7f",
  "é",
  "中",
  "\u00a0", // no-break space
  "\u2028", // line separator
  "😀",
];
const show = (c: string): string => JSON.stringify(c);
/** A value holding `c` at its start, in its middle and at its end. */
const around = (c: string): string => `${c}a${c}b${c}`;

// ------------------------------------------------------------------------------------------------

describe("confValue: values in nginx.conf and keepalived.conf", () => {
  const MESSAGE = `a value for a config file contains a character matching /[\\s"'{};#\\\\!$]|[^\\x20-\\x7e]/; the config checks should have refused it`;

  test.each([
    ["a node name", "node-1"],
    ["an IPv4 address", "10.0.4.20"],
    ["a server name", "iam.api.marmotedu.com"],
    ["an nginx size", "5m"],
    ["a path", "/run/iam-ha/nginx-stopped"],
    ["an include glob", "iam-ha.d/*.conf"],
    ["the test VRRP password", TEST_SECRETS.vrrpAuthPass],
    ["punctuation that stays inside a word", "p@s=~%,:"],
  ])("lets through %s", (_what, value) => {
    expect(confValue(value)).toBe(value);
  });

  test.each([
    ["a space (splits the value into two words)", "two words"],
    ["a tab", "tab\tbed"],
    ["a newline (starts a new directive)", "x\nuser root"],
    ["a double quote", 'say"hi'],
    ["a single quote", "it's"],
    ["an opening brace", "a{b"],
    ["a closing brace", "a}b"],
    ["a semicolon (ends an nginx directive)", "a;b"],
    ["a # (starts a comment)", "a#b"],
    ["a backslash", "a\\b"],
    ["a ! (keepalived starts a comment: Xy!zzzz1 would be the password Xy)", "Xy!zzzz1"],
    ["a $ (keepalived expands $NAME definitions; nginx variables)", "a$b"],
    ["a non-ASCII letter", "pässwort"],
    ["a DEL", "del\x7f"],
    ["a NUL", "nul\0"],
  ])("refuses %s, without quoting the value (it may be a secret)", (_what, value) => {
    const message = refusal(() => confValue(value));
    expect(message).toBe(MESSAGE);
    expect(message).not.toContain(value);
  });

  test("refuses exactly these printable characters: space ! \" # $ ' ; \\ { }", () => {
    expect(PRINTABLE.filter((c) => refusal(() => confValue(c)) !== undefined).join("")).toBe(` !"#$';\\{}`);
  });

  test("refuses every control character, DEL and every non-ASCII character", () => {
    expect(NOT_PRINTABLE.filter((c) => refusal(() => confValue(around(c))) === undefined).map(show)).toEqual([]);
  });

  const lettingThrough = PRINTABLE.filter((c) => refusal(() => confValue(c)) === undefined);

  test("every printable character it lets through, nginx reads as part of the word", () => {
    requireTools("nginx");
    const dir = tempDir("nginx-probe");
    // An unknown directive makes nginx -t quote the word as it read it.
    const misread = lettingThrough.flatMap((c) => {
      const value = around(c);
      fs.writeFileSync(path.join(dir, "probe.conf"), `${value};\n`);
      const r = run("nginx", ["-t", "-p", `${dir}/`, "-c", path.join(dir, "probe.conf")]);
      const read = /unknown directive "(.*)" in /.exec(r.stderr)?.[1];
      return read === value ? [] : [{ value, read: read ?? r.stderr }];
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(misread).toEqual([]);
  });

  /** keepalived -t quotes the word it read after `vrrp_version`; one line per value. */
  function keepalivedReads(words: string[]): Map<number, string> {
    requireTools("keepalived");
    const dir = tempDir("keepalived-probe");
    const file = path.join(dir, "probe.conf");
    fs.writeFileSync(file, ["global_defs {", ...words.map((w) => `    vrrp_version ${w}`), "}", ""].join("\n"));
    const r = run("keepalived", ["-t", "-f", file]);
    fs.rmSync(dir, { recursive: true, force: true });
    const read = new Map<number, string>();
    for (const m of (r.stdout + r.stderr).matchAll(/Line (\d+)\) invalid number '(.*)'$/gm)) {
      if (!read.has(Number(m[1]))) read.set(Number(m[1]), m[2]);
    }
    return read;
  }

  test("every printable character it lets through, keepalived reads as part of the word, bare and in quotes", () => {
    const values = lettingThrough.map(around);
    const words = values.flatMap((v) => [v, `"${v}"`]);
    const read = keepalivedReads(words);
    // Line 1 is `global_defs {`: word i is on line i + 2.
    const misread = words.flatMap((word, i) => (read.get(i + 2) === values[Math.floor(i / 2)] ? [] : [{ word, read: read.get(i + 2) }]));
    expect(misread).toEqual([]);
  });

  test("keepalived reads '!' as the start of a comment: auth_pass Xy!zzzz1 would set the password Xy", () => {
    expect(keepalivedReads(["Xy!zzzz1", '"Xy!zzzz1"']).get(2)).toBe("Xy");
  });
});

// ------------------------------------------------------------------------------------------------

describe("vrrpAuthPass as keepalived itself parses it (the password in its data dump)", () => {
  /** The Password line of the data dump of a keepalived running node-1's rendered files, keepalived.conf as `edit` makes it. */
  function parsedPassword(values: Record<string, unknown>, edit = (conf: string) => conf): string {
    const config = loadConfig(mapSource(values, SECRET_KEYS));
    const node = config.nodes[0];
    const files = planNode(config, node)
      .steps.flatMap((s) => s.files)
      .map((f) => (f.path.endsWith("keepalived.conf") ? { ...f, content: edit(f.content) } : f));
    const read = `systemctl kill --signal=USR1 --kill-who=main keepalived
for i in $(seq 20); do [ -s /tmp/keepalived.data ] && break; sleep 0.1; done
sed -n 's/^ *Password = //p' /tmp/keepalived.data`;
    const r = besideKeepalived(files, config.vrrp.interface, node.privateIp, read);
    expect(r.stderr).toBe("");
    return r.stdout.replace(/\n$/, "");
  }
  const withAuthPass = (line: string) => (conf: string) => conf.replace(/^( *)auth_pass .*$/m, `$1${line}`);

  test.each([
    ["the test password", TEST_SECRETS.vrrpAuthPass],
    ["punctuation the loader lets through", "p@s=~%,:"],
    ["more of it", "-_./+*?^"],
  ])("%s reads back as configured", (_what, password) => {
    expect(parsedPassword({ ...prodValues, vrrpAuthPass: password })).toBe(password);
  });

  // keepalived 2.2.7 reads ! as a comment outside quotes, and expands ${NAME} inside quotes too;
  // _INSTANCE is built in (the host's name), so each node would read its own password and every
  // node would become MASTER. Quoting alone would fix !, not $: the loader refuses both.
  const hostName = os.hostname().split(".")[0];
  test.each([
    ["a bare ! starts a comment", "auth_pass Xy!k2Qz", "Xy"],
    ["in quotes, ! is kept", 'auth_pass "Xy!k2Qz"', "Xy!k2Qz"],
    ["${_INSTANCE} expands to the host's name, even in quotes", 'auth_pass "a${_INSTANCE}b"', `a${hostName}b`.slice(0, 8)],
  ])("how keepalived reads what the loader refuses: %s", (_what, line, parsed) => {
    expect(parsedPassword(prodValues, withAuthPass(line))).toBe(parsed);
  });

  test("the loader refuses ! and $ in vrrpAuthPass", () => {
    for (const password of ["Xy!k2Qz", "a${_I}b"]) {
      expect(problemsOf({ ...prodValues, vrrpAuthPass: password }).filter((p) => p.startsWith("iam-ha:vrrpAuthPass: "))).toHaveLength(1);
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe("shellValue: values in shell scripts, systemd units and tmpfiles.d", () => {
  const MESSAGE = "a value for a shell script contains a character matching /['\"\\\\$`]|[^\\x20-\\x7e]/; the config checks should have refused it";

  test.each([
    ["a node name", "node-1"],
    ["a path", "/etc/keepalived/check_nginx.sh"],
    ["an account", "iam@10.0.4.21"],
    ["a privilege list", "SELECT,INSERT"],
    ["shell operators (inert inside quotes)", "a;b|c&d>e<f"],
    ["glob and brace characters", "*?[x]{a,b}~"],
    ["a # and a !", "#!x"],
  ])("lets through %s", (_what, value) => {
    expect(shellValue(value)).toBe(value);
  });

  test.each([
    ["a single quote (ends a single-quoted string)", "it's"],
    ["a double quote (ends a double-quoted string)", 'say"hi'],
    ["a $ (expands inside double quotes)", "$HOME"],
    ["a backquote (runs a command inside double quotes)", "`id`"],
    ["a backslash", "a\\b"],
    ["a newline (a new command, or a new unit-file line)", "x\nExecStart=/bin/sh"],
    ["a tab", "tab\tbed"],
    ["a non-ASCII letter", "pässwort"],
    ["a DEL", "del\x7f"],
  ])("refuses %s, without quoting the value", (_what, value) => {
    const message = refusal(() => shellValue(value));
    expect(message).toBe(MESSAGE);
    expect(message).not.toContain(value);
  });

  test("refuses exactly these printable characters: \" $ ' \\ `", () => {
    expect(PRINTABLE.filter((c) => refusal(() => shellValue(c)) !== undefined).join("")).toBe(`"$'\\\``);
  });

  test("refuses every control character, DEL and every non-ASCII character", () => {
    expect(NOT_PRINTABLE.filter((c) => refusal(() => shellValue(around(c))) === undefined).map(show)).toEqual([]);
  });

  test("every printable character it lets through, bash reads back intact in single and in double quotes", () => {
    const values = PRINTABLE.filter((c) => refusal(() => shellValue(c)) === undefined).map(around);
    const script = values.map((v) => `printf '%s\\n' '${v}' "${v}"`).join("\n");
    const r = run("bash", ["--noprofile", "--norc", "-eu"], { input: script });
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").slice(0, -1)).toEqual(values.flatMap((v) => [v, v]));
  });
});

// ------------------------------------------------------------------------------------------------

describe("unitValue: values in systemd units, whose command lines systemd reads and then sh -c", () => {
  const MESSAGE = "a value for a systemd unit contains a character matching /[^A-Za-z0-9_./:-]/; the config checks should have refused it";

  test.each([
    ["a node name", "node-1"],
    ["a path", "/run/iam-ha/nginx-stopped"],
    ["a number", "30"],
  ])("lets through %s", (_what, value) => {
    expect(unitValue(value)).toBe(value);
  });

  test.each([
    ["a % (systemd's specifiers: %n is the unit's name)", "/run/%n"],
    ["a $ (systemd expands $VAR in command lines)", "/run/$HOME"],
    ["a space (two words for systemd)", "/run/a b"],
    ["a single quote (ends the sh -c script)", "/run/it's"],
    ["a & (the shell runs what follows)", "/run/a&id"],
    ["a ; (a second command)", "/run/a;id"],
    ["a glob", "/run/*"],
    ["a redirection", "/run/a>b"],
  ])("refuses %s", (_what, value) => {
    expect(refusal(() => unitValue(value))).toBe(MESSAGE);
  });

  test.each([
    ["a shell operator", "/run/iam-ha&id"],
    ["a systemd specifier", "/run/iam-ha%n"],
  ])("the nginx drop-in's sh -c lines refuse a state directory holding %s", (_what, runtimeDir) => {
    jest.isolateModules(() => {
      jest.doMock("../render/osFacts", () => {
        const actual = jest.requireActual<typeof import("../render/osFacts")>("../render/osFacts");
        return { ...actual, PATHS: { ...actual.PATHS, runtimeDir } };
      });
      const nginx = jest.requireActual<typeof import("../render/nginx")>("../render/nginx");
      expect(refusal(() => nginx.renderNginxFiles(prod(), prod().nodes[0]))).toBe(MESSAGE);
    });
  });
});

// ------------------------------------------------------------------------------------------------

describe("the heredoc that carries each file in a step script", () => {
  const PROBE = "/etc/nginx/iam-ha.d/zz-probe.conf";
  afterEach(() => mockExtraNginxFiles.splice(0));

  function nginxStepWith(content: string): string {
    mockExtraNginxFiles.splice(0, mockExtraNginxFiles.length, { path: PROBE, mode: "0644", content, secret: false });
    const config = prod();
    const step = planNode(config, config.nodes[0]).steps.find((s) => s.kind === "nginx");
    if (!step) throw new Error("no nginx step");
    return step.script;
  }

  /** Runs the script's own stage_files under bash, as the node would, and returns what arrived at PROBE. */
  function delivered(script: string): string | undefined {
    const last = 'main "$@" </dev/null';
    expect(script.trimEnd().endsWith(last)).toBe(true);
    const out = tempDir("heredoc");
    const body = `${script.trimEnd().slice(0, -last.length)}stage() { mkdir -p "$OUT$(dirname "$1")"; cat > "$OUT$1"; }\nstage_files\n`;
    const r = run("bash", ["-s"], { input: body, env: { ...process.env, OUT: out } });
    const content = fs.existsSync(out + PROBE) ? fs.readFileSync(out + PROBE, "utf8") : undefined;
    fs.rmSync(out, { recursive: true, force: true });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    return content;
  }

  test.each([
    ["the terminator alone", `${HEREDOC_END}\n`],
    ["the terminator as the first line", `${HEREDOC_END}\nrest\n`],
    ["the terminator between lines", `a\n${HEREDOC_END}\nb\n`],
    ["the terminator as the last line, without a final newline", `a\n${HEREDOC_END}`],
  ])("refuses a file holding %s", (_what, content) => {
    expect(refusal(() => nginxStepWith(content))).toBe(`${PROBE} contains the line IAMHA_EOF, which would end its heredoc early`);
  });

  test.each([
    ["a trailing space", `${HEREDOC_END} \n`],
    ["a leading space", ` ${HEREDOC_END}\n`],
    ["a leading tab (the heredoc is <<, not <<-)", `\t${HEREDOC_END}\n`],
    ["a carriage return (a CRLF file)", `a\r\n${HEREDOC_END}\r\nb\r\n`],
    ["other letter case", `${HEREDOC_END.toLowerCase()}\n`],
    ["a prefix", `x${HEREDOC_END}\n`],
    ["a suffix", `${HEREDOC_END}x\n`],
    ["quotes", `'${HEREDOC_END}'\n`],
    ["a comment mentioning it", `# ends with ${HEREDOC_END}\n`],
    ["expansions, which a quoted heredoc leaves alone", "$(id) `id` ${HOME} $HOME \\n \\\\ '\"\n"],
  ])("delivers intact a near miss: %s", (_what, content) => {
    expect(delivered(nginxStepWith(content))).toBe(content);
  });

  test("a file without a final newline arrives with one (the heredoc's own)", () => {
    expect(delivered(nginxStepWith("no final newline"))).toBe("no final newline\n");
  });

  test("a password of IAMHA_EOF cannot end the grant step's SQL heredocs", () => {
    const config = loadConfig(mapSource({ ...prodValues, dbPassword: HEREDOC_END }, SECRET_KEYS));
    const grant = planNode(config, config.nodes[0]).steps.find((s) => s.kind === "grant");
    // Two heredocs (grant and drop), each ended by its own terminator line, and no other.
    expect(grant?.script.split("\n").filter((line) => line === HEREDOC_END)).toHaveLength(2);
    expect(grant?.script).toContain(`IDENTIFIED BY '${HEREDOC_END}';`);
  });
});

// ------------------------------------------------------------------------------------------------

describe("sqlString: the database password as a MariaDB string literal", () => {
  const TABLE: [string, string, string][] = [
    ["empty", "", "''"],
    ["plain", "iam", "'iam'"],
    ["a single quote", "it's", "'it\\'s'"],
    ["two single quotes", "''", "'\\'\\''"],
    ["a backslash before a quote (the classic escape-the-escape)", "\\'", "'\\\\\\''"],
    ["a double quote", 'say "hi"', "'say \\\"hi\\\"'"],
    ["a backslash", "C:\\dir", "'C:\\\\dir'"],
    ["a NUL", "nul\0byte", "'nul\\0byte'"],
    ["a newline", "line\nfeed", "'line\\nfeed'"],
    ["a carriage return", "carriage\rreturn", "'carriage\\rreturn'"],
    ["a ^Z", "ctrl\x1aZ", "'ctrl\\ZZ'"],
    // \% and \_ keep their backslash outside LIKE patterns, so escaping these would change the password.
    ["% and _ (left alone)", "100%_sure", "'100%_sure'"],
    ["a tab and a backspace (left alone)", "tab\tback\b", "'tab\tback\b'"],
    ["SQL that stays text", "`; DROP USER root@localhost; -- ", "'`; DROP USER root@localhost; -- '"],
    ["non-ASCII", "pässwört 中文 😀", "'pässwört 中文 😀'"],
    ["the test password", TEST_SECRETS.dbPassword, "'db-Test-pw\\'with\\\"quotes\\\\and;semicolon'"],
  ];

  test.each(TABLE)("%s", (_what, input, literal) => {
    expect(sqlString(input)).toBe(literal);
  });

  const ASCII = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i));

  test("no literal holds a raw line break, NUL or ^Z, so none can end the grant's heredoc or a line of SQL", () => {
    expect(ASCII.map((c) => sqlString(around(c))).filter((lit) => /[\n\r\0\x1a]/.test(lit))).toEqual([]);
  });

  describe("on a real MariaDB server", () => {
    const db = new TestMariaDb();
    beforeAll(() => db.start(), 120_000);
    afterAll(() => db.stop());

    const hex = (value: string) => Buffer.from(value, "utf8").toString("hex").toUpperCase();
    /** The bytes MariaDB makes of each literal, after `session` (one row per literal, so '' shows too). */
    function bytesOf(session: string, literals: string[]): string[] {
      const r = db.query(`${session} ${literals.map((lit) => `SELECT CONCAT('hex:', HEX(${lit}));`).join(" ")}`);
      if (!r.ok) throw new Error(r.error);
      return r.rows.map((row) => row.replace(/^hex:/, ""));
    }
    // The grant's own line, from the rendered grant.sql.
    const grantSessionLine = () => {
      const line = renderGrants(prod())[0]
        .grantSql.split("\n")
        .find((l) => l.startsWith("SET SESSION sql_mode"));
      if (!line) throw new Error("grant.sql sets no sql_mode");
      return line;
    };

    test("every table input, and every ASCII character, reads back as the same bytes after the grant's sql_mode line, even in a NO_BACKSLASH_ESCAPES session", () => {
      const inputs = [...TABLE.map(([, input]) => input), ...ASCII.map(around)];
      expect(bytesOf(`SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'; ${grantSessionLine()}`, inputs.map(sqlString))).toEqual(inputs.map(hex));
    });

    test("without that line, NO_BACKSLASH_ESCAPES would change a password with a backslash (why grant.sql sets it)", () => {
      expect(bytesOf("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';", [sqlString("C:\\dir")])).toEqual([hex("C:\\\\dir")]);
    });
  });
});

// ------------------------------------------------------------------------------------------------

describe("names in the grant SQL (the SQL escape, behind the config checks)", () => {
  const MESSAGE = "a value for SQL contains a character matching /[^A-Za-z0-9_., -]/; the config checks should have refused it";

  test("lets through the prod stack's user, address, database and privileges", () => {
    expect(renderGrants(prod()).map((g) => `${g.user}@${g.host}`)).toEqual(["iam@10.0.4.21"]);
  });

  test.each([
    ["dbUser", "iam'@'%", (c: IamHaConfig) => ({ ...c, database: { ...c.database, user: "iam'@'%" } })],
    ["dbName", "iam`; DROP DATABASE mysql; --", (c: IamHaConfig) => ({ ...c, database: { ...c.database, name: "iam`; DROP DATABASE mysql; --" } })],
  ])("refuses a %s of %s, which the config checks refuse first", (key, value, tamper) => {
    expect(refusal(() => renderGrants(tamper(prod())))).toBe(MESSAGE);
    expect(problemsOf({ ...prodValues, [key]: value }).filter((p) => p.startsWith(`iam-ha:${key}: `))).toHaveLength(1);
  });
});

// ------------------------------------------------------------------------------------------------

describe("renderTemplate: every tag must have a value (mustache would render nothing)", () => {
  test.each<[string, () => unknown, string]>([
    [
      "a missing key",
      () => renderTemplate("tmpfiles.conf.mustache", { node: "node-1" }, shellValue),
      "template tmpfiles.conf.mustache: tag {{stateDir}} has no value in its view",
    ],
    ["a missing partial", () => renderTemplate("steps/ready.sh.mustache", {}, shellValue), "template steps/ready.sh.mustache: partial {{> lib}} was not given"],
    [
      "a key missing from a partial",
      () => renderTemplate("steps/ready.sh.mustache", {}, shellValue, { lib: "readonly STEP='{{step}}'\n" }),
      "template steps/ready.sh.mustache > lib: tag {{step}} has no value in its view",
    ],
  ])("refuses %s, naming the template and the tag", (_what, render, message) => {
    expect(refusal(render)).toBe(message);
  });

  test("runs each value through the format's escape", () => {
    expect(
      refusal(() => renderTemplate("tmpfiles.conf.mustache", { node: "node-1", stateDir: "/run/iam ha", persistentDir: "/var/lib/iam-ha" }, confValue)),
    ).toMatch(/^a value for a config file contains/);
    expect(renderTemplate("tmpfiles.conf.mustache", { node: "node-1", stateDir: "/run/iam-ha", persistentDir: "/var/lib/iam-ha" }, confValue)).toContain(
      "d /run/iam-ha 0755 root root -",
    );
  });
});
