/**
 * The SQLite driver of MemoryStorage (better-sqlite3, its own file `<dataDir>/memory.db`, WAL).
 * synchronous=FULL: an acknowledged memory write must survive power loss (DESIGN "durable by
 * default"); batching many records into one `write` keeps that affordable. Full-text search is an
 * FTS5 table keyed by the catalog's rowid (contentless: the text is derived from content, so it is
 * not stored twice).
 *
 * Write cost (issue #6 item 11): one transaction per `write` with statements prepared once; new
 * rows append to integer keys (records by catalog rowid, versions by their own rowid, and versions'
 * (record rowid, hash prefix) index), so a batch dirties few pages besides the ones it fills: no
 * index is keyed by a hash alone. So a version is found through its record: callers pass its rowid,
 * else the fabric's `recordOf` resolver names a head's; only a non-head version asked for without
 * its record costs a table scan. A version that is new by construction (`fresh`: first version of
 * a new record id) skips the existence probe. Schema and migrations: migrate.ts.
 * Lexical search drops very common terms beside rarer ones in a large store (lexical-plan.ts).
 * A hybrid query's BM25 read may run on a worker thread with its own read-only connection, in
 * parallel with the vector leg (lexical-reads.ts decides; `lexicalWorker` option).
 */
import Database from "better-sqlite3";
import { randomInt } from "node:crypto";
import { dirname } from "node:path";
import { AiosError, ownerOnlyDatabase } from "../core/index.js";
import { toStoreError, type AckMark } from "../store/index.js";
import { versionHash } from "./canonical.js";
import type { CommonTermOptions } from "./lexical-plan.js";
import { LexicalReads, type LexicalWorkerOption } from "./lexical-reads.js";
import type { LexicalWorker } from "./lexical-worker.js";
import { hashKey, migrate, SCHEMA } from "./migrate.js";
import type { MemoryVersion, RecordMeta, ScopeKind, VersionOp } from "./record.js";
import type { GrantRow, MemoryStorage, SnapshotRow, WriteOp } from "./storage.js";

interface RecordRowDb {
  rowid: number; id: string; tenant: string; scope: string; namespace: string; owner: string; type: string; tags: string; heads: string;
  created_at: number; updated_at: number; expires_at: number | null; deleted: number; bytes: number;
}
interface VersionRowDb {
  hash: string; record_id: string; parents: string; type: string; content: string; tags: string; agent: string; ts: number; op: string; deleted: number;
}
export interface SqliteStorageOptions {
  readonly lexical?: CommonTermOptions;
  /** BM25 on a worker thread in parallel with the vector leg (lexical-reads.ts; default true, from 50,000 records). */
  readonly lexicalWorker?: LexicalWorkerOption;
  /**
   * The acknowledgement mark (store/ack-mark.ts, ADR 0012): the highest version rowid acknowledged,
   * kept outside memory.db. Versions are never deleted, so at open a store holding fewer than the
   * mark lost acknowledged writes (deleted or older memory.db, lost WAL) and is refused.
   */
  readonly ack?: AckMark;
}

interface SnapshotRowDb { id: string; tenant: string; scope: string; namespace: string; ts: number; label: string | null; entries: string }

export class SqliteMemoryStorage implements MemoryStorage {
  private readonly db: Database.Database;
  private readonly st;
  private readonly tx: (ops: readonly WriteOp[]) => void;

  private readonly reads: LexicalReads;
  private readonly maxVersion: Database.Statement;
  private readonly ack: AckMark | undefined;
  /** Mark writes that failed after their batch committed (the mark lags; it never leads). */
  markFailures = 0;
  private recordOf: ((hash: string) => number | undefined) | undefined;
  /** Highest record rowid written: the store's size as the lexical planner sees it (deletions not subtracted). */
  private docs: number;

