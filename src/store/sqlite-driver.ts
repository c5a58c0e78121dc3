/**
 * The embedded StorageDriver: one SQLite file `aios.db` in the data directory, via better-sqlite3.
 *
 * WAL + synchronous=FULL: every committed transaction is fsynced before `write` resolves (NORMAL may
 * roll back an acknowledged commit on power loss). The data directory is owned by one process (see
 * dir-lock.ts). A `store.json` marker records that a store was created here, so a data directory
 * whose database file vanished is refused instead of silently starting empty.
 *
 * better-sqlite3 is synchronous; the async methods satisfy the driver contract (a network driver
 * needs them) and cost one resolved promise.
 *
 * Bodies stay TEXT (JSON), not BLOB: measured with better-sqlite3 12, binding a Buffer per row and
 * reading a Buffer back (then decoding it for JSON.parse) cost more CPU per record than binding and
 * reading the string, and the CRC is the same either way (node's crc32 hashes a string's UTF-8).
 */
import Database from "better-sqlite3";
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AiosError, isAiosError, ownerOnlyDatabase, ownerOnlyDir } from "../core/index.js";
import type { JournalBounds, JournalRow, StorageDriver, WriteBatch } from "./driver.js";
import { acquireDirLock, type DirLock } from "./dir-lock.js";
import { migrate, type Migration, MIGRATIONS } from "./migrations.js";
import { toStoreError } from "./sqlite-errors.js";
import { fsyncDir, repairTruncation } from "./sqlite-repair.js";

export interface SqliteDriverOptions {
  /** Migrations to apply (tests pass a longer list to simulate a newer build). */
  readonly migrations?: readonly Migration[];
}

const DB_FILE = "aios.db";
/** Rows per multi-row INSERT (400 bound parameters, far below SQLite's limit of 32,766). */
const MULTI_ROWS = 100;
const MARKER = "store.json";
/** Bytes a reset WAL is truncated to (journal_size_limit). */
const WAL_LIMIT = 16 * 1024 * 1024;

function openDb(file: string, dir: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    const fresh = !existsSync(file);
    ownerOnlyDatabase(file);
    db = new Database(file);
    // Takes effect only on a file with no tables yet (a new store); older files get it from the
    // VACUUM of migration v3. Pages freed by compaction then go back to the file system.
    if (fresh) db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    // A checkpoint that resets the WAL truncates it to this size, so one burst does not leave a
    // WAL of its own size behind for ever.
    db.pragma(`journal_size_limit = ${WAL_LIMIT}`);
    // Reading the schema forces SQLite to parse page 1 now, so a damaged header fails here.
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (e) {
    db?.close();
    throw toStoreError(e, `opening ${file}`, dir);
  }
}

export class SqliteDriver implements StorageDriver {
  readonly name = "sqlite";
  readonly location: string;
  readonly schemaVersion: number;
  private db: Database.Database;
  private stmts: ReturnType<SqliteDriver["prepare"]>;
  private readonly lock: DirLock;
  private closed = false;
  /** Set when the file was found cut short and its header repaired: the untouched copy. */
  repairedFrom: string | undefined;

  private constructor(
    private readonly dir: string,
    lock: DirLock,
    private readonly migrations: readonly Migration[],
  ) {
    this.lock = lock;
    this.location = join(dir, DB_FILE);
    try {
      if (!existsSync(this.location) && existsSync(join(dir, MARKER))) {
        throw new AiosError("E_CORRUPT", `${dir} held a store (${MARKER} exists) but ${DB_FILE} is missing; refusing to start empty`, {
          details: { dataDir: dir },
        });
      }
      try {
        this.db = openDb(this.location, dir);
      } catch (e) {
        const copy = isAiosError(e, "E_CORRUPT") && existsSync(this.location) ? repairTruncation(this.location) : undefined;
        if (copy === undefined) throw e;
        this.repairedFrom = copy;
        this.db = openDb(this.location, dir);
      }
      this.schemaVersion = migrate(this.db, this.location, migrations);
      if (!existsSync(join(dir, MARKER))) writeFileSync(join(dir, MARKER), JSON.stringify({ driver: "sqlite", file: DB_FILE }) + "\n", { mode: 0o600 });
      this.stmts = this.prepare();
    } catch (e) {
      lock.release();
      throw toStoreError(e, `opening the store in ${dir}`, dir);
    }
  }

  /** Opens (creating if needed) the store in `dir`; takes the directory lock. */
  static open(dir: string, options: SqliteDriverOptions = {}): SqliteDriver {
    ownerOnlyDir(dir);
    const lock = acquireDirLock(dir);
    return new SqliteDriver(dir, lock, options.migrations ?? MIGRATIONS);
  }

