/**
 * Where operator grants live between runs: `<dataDir>/security/grants.db`, SQLite in WAL mode with
 * synchronous=FULL (a grant the operator was told about must not roll back on power loss). Like the
 * audit log it has its own database file, so its writes never wait on the journal's group commit.
 *
 *   grants(id PK, agent, token, exp, granted_at, revoked_at)   one row per granted token: its id (the
 *                                                              last block id), the holder agent, the
 *                                                              encoded token, expiry (NULL = never),
 *                                                              when granted and, once revoked, when
 *   grants_meta(key PK, value)                                 the schema version
 *
 * Rows are read back through a zod schema: a row that does not fit is reported (naming the row and
 * the field) and left in place, never a crash and never deleted. Revocation itself is also in
 * revoked.log (RevocationList, which cascades to delegated tokens); `revoked_at` records it here so
 * the table alone says which grants are void.
 */
import Database from "better-sqlite3";
import { z } from "zod";
import { dirname } from "node:path";
import { AiosError, ownerOnlyDatabase } from "../core/index.js";
import { toStoreError } from "../store/index.js";

export const GRANTS_SCHEMA_VERSION = 1;

export interface GrantRow {
  readonly id: string;
  readonly agent: string;
  readonly token: string;
  /** Epoch ms; undefined for a token that never expires. */
  readonly exp?: number;
  readonly grantedAt: number;
  readonly revokedAt?: number;
}

const RowSchema = z.object({
  id: z.string().min(1).max(128),
  agent: z.string().min(1).max(256),
  token: z.string().min(1),
  exp: z.number().int().nullable(),
  granted_at: z.number().int(),
  revoked_at: z.number().int().nullable(),
});

const SCHEMA_SQL = `
  CREATE TABLE IF NOT EXISTS grants_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY, agent TEXT NOT NULL, token TEXT NOT NULL, exp INTEGER,
    granted_at INTEGER NOT NULL, revoked_at INTEGER) STRICT;
  CREATE TABLE IF NOT EXISTS quota_used (key TEXT PRIMARY KEY, used REAL NOT NULL) STRICT;
`;