  constructor(
    private readonly file: string,
    o: SqliteStorageOptions = {},
  ) {
    try {
      ownerOnlyDatabase(file);
      this.db = new Database(file);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      migrate(this.db);
      this.db.exec(SCHEMA);
    } catch (e) {
      throw memoryStoreError(e, `opening the memory store ${file}`, file);
    }
    this.maxVersion = this.db.prepare("SELECT max(rowid) AS m FROM mem_versions");
    if (o.ack !== undefined) {
      this.checkMark(o.ack);
      this.ack = o.ack;
    }
    const p = (sql: string) => this.db.prepare(sql);
    this.st = {
      // Positional parameters: binding from an object costs a property lookup per column per row.
      insertRecord: p(`INSERT INTO mem_records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
      upsertRecord: p(`INSERT INTO mem_records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT(rowid) DO UPDATE SET type=excluded.type, tags=excluded.tags, heads=excluded.heads, updated_at=excluded.updated_at,
        expires_at=excluded.expires_at, deleted=excluded.deleted, bytes=excluded.bytes`),
      insertVersion: p(`INSERT INTO mem_versions (hkey, hash, rec, record_id, parents, type, content, tags, agent, ts, op, deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`),
      hasVersion: p(`SELECT 1 FROM mem_versions WHERE rec = ? AND hkey = ? AND hash = ?`).pluck(),
      delText: p(`DELETE FROM mem_fts WHERE rowid = ?`),
      insText: p(`INSERT INTO mem_fts(rowid, text) VALUES (?, ?)`),
      putVec: p(`INSERT OR REPLACE INTO mem_vectors VALUES (?, ?)`),
      delVec: p(`DELETE FROM mem_vectors WHERE rowid = ?`),
      addEdge: p(`INSERT OR REPLACE INTO mem_edges VALUES (?,?,?,?)`),
      delEdge: p(`DELETE FROM mem_edges WHERE src=? AND dst=? AND type=?`),
      putGrant: p(`INSERT OR REPLACE INTO mem_grants VALUES (?,?,?,?)`),
      delGrant: p(`DELETE FROM mem_grants WHERE tenant=? AND namespace=? AND agent=?`),
      putVtag: p(`INSERT OR REPLACE INTO mem_vtags VALUES (?,?,?)`),
      putReserve: p(`INSERT OR REPLACE INTO mem_reserved VALUES (?,?)`),
      putSnapshot: p(`INSERT INTO mem_snapshots VALUES (?,?,?,?,?,?,?)`),
      getVersion: p(`SELECT * FROM mem_versions WHERE rec = ? AND hkey = ? AND hash = ?`),
      scanVersion: p(`SELECT * FROM mem_versions WHERE hkey = ? AND hash = ?`),
      versionsOf: p(`SELECT * FROM mem_versions WHERE rec = (SELECT rowid FROM mem_records WHERE id = ?) ORDER BY ts, vid`),
      countVectors: p(`SELECT count(*) FROM mem_vectors`).pluck(),
      stamp: p(`SELECT value FROM mem_meta WHERE key = 'vector_stamp'`).pluck(),
      bumpStamp: p(`UPDATE mem_meta SET value = value + 1 WHERE key = 'vector_stamp'`),
      vtags: p(`SELECT label, hash FROM mem_vtags WHERE record_id = ?`),
      getSnapshot: p(`SELECT * FROM mem_snapshots WHERE id = ?`),
      listSnapshots: p(`SELECT * FROM mem_snapshots WHERE tenant=? AND scope=? AND namespace=? ORDER BY ts`),
    };
    // A random start, so two stores never share a stamp (an index file copied between them is stale).
    this.db.prepare(`INSERT OR IGNORE INTO mem_meta VALUES ('vector_stamp', ?)`).run(randomInt(2 ** 47));
    this.docs = this.db.prepare(`SELECT coalesce(max(rowid), 0) FROM mem_records`).pluck().get() as number;
    this.reads = new LexicalReads(this.db, file, o.lexical, o.lexicalWorker);
    this.reads.grown(this.docs); // a big store starts its worker now, so it is ready by the first query
    this.tx = this.db.transaction((ops: readonly WriteOp[]) => {
      let vectors = false;
      for (const op of ops) {
        this.apply(op);
        if (op.kind === "vector") vectors = true;
      }
      if (vectors) this.st.bumpStamp.run();
    });
  }

  private apply(op: WriteOp): void {
    const s = this.st;
    switch (op.kind) {
      case "record": {
        const m = op.meta;
        if (m.rowid > this.docs) this.docs = m.rowid;
        (op.fresh === true ? s.insertRecord : s.upsertRecord).run(m.rowid, m.id, m.tenant, m.scope, m.namespace, m.owner, m.type,
          JSON.stringify(m.tags), JSON.stringify(m.heads), m.createdAt, m.updatedAt, m.expiresAt, m.deleted ? 1 : 0, m.bytes);
        return;
      }
      case "version": {
        const v = op.version;
        const key = hashKey(v.hash);
        // Content addresses make a rewrite of an existing version a no-op (e.g. two writers making
        // the same change to the same base); only a fresh version can skip the probe.
        if (op.fresh !== true && s.hasVersion.get(op.rec, key, v.hash) !== undefined) return;
        s.insertVersion.run(key, v.hash, op.rec, v.recordId, JSON.stringify(v.parents), v.type, op.contentJson ?? JSON.stringify(v.content),
          JSON.stringify(v.tags), v.agent, v.ts, v.op, v.deleted ? 1 : 0);
        return;
      }
      case "text":
        if (op.fresh !== true) s.delText.run(op.rowid);
        if (op.text !== null) s.insText.run(op.rowid, op.text);
        return;
      case "vector":
        if (op.vector === null) s.delVec.run(op.rowid);
        else s.putVec.run(op.rowid, Buffer.from(op.vector.buffer, op.vector.byteOffset, op.vector.byteLength));
        return;
      case "edge":
        if (op.remove) s.delEdge.run(op.from, op.to, op.type);
        else s.addEdge.run(op.from, op.to, op.type, op.ts);
        return;
      case "grant":
        if (op.access === null) s.delGrant.run(op.tenant, op.namespace, op.agent);
        else s.putGrant.run(op.tenant, op.namespace, op.agent, op.access);
        return;
      case "vtag":
        s.putVtag.run(op.recordId, op.label, op.hash);
        return;
      case "reserve":
        s.putReserve.run(op.agent, op.bytes);
        return;
      case "snapshot": {
        const x = op.snapshot;
        s.putSnapshot.run(x.id, x.tenant, x.scope, x.namespace, x.ts, x.label, JSON.stringify(x.entries));
        return;
      }
    }
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    try {
      this.tx(ops);
    } catch (e) {
      throw memoryStoreError(e, "memory write failed", this.file);
    }
    // Acknowledged only once the mark covers the new versions. Synchronous like the commit itself
    // (better-sqlite3): one more small fdatasync per write batch, and callers see no new await.
    if (this.ack !== undefined && ops.some((op) => op.kind === "version")) {
      try {
        this.ack.write({ seq: this.highestVersion(), chain: 0 });
      } catch {
        this.markFailures++; // the versions are committed; a lagging mark reads as nothing lost
      }
    }
  }

  async loadRecords(): Promise<RecordMeta[]> {
    try {
      const rows = this.db.prepare(`SELECT * FROM mem_records ORDER BY rowid`).all() as RecordRowDb[];
      return rows.map((r) => ({
        rowid: r.rowid, id: r.id, tenant: r.tenant, scope: r.scope as ScopeKind, namespace: r.namespace, owner: r.owner, type: r.type,
        tags: JSON.parse(r.tags) as string[], heads: JSON.parse(r.heads) as string[], createdAt: r.created_at, updatedAt: r.updated_at,
        expiresAt: r.expires_at, deleted: r.deleted === 1, bytes: r.bytes,
      }));
    } catch (e) {
      throw memoryStoreError(e, "reading the memory records", this.file);
    }
  }

  async loadVectors(each: (rowid: number, vector: Float32Array) => void): Promise<void> {
    try {
      for (const row of this.db.prepare(`SELECT rowid, vec FROM mem_vectors ORDER BY rowid`).iterate() as Iterable<{ rowid: number; vec: Buffer }>) {
        const copy = new Float32Array(row.vec.byteLength / 4);
        new Uint8Array(copy.buffer).set(row.vec);
        each(row.rowid, copy);
      }
    } catch (e) {
      throw memoryStoreError(e, "reading the memory vectors", this.file);
    }
  }

  async loadEdges(each: (from: number, to: number, type: string) => void): Promise<void> {
    try {
      for (const e of this.db.prepare(`SELECT src, dst, type FROM mem_edges`).iterate() as Iterable<{ src: number; dst: number; type: string }>) {
        each(e.src, e.dst, e.type);
      }
    } catch (e) {
      throw memoryStoreError(e, "reading the memory graph", this.file);
    }
  }

  async loadGrants(): Promise<GrantRow[]> {
    try {
      return this.db.prepare(`SELECT * FROM mem_grants`).all() as GrantRow[];
    } catch (e) {
      throw memoryStoreError(e, "reading the memory grants", this.file);
    }
  }

  async loadReservations(): Promise<Map<string, number>> {
    try {
      const rows = this.db.prepare(`SELECT agent, bytes FROM mem_reserved`).all() as { agent: string; bytes: number }[];
      return new Map(rows.map((r) => [r.agent, r.bytes]));
    } catch (e) {
      throw memoryStoreError(e, "reading the memory reservations", this.file);
    }
  }

  resolveRecords(recordOf: (hash: string) => number | undefined): void {
    this.recordOf = recordOf;
  }

  async getVersion(hash: string, rec?: number): Promise<MemoryVersion | undefined> {
    try {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      const at = rec ?? this.recordOf?.(hash);
      const r = (at === undefined ? this.st.scanVersion.get(hashKey(hash), hash) : this.st.getVersion.get(at, hashKey(hash), hash)) as VersionRowDb | undefined;
      return r === undefined ? undefined : toVersion(r, this.file);
    } catch (e) {
      throw memoryStoreError(e, `reading memory version ${hash.slice(0, 12)}`, this.file);
    }
  }

  async vectorStamp(): Promise<number> {
    return this.st.stamp.get() as number;
  }

  async countVectors(): Promise<number> {
    return this.st.countVectors.get() as number;
  }

  async versionsOf(recordId: string): Promise<MemoryVersion[]> {
    try {
      return (this.st.versionsOf.all(recordId) as VersionRowDb[]).map((r) => toVersion(r, this.file));
    } catch (e) {
      throw memoryStoreError(e, `reading the history of memory record ${recordId}`, this.file);
    }
  }

  async versionTags(recordId: string): Promise<Record<string, string>> {
    const rows = this.st.vtags.all(recordId) as { label: string; hash: string }[];
    return Object.fromEntries(rows.map((r) => [r.label, r.hash]));
  }

  async lexical(query: string, limit: number, o: { readonly overlap?: boolean } = {}): Promise<{ rowid: number; score: number }[]> {
    return this.reads.run(query, limit, this.docs, o.overlap === true);
  }

  /** @internal (tests, bench): the BM25 worker thread, once this store has started one. */
  get lexicalWorker(): LexicalWorker | undefined {
    return this.reads.lexicalWorker;
  }

  async getSnapshot(id: string): Promise<SnapshotRow | undefined> {
    try {
      const r = this.st.getSnapshot.get(id) as SnapshotRowDb | undefined;
      return r === undefined ? undefined : toSnapshot(r);
    } catch (e) {
      throw memoryStoreError(e, `reading memory snapshot ${id}`, this.file);
    }
  }

  async listSnapshots(tenant: string, scope: string, namespace: string): Promise<SnapshotRow[]> {
    return (this.st.listSnapshots.all(tenant, scope, namespace) as SnapshotRowDb[]).map(toSnapshot);
  }

  /** The highest version rowid stored (0 for an empty store). */
  private highestVersion(): number {
    const m = (this.maxVersion.get() as { m: number | null } | undefined)?.m;
    return m ?? 0;
  }

  /** Refuses a store holding fewer versions than were acknowledged; brings a missing mark up. */
  private checkMark(ack: AckMark): void {
    let have: number;
    try {
      have = this.highestVersion();
    } catch (e) {
      this.db.close();
      throw memoryStoreError(e, "reading the memory versions", this.file);
    }
    const r = ack.read();
    if (r.state === "ok" && r.point.seq > have) {
      this.db.close();
      throw new AiosError(
        "E_CORRUPT",
        `memory store damaged: ${r.point.seq - have} acknowledged version(s) are missing — ${this.file} holds versions up to rowid ${have} but ${ack.location} ` +
          `acknowledged up to ${r.point.seq} (the database was deleted, replaced by an older copy, or lost its WAL); the store was not changed`,
        { details: { file: this.file, mark: ack.location, fromSeq: have + 1, toSeq: r.point.seq, count: r.point.seq - have } },
      );
    }
    if (r.state !== "ok" || r.point.seq < have) ack.write({ seq: have, chain: 0 });
  }

  async close(): Promise<void> {
    this.ack?.close();
    await this.reads.close();
    if (this.db.open) this.db.close();
  }
}

/**
 * A version row read back, verified against its content address (issue #17.4): a flipped bit in
 * its content, tags, parents or type no longer hashes to the stored hash, and is E_CORRUPT naming
 * the record and the file — never a silently changed text. Costs one canonical encoding and one
 * SHA-256 per version read (search reads ~10 bodies per query).
 */
function toVersion(r: VersionRowDb, file: string): MemoryVersion {
  const bad = (why: string): AiosError =>
    new AiosError("E_CORRUPT", `memory record ${String(r.record_id)}: version ${String(r.hash).slice(0, 16)} in ${file} ${why} (the row was damaged or altered)`, {
      details: { record: r.record_id, hash: r.hash, file },
    });
  let v: MemoryVersion;
  try {
    v = {
      hash: r.hash, recordId: r.record_id, parents: JSON.parse(r.parents) as string[], type: r.type, content: JSON.parse(r.content) as unknown,
      tags: JSON.parse(r.tags) as string[], agent: r.agent, ts: r.ts, op: r.op as VersionOp, deleted: r.deleted === 1,
    };
  } catch {
    throw bad("does not parse");
  }
  if (typeof v.hash !== "string" || typeof v.recordId !== "string" || typeof v.type !== "string" || !Array.isArray(v.tags) || !Array.isArray(v.parents)) throw bad("has a column of the wrong type");
  let h: string;
  try {
    h = versionHash({ recordId: v.recordId, type: v.type, content: v.content, tags: v.tags, parents: v.parents, deleted: v.deleted });
  } catch {
    throw bad("cannot be re-encoded");
  }
  if (h !== v.hash) throw bad("does not match its content hash");
  return v;
}

/** SQLite failures of memory.db as AiosErrors naming the file: damage E_CORRUPT, a full disk E_STORAGE_FULL. */
function memoryStoreError(e: unknown, what: string, file: string): AiosError {
  if (e instanceof AiosError) return e;
  if (e instanceof SyntaxError) return new AiosError("E_CORRUPT", `${what}: a value stored in ${file} does not parse (${e.message})`, { cause: e, details: { file } });
  const m = toStoreError(e, `${what} (${file})`, dirname(file));
  return new AiosError(m.code, m.message, { cause: e, retryable: m.retryable, details: { ...m.details, file } });
}

function toSnapshot(r: SnapshotRowDb): SnapshotRow {
  return { id: r.id, tenant: r.tenant, scope: r.scope, namespace: r.namespace, ts: r.ts, label: r.label, entries: JSON.parse(r.entries) as Record<string, string> };
}
