import { DbLogin } from "./checks";
import { unreachable } from "./nodeProbe";
import { RunResult } from "./process";
import { shQuote } from "./shell";

/**
 * The MariaDB login check, the same from the verifier and the lab: a peer logs in to the database
 * node as the configured user. The password travels on the client's stdin as an options file,
 * never on a command line.
 */

/** The login options for the MariaDB client's stdin. */
export function mariadbLoginOptions(user: string, password: string): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, "\\$&")}"`;
  return `[client]\nuser=${quote(user)}\npassword=${quote(password)}\n`;
}

/**
 * The remote command that logs in and prints the account MariaDB matched (user@host). `cat |`
 * makes the client's stdin a pipe: sshd may hand the command a socket, which /dev/stdin cannot open.
 */
function mariadbLoginCommand(dbHost: string, dbName: string): string {
  return `cat | mariadb --defaults-extra-file=/dev/stdin -h ${dbHost} ${shQuote(dbName)} -N -e 'SELECT CURRENT_USER()'`;
}

/** What the login check needs: the database node's address, the database and the account. */
export interface DbLoginTarget {
  host: string;
  name: string;
  user: string;
  password: string;
}

/** Each peer logs in to the database node; `runOn` runs a command with stdin on a peer (SSH, or the lab's). */
export function mariadbLogins<Peer extends { name: string }>(
  db: DbLoginTarget,
  peers: Peer[],
  runOn: (peer: Peer, command: string, stdin: string) => Promise<RunResult>,
): Promise<DbLogin[]> {
  const command = mariadbLoginCommand(db.host, db.name);
  return Promise.all(
    peers.map(async (peer) => {
      const r = await runOn(peer, command, mariadbLoginOptions(db.user, db.password));
      const ok = r.code === 0;
      const detail = ok ? `logged in as ${r.stdout.trim()}` : `${unreachable(r) ? "unreachable over SSH: " : ""}${r.stderr.trim() || `exit ${r.code}`}`;
      return { peer: peer.name, ok, detail };
    }),
  );
}
