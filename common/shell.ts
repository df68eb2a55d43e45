/** The one quoter for POSIX shells: the lab's and the verifier's remote commands and their messages. */

/** One word in single quotes, safe for any content (a ' becomes '\''). */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words joined for a shell, quoting only those that need it: what was typed stays readable. */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : shQuote(w))).join(" ");
}