export class GrantStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly revoke: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly putUsed: Database.Statement;
  private readonly dropUsed: Database.Statement;

  constructor(readonly path: string) {
    try {
      ownerOnlyDatabase(path);
      this.db = new Database(path, { timeout: 1000 });
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.exec(SCHEMA_SQL);
    } catch (e) {
      throw grantsError(e, `cannot open the grants database ${path}`, path);
    }
    const v = this.db.prepare("SELECT value FROM grants_meta WHERE key = 'schema'").pluck().get() as string | undefined;
    if (v === undefined) this.db.prepare("INSERT INTO grants_meta (key, value) VALUES ('schema', ?)").run(String(GRANTS_SCHEMA_VERSION));
    else if (Number(v) > GRANTS_SCHEMA_VERSION) {
      this.db.close();
      throw new AiosError("E_SCHEMA_VERSION", `grants database ${path}: schema ${v} is newer than this build's ${GRANTS_SCHEMA_VERSION}`);
    }
    this.insert = this.db.prepare("INSERT OR REPLACE INTO grants (id, agent, token, exp, granted_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)");
    this.revoke = this.db.prepare("UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    this.remove = this.db.prepare("DELETE FROM grants WHERE id = ?");
    this.putUsed = this.db.prepare("INSERT INTO quota_used (key, used) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET used = excluded.used");
    // A key range on the primary key: [prefix, the prefix with its last character one higher).
    this.dropUsed = this.db.prepare("DELETE FROM quota_used WHERE key >= ? AND key < ?");
  }

  /** What counted quotas (`max`, `tokens`) have used, by slot key: they survive a restart. */
  quotaUsed(): Map<string, number> {
    const rows = this.db.prepare("SELECT key, used FROM quota_used").all() as { key: string; used: number }[];
    return new Map(rows.map((r) => [r.key, r.used]));
  }

  /** Records new totals in one transaction, committed (synchronous=FULL) before the use goes ahead. */
  saveQuotaUsed(entries: readonly (readonly [string, number])[]): void {
    try {
      this.db.transaction(() => {
        for (const [k, v] of entries) this.putUsed.run(k, v);
      })();
    } catch (e) {
      throw grantsError(e, `cannot record quota use in ${this.path}`, this.path);
    }
  }

  /**
   * Deletes the totals whose key starts with `prefix` (an agent's, once it is gone for good). The
   * prefix ends in an ASCII character (`spec:<agent>/`), so raising it by one bounds exactly the keys
   * that start with it under SQLite's BINARY collation (byte order of UTF-8 is code point order).
   */
  dropQuotaUsed(prefix: string): void {
    const last = prefix.charCodeAt(prefix.length - 1);
    if (prefix === "" || last >= 0x7f) throw new AiosError("E_INVALID_ARG", `quota key prefix ${JSON.stringify(prefix)} must end in an ASCII character`, { details: { path: "prefix" } });
    try {
      this.dropUsed.run(prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1));
    } catch (e) {
      throw grantsError(e, `cannot drop quota rows ${prefix}* in ${this.path}`, this.path);
    }
  }

  /** Every row that parses, and one E_CORRUPT per row that does not (naming the row and field). */
  load(): { rows: GrantRow[]; problems: AiosError[] } {
    const rows: GrantRow[] = [];
    const problems: AiosError[] = [];
    for (const raw of this.db.prepare("SELECT rowid AS row_number, * FROM grants ORDER BY granted_at, id").all()) {
      const r = RowSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        const field = (issue?.path ?? []).map(String).join(".") || "row";
        // Named by its id when that is usable, else by its rowid (an empty or missing id).
        const { id: rawId, row_number: rowNumber } = (raw ?? {}) as { id?: unknown; row_number?: unknown };
        const id = typeof rawId === "string" && rawId !== "" ? rawId : `rowid ${String(rowNumber)}`;
        problems.push(corrupt(this.path, id, field, issue?.message ?? "does not fit the schema"));
        continue;
      }
      const d = r.data;
      rows.push({
        id: d.id, agent: d.agent, token: d.token, grantedAt: d.granted_at,
        ...(d.exp === null ? {} : { exp: d.exp }),
        ...(d.revoked_at === null ? {} : { revokedAt: d.revoked_at }),
      });
    }
    return { rows, problems };
  }

  /** Stores a grant before it is acknowledged; a failed write fails the grant (E_STORAGE). */
  save(row: Omit<GrantRow, "revokedAt">): void {
    this.write(() => this.insert.run(row.id, row.agent, row.token, row.exp ?? null, row.grantedAt), `store grant ${row.id}`);
  }

  /** Marks grants revoked (ids of tokens already known void). */
  markRevoked(ids: readonly string[], at: number): void {
    if (ids.length === 0) return;
    this.write(() => this.db.transaction(() => { for (const id of ids) this.revoke.run(at, id); })(), `mark ${ids.length} grant(s) revoked`);
  }

  /** Deletes rows that can never grant anything again (expired). */
  delete(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.write(() => this.db.transaction(() => { for (const id of ids) this.remove.run(id); })(), `delete ${ids.length} expired grant(s)`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private write(fn: () => unknown, what: string): void {
    try {
      fn();
    } catch (e) {
      throw grantsError(e, `grants database ${this.path}: cannot ${what}`, this.path);
    }
  }
}

/** A full disk is E_STORAGE_FULL (retryable), a damaged file E_CORRUPT, anything else E_STORAGE; each names the file. */
function grantsError(e: unknown, what: string, path: string): AiosError {
  const mapped = toStoreError(e, what, dirname(path));
  return new AiosError(mapped.code, mapped.message, { cause: e, retryable: mapped.retryable, details: { ...mapped.details, path } });
}

/** A stored grant that cannot be used: names the database, the row and the field. */
export function corrupt(path: string, id: string, field: string, why: string, cause?: unknown): AiosError {
  return new AiosError("E_CORRUPT", `grants database ${path}: grant ${id}: ${field}: ${why}; the row is kept and ignored`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path: field, grant: id, file: path },
  });
}
