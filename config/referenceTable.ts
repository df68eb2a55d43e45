import * as fs from "fs";
import * as path from "path";
import { DeclaredKey, readDeclaredKeys } from "./declaredKeys";
import { OPTIONAL_LISTS, OPTIONAL_SECRETS } from "./rawValues";

/** The README's configuration reference, made from Pulumi.yaml (tests keep the README in step). */
export function configReferenceTable(keys: DeclaredKey[] = readDeclaredKeys()): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s+/g, " ");
  const rows = keys.map((k) => {
    const type = k.type ?? "list";
    const value = k.secret
      ? OPTIONAL_SECRETS.includes(k.name)
        ? "secret, optional"
        : "secret, required"
      : k.default === undefined
        ? OPTIONAL_LISTS.includes(k.name)
          ? "optional"
          : "required"
        : k.default === ""
          ? '`""`'
          : `\`${k.default}\``;
    return `| \`${k.name}\` | ${type} | ${value} | ${cell(k.description)} |`;
  });
  return ["| key | type | default | what it is, when to change it |", "|---|---|---|---|", ...rows].join("\n");
}

const README = path.join(__dirname, "..", "README.md");
const TABLE = /(<!-- config-table:start[^\n]*\n)[\s\S]*?(<!-- config-table:end -->)/;

/** The table as README.md holds it. */
export function readmeTable(): string | undefined {
  return TABLE.exec(fs.readFileSync(README, "utf8"))?.[0].split("\n").slice(1, -1).join("\n").trim();
}

// `npm run docs` writes the table into README.md.
if (require.main === module) {
  fs.writeFileSync(README, fs.readFileSync(README, "utf8").replace(TABLE, `$1${configReferenceTable()}\n$2`));
}
