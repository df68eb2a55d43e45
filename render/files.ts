/** A file iam-ha writes on a node. */
export interface RenderedFile {
  path: string;
  /** Octal mode, e.g. "0644". */
  mode: string;
  content: string;
  /** Whether the content holds a secret (then it only travels inside secret Outputs). */
  secret: boolean;
}
