/**
 * What JavaScript's RegExp runs but Go's regexp (RE2 syntax, which the provider compiles
 * imageNameRegex with: terraform-provider-tencentcloud v1.82.42,
 * tencentcloud/services/cvm/data_source_tc_images.go, regexp.Compile) refuses. The rules follow Go's
 * regexp/syntax parser (parse.go: parsePerlFlags, parseEscape, repeat) and
 * https://github.com/google/re2/wiki/Syntax ("NOT SUPPORTED"). It is a scanner, not a parser:
 * plain syntax errors are left to the RegExp check that runs after it.
 */

/** Letters and digits Go accepts after a backslash anywhere (parseEscape, parsePerlClassEscape, parseUnicodeClass). */
const ESCAPES = "afnrtvx01234567dDsSwWpP";
/** Those Go accepts only outside a character class (parse.go's Parse loop). */
const ESCAPES_OUTSIDE_CLASS = "AzbBQ";
/** Go's largest {n,m} count (regexp/syntax's maxRepeat). */
const MAX_REPEAT = 1000;

/** The first construct RE2 cannot run, described for the operator; undefined when there is none. */
export function re2Unsupported(pattern: string): string | undefined {
  let inClass = false;
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (!inClass && pattern[i + 1] === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        i = end < 0 ? pattern.length : end + 1;
        afterQuantifier = false;
        continue;
      }
      const problem = escapeProblem(pattern.slice(i + 1), inClass);
      if (problem) return problem;
      i += 1;
      afterQuantifier = false;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
      // A ] right after [ or [^ is a literal, not the end of the class.
      if (pattern[i + 1] === "^") i += 1;
      if (pattern[i + 1] === "]") i += 1;
      afterQuantifier = false;
    } else if (c === "(" && pattern[i + 1] === "?") {
      const problem = groupProblem(pattern.slice(i + 2));
      if (problem) return problem;
      i += 1;
      afterQuantifier = false;
    } else if (c === "+" && afterQuantifier) {
      return "a possessive quantifier (*+, ++, ?+, {n}+)";
    } else if ("*+?".includes(c)) {
      // A ? right after a quantifier makes it lazy (fine); after that a + is an error, not possession.
      afterQuantifier = !(c === "?" && afterQuantifier);
    } else if (c === "{" && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      const end = pattern.indexOf("}", i);
      if (
        pattern
          .slice(i + 1, end)
          .split(",")
          .some((n) => Number(n) > MAX_REPEAT)
      )
        return `a repeat count over ${MAX_REPEAT}`;
      i = end;
      afterQuantifier = true;
    } else {
      afterQuantifier = false;
    }
  }
  return undefined;
}

function groupProblem(afterOpen: string): string | undefined {
  if (afterOpen.startsWith("=") || afterOpen.startsWith("!")) return `a lookahead (?${afterOpen[0]}…)`;
  if (afterOpen.startsWith("<=") || afterOpen.startsWith("<!")) return `a lookbehind (?${afterOpen.slice(0, 2)}…)`;
  if (afterOpen.startsWith(">")) return "an atomic group (?>…)";
  return undefined;
}

function escapeProblem(afterBackslash: string, inClass: boolean): string | undefined {
  const c = afterBackslash[0];
  if (c === undefined || !/[A-Za-z0-9]/.test(c)) return undefined; // \ before punctuation is that character
  // Go reads \1 as a backreference unless another octal digit follows (\12 is octal).
  if (/^[1-9]/.test(afterBackslash) && !/^[1-7][0-7]/.test(afterBackslash)) return `a backreference \\${c}`;
  if (afterBackslash.startsWith("k<")) return "a backreference \\k<…>";
  if (ESCAPES.includes(c) || (!inClass && ESCAPES_OUTSIDE_CLASS.includes(c))) return undefined;
  if (c === "c" || c === "u") return `the escape \\${c}, which only JavaScript knows`;
  return `the escape \\${c}, which RE2 does not know${inClass ? " inside [ ]" : ""}`;
}

/**
 * The pattern as JavaScript's RegExp can check its plain syntax: Go's quoted text \Q…\E becomes
 * escaped characters; its flag groups, (?i) and (?i:…), and (?P<name>…) have no JavaScript
 * equivalent in Node 20, so they become plain groups.
 */
export function asJavaScriptSyntax(pattern: string): string {
  return pattern
    .replace(/\\Q([\s\S]*?)(\\E|$)/g, (_quoted, text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&"))
    .replace(/\(\?([imsU]+(-[imsU]*)?|-[imsU]+)\)/g, "")
    .replace(/\(\?([imsU]+(-[imsU]*)?|-[imsU]+):/g, "(?:")
    .replace(/\(\?P</g, "(?<");
}
