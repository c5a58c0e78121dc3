/**
 * The embedded StorageDriver: one SQLite file `aios.db` in the data directory, via better-sqlite3.
 *
 * WAL + synchronous=FULL: every committed transaction is fsynced before `write` resolves (NORMAL may
 * roll back an acknowledged commit on power loss). The data directory is owned by one process (see
 * dir-lock.ts). A `store.json` marker records that a store was created here, so a data directory
 * whose database file vanished is refused instead of silently starting empty.
 *
 * Commits run on a writer thread (ADR 0037, sqlite-writer.ts) that owns the write connection:
 * better-sqlite3 is synchronous, and on the main thread every commit's fsync stalled the event loop.
 * Reads (recovery's scan, meta, bounds) stay on this connection on the main thread: WAL lets them run
 * beside the writer, and a read started after a `write` resolved sees that write (each read is its
 * own read transaction; the thread answers only after COMMIT). The only readers are recovery at
 * open and callers of this contract, so read-your-writes needs nothing more.
 *
 * Bodies stay TEXT (JSON), not BLOB: measured with better-sqlite3 12, binding a Buffer per row and
 * reading a Buffer back (then decoding it for JSON.parse) cost more CPU per record than binding and
 * reading the string, and the CRC is the same either way (node's crc32 hashes a string's UTF-8).
 */
import type Database from "better-sqlite3";
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AiosError, isAiosError, ownerOnlyDir } from "../core/index.js";
import type { JournalBounds, JournalRow, StorageDriver, WriteBatch, WriteOptions } from "./driver.js";
import { acquireDirLock, type DirLock } from "./dir-lock.js";
import { migrate, type Migration, MIGRATIONS } from "./migrations.js";
import { toStoreError } from "./sqlite-errors.js";
import { openDb, prepareWrite, shrink } from "./sqlite-open.js";
import { fsyncDir, repairTruncation } from "./sqlite-repair.js";
import { SqliteWriter } from "./sqlite-writer.js";

/**
 * Where commits run: "thread" (default) on the store's writer thread (sqlite-writer.ts), so the
 * main thread's event loop keeps running during every fsync; "inline" on the main thread, as
 * before ADR 0037 (one thread fewer; kept for A/B measurement and for tools that open a store
 * for one write).
 */
export type SqliteWriterMode = "thread" | "inline";

export interface SqliteDriverOptions {
  /** Migrations to apply (tests pass a longer list to simulate a newer build). */
  readonly migrations?: readonly Migration[];
  readonly writer?: SqliteWriterMode;
}

/**
 * The default writer mode: "thread", unless AIOS_SQLITE_WRITER says otherwise (an operator's switch
 * back to inline commits without a config change, and how the benches pair the two modes in one run).
 */
function writerFromEnv(env: NodeJS.ProcessEnv = process.env): SqliteWriterMode {
  const v = env["AIOS_SQLITE_WRITER"];
  if (v === undefined || v === "" || v === "thread") return "thread";
  if (v === "inline") return "inline";
  throw new AiosError("E_CONFIG", `AIOS_SQLITE_WRITER must be "thread" or "inline", not ${JSON.stringify(v)}`, { details: { field: "AIOS_SQLITE_WRITER" } });
}

const DB_FILE = "aios.db";
const MARKER = "store.json";

export class SqliteDriver implements StorageDriver {
  readonly name = "sqlite";
  readonly location: string;
  readonly schemaVersion: number;
  private db: Database.Database;
  private stmts: ReturnType<SqliteDriver["prepare"]>;
  private readonly lock: DirLock;
  private closed = false;
  /** The thread that commits (writer mode "thread"); undefined inline or while replaceAll swaps files. */
  private writer: SqliteWriter | undefined;
  /** @internal (tests, benches): commits made on this thread and on the writer thread since open. */
  readonly commits = { here: 0, thread: 0 };
  /** Set when the file was found cut short and its header repaired: the untouched copy. */
  repairedFrom: string | undefined;

  private constructor(
    private readonly dir: string,
    lock: DirLock,
    private readonly migrations: readonly Migration[],
    private readonly mode: SqliteWriterMode,
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
    const mode = options.writer ?? writerFromEnv();
    ownerOnlyDir(dir);
    const lock = acquireDirLock(dir);
    return new SqliteDriver(dir, lock, options.migrations ?? MIGRATIONS, mode);
  }