  private prepare() {
    const db = this.db;
    const insert = db.prepare("INSERT INTO journal (seq, kind, body, crc) VALUES (?, ?, ?, ?)");
    // One statement step per MULTI_ROWS rows: each step and each run() call costs about as much as
    // binding a whole row, so a multi-row INSERT roughly halves the per-row CPU of a batch.
    const insertMany = db.prepare(`INSERT INTO journal (seq, kind, body, crc) VALUES ${Array(MULTI_ROWS).fill("(?, ?, ?, ?)").join(", ")}`);
    const params: unknown[] = new Array<unknown>(MULTI_ROWS * 4);
    const del = db.prepare("DELETE FROM journal WHERE seq < ?");
    const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    return {
      write: db.transaction((b: WriteBatch) => {
        const rows = b.append ?? [];
        let i = 0;
        for (; i + MULTI_ROWS <= rows.length; i += MULTI_ROWS) {
          for (let k = 0, p = 0; k < MULTI_ROWS; k++) {
            const r = rows[i + k] as JournalRow;
            params[p++] = r.seq;
            params[p++] = r.kind;
            params[p++] = r.body;
            params[p++] = r.crc;
          }
          insertMany.run(params);
        }
        for (; i < rows.length; i++) {
          const r = rows[i] as JournalRow;
          insert.run(r.seq, r.kind, r.body, r.crc);
        }
        if (b.deleteBelow !== undefined) del.run(b.deleteBelow);
        for (const [k, v] of Object.entries(b.meta ?? {})) setMeta.run(k, v);
      }),
      // raw(): arrays instead of objects halve the cost of a recovery scan.
      read: db.prepare<[number, number], [number, string, string, number]>("SELECT seq, kind, body, crc FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?").raw(true),
      bounds: db.prepare<[], { first: number | null; last: number | null; count: number }>(
        "SELECT min(seq) AS first, max(seq) AS last, count(*) AS count FROM journal",
      ),
      getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    };
  }

  /** The durability settings of this connection (synchronous: 2 = FULL). */
  pragmas(): { journal_mode: unknown; synchronous: unknown } {
    return { journal_mode: this.db.pragma("journal_mode", { simple: true }), synchronous: this.db.pragma("synchronous", { simple: true }) };
  }

  private live(): void {
    if (this.closed) throw new AiosError("E_STORAGE", `the store ${this.location} is closed`);
  }

  async write(batch: WriteBatch): Promise<void> {
    this.writeSync(batch);
  }

  /** The synchronous form (embedded drivers only); atomic and durable on return. */
  writeSync(batch: WriteBatch): void {
    this.live();
    try {
      this.stmts.write(batch);
    } catch (e) {
      throw toStoreError(e, "writing to the journal", this.dir);
    }
    if (batch.deleteBelow !== undefined) this.shrink();
  }

  /**
   * After a compaction: return the freed pages to the file system (incremental vacuum) and fold the
   * WAL into the file and truncate it. The compaction itself is already durable, so a failure here
   * (e.g. a reader holding the WAL) costs only space and is retried at the next compaction.
   */
  private shrink(): void {
    try {
      this.db.pragma("incremental_vacuum");
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      /* space only: nothing acknowledged depends on it */
    }
  }

  /** Bytes the store occupies on disk: the database file, its WAL and its shared-memory index. */
  diskBytes(): number {
    let n = 0;
    for (const suffix of ["", "-wal", "-shm"]) {
      try {
        n += statSync(this.location + suffix).size;
      } catch {
        /* absent */
      }
    }
    return n;
  }

  async read(fromSeq: number, limit: number): Promise<JournalRow[]> {
    this.live();
    try {
      return this.stmts.read.all(fromSeq, limit).map(([seq, kind, body, crc]) => ({ seq, kind, body, crc }));
    } catch (e) {
      throw toStoreError(e, `reading the journal from seq ${fromSeq}`, this.dir);
    }
  }

  async bounds(): Promise<JournalBounds> {
    this.live();
    try {
      const b = this.stmts.bounds.get();
      return { first: b?.first ?? null, last: b?.last ?? null, count: b?.count ?? 0 };
    } catch (e) {
      throw toStoreError(e, "reading the journal bounds", this.dir);
    }
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.live();
    try {
      return this.stmts.getMeta.get(key)?.value;
    } catch (e) {
      throw toStoreError(e, `reading meta ${key}`, this.dir);
    }
  }

  async replaceAll(rows: readonly JournalRow[], meta: Readonly<Record<string, string>>, aside: string): Promise<void> {
    this.live();
    const fresh = `${this.location}.salvage`;
    this.db.close();
    // Build the new store beside the damaged one and swap it in by rename, so a crash during the
    // swap leaves either the damaged store or (db missing, marker present) a refusal — never a
    // silently shortened journal. The damaged file is never read again.
    for (const suffix of ["", "-wal", "-shm"]) rmSync(fresh + suffix, { force: true });
    try {
      const target = openDb(fresh, this.dir);
      try {
        migrate(target, fresh, this.migrations);
        const write = target.prepare("INSERT INTO journal (seq, kind, body, crc) VALUES (?, ?, ?, ?)");
        const setMeta = target.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
        target.transaction(() => {
          for (const r of rows) write.run(r.seq, r.kind, r.body, r.crc);
          for (const [k, v] of Object.entries(meta)) setMeta.run(k, v);
        })();
      } finally {
        target.close(); // checkpoints its WAL into the file
      }
      // The WAL belongs to its database file: move both, or the fresh file would adopt the old WAL.
      for (const suffix of ["", "-wal", "-shm"]) {
        if (existsSync(this.location + suffix)) renameSync(this.location + suffix, aside + suffix);
      }
      renameSync(fresh, this.location);
      fsyncDir(this.dir);
    } catch (e) {
      throw toStoreError(e, `replacing the damaged journal ${this.location} (kept at ${aside})`, this.dir);
    } finally {
      // Never let a failed swap reopen as a new, empty database: stay closed and refuse instead.
      if (existsSync(this.location)) {
        this.db = openDb(this.location, this.dir);
        this.stmts = this.prepare();
      } else {
        this.closed = true;
        this.lock.release();
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.lock.release();
    }
  }
}
