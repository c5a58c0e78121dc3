/**
 * The PostgreSQL StorageDriver: the journal (and its meta) as tables in one schema of a PostgreSQL
 * database, for nodes that keep durable state off the machine (DESIGN "Where the state lives").
 * It passes the same contract suite as the SQLite driver (tests/store/driver-contract.ts).
 *
 * Acknowledged means committed in PostgreSQL with synchronous_commit=on (set on every connection,
 * pg-pool.ts): `write` resolves only after the batch's single statement committed (pg-write.ts).
 * One owner per store through an advisory lock (pg-lock.ts); a driver that lost its lock (its
 * connection dropped) writes again only after retaking it and finding the owner epoch unchanged, so
 * no other process opened the store meanwhile — otherwise every write is refused until a reopen,
 * whose recovery reads what the other writer left.
 *
 * `replaceAll` (an accepted loss) renames the damaged tables aside — never reading them — and
 * creates fresh ones like them, in one transaction; `store_asides` records where they went.
 */
import type pg from "pg";
import { AiosError } from "../core/index.js";
import type { JournalBounds, JournalRow, StorageDriver, WriteBatch } from "./driver.js";
import { commitOutcomeUnknown, isConnectionError, toPgStoreError } from "./pg-errors.js";
import { PgStoreLock } from "./pg-lock.js";
import { migratePg, PG_MIGRATIONS, type PgMigration } from "./pg-migrations.js";
import { checkSchemaName, createPgPool, defaultApplicationName, redactUrl, type PgPoolOptions } from "./pg-pool.js";
import { batchCommitted, settleBackend, WRITE_SQL, writeParams } from "./pg-write.js";

export interface PgDriverOptions extends PgPoolOptions {
  /** Migrations to apply (tests pass a longer list to simulate a newer build). */
  readonly migrations?: readonly PgMigration[];
}

/** The server process of a connection (from its BackendKeyData; node-postgres keeps it untyped). */
function backendPid(client: pg.PoolClient): number | undefined {
  return "processID" in client && typeof client.processID === "number" ? client.processID : undefined;
}

const READ_SQL = "SELECT seq, kind, body, crc FROM journal WHERE seq >= $1 ORDER BY seq LIMIT $2";

export class PgDriver implements StorageDriver {
  readonly name = "postgres";
  /** Set when a write's outcome could not be settled, or another process took the store: refuse writes. */
  private refusal: AiosError | undefined;
  private closed = false;

  private constructor(
    readonly location: string,
    readonly schemaVersion: number,
    readonly schema: string,
    private readonly pool: pg.Pool,
    private readonly lock: PgStoreLock,
    private epoch: number,
  ) {}

  /** Connects, takes the store lock, migrates the schema and bumps the owner epoch. */
  static async open(options: PgDriverOptions): Promise<PgDriver> {
    const schema = checkSchemaName(options.schema ?? "aios");
    const location = `${redactUrl(options.url)}#${schema}`;
    const lock = await PgStoreLock.acquire(options, schema, location);
    const pool = createPgPool({ ...options, schema });
    try {
      const client = await pool.connect();
      try {
        const version = await migratePg(client, schema, location, options.migrations ?? PG_MIGRATIONS);
        const r = await client.query<{ epoch: string }>(
          `INSERT INTO store_owner (id, epoch, holder) VALUES (1, 1, $1)
           ON CONFLICT (id) DO UPDATE SET epoch = store_owner.epoch + 1, holder = excluded.holder, taken_at = now()
           RETURNING epoch`,
          [options.applicationName ?? defaultApplicationName()],
        );
        return new PgDriver(location, version, schema, pool, lock, Number(r.rows[0]?.epoch));
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      await lock.release();
      throw toPgStoreError(e, `opening the store ${location}`, location);
    }
  }

  /** The pool's connections' durability setting (tests, `aios status`). */
  async settings(): Promise<{ synchronous_commit: string; fsync: string }> {
    const r = await this.pool.query<{ s: string; f: string }>("SELECT current_setting('synchronous_commit') AS s, current_setting('fsync') AS f");
    return { synchronous_commit: r.rows[0]?.s ?? "", fsync: r.rows[0]?.f ?? "" };
  }

  private live(): void {
    if (this.closed) throw new AiosError("E_STORAGE", `the store ${this.location} is closed`);
  }

  /** Before a write: the store must still be ours (see header). */
  private async owned(): Promise<void> {
    if (this.refusal !== undefined) throw this.refusal;
    if (!this.lock.lost) return;
    try {
      await this.lock.regain();
      const r = await this.pool.query<{ epoch: string }>("SELECT epoch FROM store_owner WHERE id = 1");
      const now = Number(r.rows[0]?.epoch);
      if (now !== this.epoch) {
        this.refusal = new AiosError("E_CONFLICT", `another AIOS opened ${this.location} while this one's lock was lost (owner epoch ${this.epoch} -> ${now}); restart to recover from what it wrote`, {
          retryable: false,
          details: { location: this.location, epoch: this.epoch, found: now },
        });
        await this.lock.release();
        throw this.refusal;
      }
    } catch (e) {
      throw toPgStoreError(e, "retaking the store lock", this.location);
    }
  }

  async write(batch: WriteBatch): Promise<void> {
    this.live();
    await this.owned();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw toPgStoreError(e, "connecting to write the journal", this.location);
    }
    const pid = backendPid(client);
    try {
      await client.query({ name: "aios-journal-write", text: WRITE_SQL, values: writeParams(batch) });
      client.release();
    } catch (e) {
      const broken = isConnectionError(e);
      client.release(broken ? (e as Error) : undefined);
      if (broken && commitOutcomeUnknown(e) && pid !== undefined) return this.settle(batch, pid, e);
      throw toPgStoreError(e, "writing to the journal", this.location);
    }
  }

