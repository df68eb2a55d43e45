import { TABLE_PRIVILEGES } from "../config/checks";
import { IamHaConfig, NodeConfig } from "../config/types";
import { rejecting, renderTemplate } from "./mustache";

/** The MariaDB account of one peer node: made on the database node, dropped on destroy. */
export interface PeerGrant {
  peer: NodeConfig;
  user: string;
  /** The account's host part: the peer's private IP. */
  host: string;
  /** Idempotent: creates the account if missing, sets its password and privileges. Holds the password. */
  grantSql: string;
  dropSql: string;
}

/** Names, hosts and privilege lists are validated plain words; anything else is a bug. */
const sqlWord = rejecting("SQL", /[^A-Za-z0-9_., -]/);

/** A MariaDB string literal (default sql_mode, which the grant sets for its session). */
export function sqlString(value: string): string {
  const escaped = value.replace(/[\\'"\0\n\r\x1a]/g, (c) => ({ "\0": "\\0", "\n": "\\n", "\r": "\\r", "\x1a": "\\Z" })[c] ?? `\\${c}`);
  return `'${escaped}'`;
}

/**
 * The database as GRANT and REVOKE name it: a database-level grant reads _ and % as wildcards
 * (MariaDB's GRANT documentation), so each is escaped with a backslash to match only itself.
 */
export function grantDatabasePattern(name: string): string {
  return sqlWord(name).replace(/[_%]/g, (c) => `\\${c}`);
}

/** One grant per node other than the database node, at that node's address (the article's iam@10.0.4.21). */
export function renderGrants(config: IamHaConfig): PeerGrant[] {
  const { database } = config;
  const all = database.privileges.includes("ALL");
  const privileges = all ? "ALL PRIVILEGES" : database.privileges.join(", ");
  const revoke = all ? "" : TABLE_PRIVILEGES.filter((p) => !database.privileges.includes(p)).join(", ");
  return config.nodes
    .filter((n) => n.name !== database.node)
    .map((peer) => {
      const view = {
        user: database.user,
        host: peer.privateIp,
        peer: peer.name,
        database: database.name,
        grantDatabase: grantDatabasePattern(database.name),
        privileges,
        revoke,
        passwordLiteral: sqlString(config.secrets.dbPassword),
      };
      return {
        peer,
        user: database.user,
        host: peer.privateIp,
        grantSql: renderTemplate("grant.sql.mustache", view, sqlWord),
        dropSql: renderTemplate("drop-user.sql.mustache", view, sqlWord),
      };
    });
}
