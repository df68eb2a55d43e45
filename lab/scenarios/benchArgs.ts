/** `npm run bench`'s flags (pure: tests/benchFigures.test.ts). */

export interface BenchArgs {
  rounds: number;
  stack: string;
  /** Where every figure and the raw recordings go. */
  json?: string;
  /** Where the pictures go; default next to the JSON, none without either. */
  svgDir?: string;
  /** The sub-second setting's advert interval (VRRPv3), in seconds. */
  advertInt: number;
  /** The flap run: minutes (0 skips it) and its advert interval (default: the sub-second setting's). */
  flapMinutes: number;
  flapAdvertInt: number;
  /** The CLB stack whose zone figures go beside a HAVIP stack's (its lab replaces the HAVIP's); none: --clb-stack none. */
  clbStack?: string;
}

export const BENCH_USAGE =
  "usage: npm run bench -- [--rounds 3] [--stack lab] [--json FILE] [--svg-dir DIR] [--advert-int 0.3] [--flap-minutes 10] [--flap-advert-int X] [--clb-stack clb|none]";

export function parseBenchArgs(argv: string[]): BenchArgs {
  const known = ["--rounds", "--stack", "--json", "--svg-dir", "--advert-int", "--flap-minutes", "--flap-advert-int", "--clb-stack"];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.includes(argv[i]) || argv[i + 1] === undefined)
      throw new Error(`${argv[i]}${argv[i + 1] === undefined ? " needs a value" : " is not a flag of the bench"}\n${BENCH_USAGE}`);
    values.set(argv[i], argv[i + 1]);
  }
  const number = (flag: string, fallback: number, ok: (n: number) => boolean, what: string) => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!ok(n)) throw new Error(`${flag} ${text}: must be ${what}\n${BENCH_USAGE}`);
    return n;
  };
  const advertInt = number("--advert-int", 0.3, (n) => n > 0, "a positive number of seconds");
  return {
    rounds: number("--rounds", 3, (n) => Number.isInteger(n) && n >= 1, "a whole number, 1 or more"),
    stack: values.get("--stack") ?? "lab",
    json: values.get("--json"),
    svgDir: values.get("--svg-dir"),
    advertInt,
    flapMinutes: number("--flap-minutes", 10, (n) => Number.isInteger(n) && n >= 0, "a whole number of minutes, 0 to skip"),
    flapAdvertInt: number("--flap-advert-int", advertInt, (n) => n > 0, "a positive number of seconds"),
    clbStack: values.get("--clb-stack") === "none" ? undefined : (values.get("--clb-stack") ?? "clb"),
  };
}