  /**
   * Starts the writer thread at the first write (a store opened only to be read — `aios status`,
   * a test inspecting a dead child's journal — never starts one). It opens its own connection;
   * writes go to it once it is up.
   */
  private startWriter(): void {
    if (this.mode === "thread" && this.writer === undefined && !this.closed) this.writer = new SqliteWriter(this.location, this.dir);
  }

  /** Closes the writer thread's connection after the writes already posted to it. */
  private async stopWriter(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.close();
  }

  private prepare() {
    const db = this.db;
    return {
      write: prepareWrite(db),
      // raw(): arrays instead of objects halve the cost of a recovery scan.
      read: db.prepare<[number, number], [number, string, string, number]>("SELECT seq, kind, body, crc FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?").raw(true),
      bounds: db.prepare<[], { first: number | null; last: number | null; count: number }>(
        "SELECT min(seq) AS first, max(seq) AS last, count(*) AS count FROM journal",
      ),
      getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    };
  }

  /** The durability settings of the connection that commits (synchronous: 2 = FULL). */
  pragmas(): { journal_mode: unknown; synchronous: unknown } {
    const w = this.writer;
    if (w?.ready === true && w.pragmas !== undefined) return w.pragmas;
    return { journal_mode: this.db.pragma("journal_mode", { simple: true }), synchronous: this.db.pragma("synchronous", { simple: true }) };
  }

  private live(): void {
    if (this.closed) throw new AiosError("E_STORAGE", `the store ${this.location} is closed`);
  }

  /**
   * Durable when it resolves. With the writer thread up, the commit runs there and the main thread
   * goes on meanwhile; until it has opened its connection (a few ms after open) writes commit
   * inline, which keeps boot from waiting for a thread. Writes never overlap the switch: an inline
   * write is finished when it returns, and once the thread is up every write goes to it, in order.
   * `here` (ADR 0072: nothing else waits to run on this thread) commits inline too, unless a write
   * is still in flight on the thread (it would be reordered): the thread's hand-off and its two
   * wake-ups are then the commit's only extra cost, and blocking this thread costs no one.
   */
  write(batch: WriteBatch, options?: WriteOptions): Promise<void> {
    if (this.writer === undefined) this.startWriter();
    const w = this.writer;
    if (w !== undefined && !this.closed) {
      if (w.ready && (options?.here !== true || w.busy)) {
        this.commits.thread++;
        return w.write(batch);
      }
      const dead = w.failure;
      if (dead !== undefined) return Promise.reject(dead);
    }
    try {
      this.writeSync(batch);
      this.commits.here++;
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : toStoreError(e, "writing to the journal", this.dir));
    }
  }

  /** The synchronous form (on this connection, whatever the writer mode); atomic and durable on return. */
  writeSync(batch: WriteBatch): void {
    this.live();
    try {
      this.stmts.write(batch);
    } catch (e) {
      throw toStoreError(e, "writing to the journal", this.dir);
    }
    if (batch.deleteBelow !== undefined && batch.reclaim !== false) shrink(this.db);
  }

  /** Whether commits currently run on the writer thread (false before it is up, or in inline mode). */
  get threaded(): boolean {
    return this.writer?.ready === true;
  }

  /**
   * Starts the writer thread if it is not running and resolves true once it takes the writes
   * (false in inline mode, or if it failed). Tests and benches use it to measure the thread, not
   * the inline start-up writes.
   */
  async whenThreaded(): Promise<boolean> {
    this.startWriter();
    return (await this.writer?.opened) === true && this.threaded;
  }

  /** @internal (tests): the writer thread, to kill it as a crash would. */
  get writerThread(): SqliteWriter | undefined {
    return this.writer;
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
    // No connection may stay on the damaged file: the writer thread closes first.
    await this.stopWriter();
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
      // The writer first: it finishes the writes already posted; the last connection to close
      // (this one) checkpoints the WAL into the file.
      await this.stopWriter();
      this.db.close();
    } finally {
      this.lock.release();
    }
  }
}
