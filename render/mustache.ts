import * as fs from "fs";
import * as path from "path";
import Mustache from "mustache";
import { CONF_FORBIDDEN } from "../config/checks";

/** Strict mustache rendering: every tag must exist in its view, and values pass a per-format escape. */

const TEMPLATE_DIR = path.join(__dirname, "..", "templates");

export type Escape = (value: string) => string;

/**
 * Rejects values that a config format cannot hold, instead of HTML-escaping them. The message
 * leaves the value out: it may be a secret, and this error would reach the deploy log.
 */
export function rejecting(format: string, forbidden: RegExp): Escape {
  return (value: string) => {
    if (forbidden.test(value)) throw new Error(`a value for ${format} contains a character matching ${forbidden}; the config checks should have refused it`);
    return value;
  };
}

/** For nginx and keepalived files. */
export const confValue = rejecting("a config file", CONF_FORBIDDEN);
/** For shell scripts, where values stand inside single quotes. */
export const shellValue = rejecting("a shell script", /['"\\$`]|[^\x20-\x7e]/);
/**
 * For systemd units, whose command lines are read twice: by systemd (which splits words, strips
 * quotes, expands $VAR and %-specifiers: systemd.service(5), systemd.unit(5)) and then, in a
 * `sh -c` line, by the shell. Plain path characters mean the same to both.
 */
export const unitValue = rejecting("a systemd unit", /[^A-Za-z0-9_./:-]/);

/**
 * A value inside a double-quoted string of a curl config file (curl(1), --config: within double
 * quotes \\ and \" are escapes, and a line break ends the line). The quotes are the template's.
 */
export function curlConfigValue(value: string): string {
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error("a value for a curl config file contains a control character; the config checks should have refused it");
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

export function templateText(name: string): string {
  return fs.readFileSync(path.join(TEMPLATE_DIR, name), "utf8");
}

export function renderTemplate(name: string, view: object, escape: Escape, partials: Record<string, string> = {}): string {
  const template = templateText(name);
  assertTagsResolve(name, template, [view], partials);
  return Mustache.render(template, view, partials, { escape });
}

type Token = [string, string, number, number, Token[]?];

function lookup(stack: unknown[], name: string): unknown {
  if (name === ".") return stack[stack.length - 1];
  const [head, ...rest] = name.split(".");
  for (let i = stack.length - 1; i >= 0; i--) {
    const ctx = stack[i];
    if (ctx !== null && typeof ctx === "object" && head in ctx) {
      return rest.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], (ctx as Record<string, unknown>)[head]);
    }
  }
  return undefined;
}

/** Mustache renders a missing key as nothing; here it is an error that names the template and tag. */
function assertTagsResolve(name: string, template: string, stack: unknown[], partials: Record<string, string>): void {
  assertTokens(name, Mustache.parse(template) as Token[], stack, partials);
}

function assertTokens(name: string, tokens: Token[], stack: unknown[], partials: Record<string, string>): void {
  for (const [type, tag, , , children] of tokens) {
    if (type === "text" || type === "!" || type === "/" || type === "=") continue;
    if (type === ">") {
      if (!(tag in partials)) throw new Error(`template ${name}: partial {{> ${tag}}} was not given`);
      assertTagsResolve(`${name} > ${tag}`, partials[tag], stack, partials);
      continue;
    }
    const value = lookup(stack, tag);
    if (value === undefined) throw new Error(`template ${name}: tag {{${tag}}} has no value in its view`);
    if ((type === "#" || type === "^") && children) {
      // A list section checks its body once per item; an object section with the object on top.
      const frames = type === "#" && Array.isArray(value) ? value : [type === "#" && typeof value === "object" ? value : undefined];
      for (const frame of frames) assertTokens(name, children, frame === undefined ? stack : [...stack, frame], partials);
    }
  }
}