  /** A write whose connection failed mid-flight: find out whether it committed (pg-write.ts). */
  private async settle(batch: WriteBatch, pid: number, cause: unknown): Promise<void> {
    let committed: boolean;
    try {
      await settleBackend(this.pool, pid);
      committed = await batchCommitted(this.pool, batch);
    } catch (e) {
      // Cannot tell now: writing on could reuse seqs a committed batch holds. Refuse until reopened.
      this.refusal = new AiosError("E_STORAGE", `a journal write to ${this.location} may or may not have committed and PostgreSQL cannot be asked; reopen the store to recover`, {
        cause: e,
        details: { location: this.location, connection: true },
      });
      throw this.refusal;
    }
    if (!committed) throw toPgStoreError(cause, "writing to the journal (not committed)", this.location);
  }

  async read(fromSeq: number, limit: number): Promise<JournalRow[]> {
    this.live();
    try {
      const r = await this.pool.query<[string, string, string, string]>({ name: "aios-journal-read", text: READ_SQL, values: [fromSeq, limit], rowMode: "array" });
      return r.rows.map(([seq, kind, body, crc]) => ({ seq: Number(seq), kind, body, crc: Number(crc) }));
    } catch (e) {
      throw toPgStoreError(e, `reading the journal from seq ${fromSeq}`, this.location);
    }
  }

  async bounds(): Promise<JournalBounds> {
    this.live();
    try {
      const r = await this.pool.query<{ first: string | null; last: string | null; count: string }>("SELECT min(seq) AS first, max(seq) AS last, count(*) AS count FROM journal");
      const b = r.rows[0];
      return { first: b?.first == null ? null : Number(b.first), last: b?.last == null ? null : Number(b.last), count: Number(b?.count ?? 0) };
    } catch (e) {
      throw toPgStoreError(e, "reading the journal bounds", this.location);
    }
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.live();
    try {
      const r = await this.pool.query<{ value: string }>("SELECT value FROM meta WHERE key = $1", [key]);
      return r.rows[0]?.value;
    } catch (e) {
      throw toPgStoreError(e, `reading meta ${key}`, this.location);
    }
  }

  async replaceAll(rows: readonly JournalRow[], meta: Readonly<Record<string, string>>, aside: string): Promise<void> {
    this.live();
    await this.owned();
    const client = await this.pool.connect().catch((e: unknown) => {
      throw toPgStoreError(e, "connecting to replace the journal", this.location);
    });
    try {
      await client.query("BEGIN");
      const n = await client.query<{ n: string }>("SELECT count(*) AS n FROM store_asides");
      const k = Number(n.rows[0]?.n ?? 0) + 1;
      const [j, m] = [`journal_aside_${k}`, `meta_aside_${k}`];
      // Renaming reads no row of the damaged tables; LIKE ... INCLUDING ALL copies their definition.
      await client.query(`ALTER TABLE journal RENAME TO ${j}`);
      await client.query(`ALTER TABLE meta RENAME TO ${m}`);
      await client.query(`CREATE TABLE journal (LIKE ${j} INCLUDING ALL)`);
      await client.query(`CREATE TABLE meta (LIKE ${m} INCLUDING ALL)`);
      await client.query(WRITE_SQL, writeParams({ append: rows, meta }));
      await client.query("INSERT INTO store_asides (journal_table, meta_table, aside) VALUES ($1, $2, $3)", [j, m, aside]);
      await client.query("COMMIT");
      client.release();
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(isConnectionError(e) ? (e as Error) : undefined);
      throw toPgStoreError(e, `replacing the damaged journal in ${this.location}`, this.location);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool.end();
    } finally {
      await this.lock.release();
    }
  }
}
