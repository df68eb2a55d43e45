import { DeclaredKey, readDeclaredKeys } from "./declaredKeys";

/** The README's configuration reference, made from Pulumi.yaml (tests keep the README in step). */
export function configReferenceTable(keys: DeclaredKey[] = readDeclaredKeys()): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s+/g, " ");
  const rows = keys.map((k) => {
    const type = k.type ?? "list";
    const value = k.secret ? "secret, required" : k.default === undefined ? "required" : k.default === "" ? '`""`' : `\`${k.default}\``;
    return `| \`${k.name}\` | ${type} | ${value} | ${cell(k.description)} |`;
  });
  return ["| key | type | default | what it is, when to change it |", "|---|---|---|---|", ...rows].join("\n");
}

if (require.main === module) console.log(configReferenceTable());
