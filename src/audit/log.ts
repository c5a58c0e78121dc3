/**
 * AuditLog: the writer. `append()` is synchronous and only buffers (the dispatcher calls it on the
 * hot path); batches are written in one SQLite transaction each — when the buffer reaches
 * `maxBatch`, when `flushIntervalMs` passes on the injected clock, or on `flush()` / `close()`.
 * Per entry: redact, canonicalise, leaf hash, chain hash, insert; every `checkpointEvery` entries a
 * signed checkpoint goes into the same transaction and, after commit, into the checkpoint file.
 * Signed heads beyond the count (issue 15 item 8): the first flush of a new log, a flush at least
 * `headEveryMs` after the last checkpoint, an "open" checkpoint when a log is reopened and a "seal"
 * at close. Each checkpoint names the interval (`every`), so the metadata row is never trusted, and
 * each is also written to `headPath` (a file the operator keeps outside the data dir, the pin for
 * `aios audit verify --head`).
 *
 * Durability: a batch commits without an fsync (synchronous=NORMAL: it survives a killed process,
 * and at most the entries since the last checkpoint can be lost with the machine's power); a commit
 * that carries a checkpoint is synchronous=FULL, so the WAL — every batch before it — is on disk
 * before the checkpoint file names it. An fsync on every 20 ms batch blocked the kernel's thread for
 * the disk's latency (10-14 ms per flush on the shared build machine: a quarter of a default-stack
 * LLM run's wall time, and 0.37 CPU-ms per run).
 *
 * Invariants: seq is dense from 1; chain_seq = SHA-256(chain_{seq-1} || leaf_seq); a failed batch
 * leaves both SQLite and the in-memory state as before it (entries stay buffered for the next
 * try); entries that could not be kept (buffer overflow) are recorded as a gap entry, never lost
 * silently. One writer per data dir.
 */
import type { KeyObject } from "node:crypto";
import { dirname } from "node:path";
import { AiosError, RealClock, silentLogger, toAiosError, type Clock, type Logger } from "../core/index.js";
import { auditPaths, getMeta, openWriterDb, setMeta, type AuditPaths, type Db, type Stmt } from "./db.js";
import { archiveSegment, linkContent, retirements, type SegmentPolicy } from "./segments.js";
import { MerkleAccumulator } from "./merkle.js";
import { CheckpointFile, writeHeadFile } from "./checkpoint-file.js";
import { chainHash, GENESIS, leafHash } from "./hashing.js";
import { pinPublicKey, signCheckpoint, toSigner, type Checkpoint, type CheckpointSigner, type VerifierInput } from "./signing.js";
import { auditVerifyCommand, type AuditVerifyCommandResult } from "./command.js";
import type { AuditContent } from "./entry.js";
import { encodeContent, type Pending } from "./encode.js";
import { loadState, reconcileCheckpointFile } from "./recover.js";
import { AuditReader } from "./reader.js";
import { auditStoreError } from "./store-errors.js";

export interface AuditLogOptions {
  readonly dataDir: string;
  /** Ed25519 private KeyObject, or any signer (security/ owns the keys). */
  readonly signer: CheckpointSigner | KeyObject;
  /** A signed checkpoint every N entries (default 1000); fixed when the log is created. */
  readonly checkpointEvery?: number;
  readonly maxBatch?: number;
  readonly flushIntervalMs?: number;
  /** Entries held while SQLite refuses writes before new ones are counted as a gap (default 1,000,000). */
  readonly maxBuffered?: number;
  readonly clock?: Clock;
  /** Sign a head at a flush once this long has passed since the last checkpoint (default 5000 ms). */
  readonly headEveryMs?: number;
  /**
   * Where the latest signed checkpoint is also written (replaced atomically) after each one: put it
   * outside the data dir, where whoever can rewrite the log cannot, and verify with `--head` it.
   */
  readonly headPath?: string;
  /** Rotate into a new segment once the live log holds this many entries (default 1,000,000). */
  readonly segmentEntries?: number;
  /** Archived segments kept; older ones are retired (recorded, then deleted). Default 8. */
  readonly keepSegments?: number;
  /** Applied to every entry's content before it is hashed (secrets never reach the chain). */
  readonly redact?: (value: unknown) => unknown;
  readonly logger?: Logger;
}

/** Rows per multi-row INSERT, and the columns each binds (well under SQLite's 32,766 parameters). */
const ROWS_PER_INSERT = 32;
const COLUMNS = 6;

export class AuditLog extends AuditReader {
  readonly paths: AuditPaths;
  readonly checkpointEvery: number;
  private readonly signer: CheckpointSigner;
  private file: CheckpointFile;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly redact: ((value: unknown) => unknown) | undefined;
  private readonly maxBatch: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly headEveryMs: number;
  private readonly headPath: string | undefined;
  private insert: Stmt;
  /** ROWS_PER_INSERT rows in one statement: a batch pays the statement's fixed cost per 32 rows, not per row. */
  private insertMany: Stmt;
  private insertCp: Stmt;
  private lastSeqStmt: Stmt;
  private readonly segments: SegmentPolicy;
  /** This database's place in the sequence of segments (1 for a log that never rotated). */
  private segment: number;
  private buffer: Pending[] = [];
  private seq: number;
  private chain: Buffer;
  private acc: MerkleAccumulator;
  private lastCheckpoint: Checkpoint | null;
  private timer: ReturnType<Clock["setTimeout"]> | null = null;
  private droppedSinceFlush = 0;
  /** Metadata written with the next committed batch (note()). */
  private notes = new Map<string, string>();
  /** Consecutive failed background flushes (drives the retry backoff). */
  private failures = 0;
  private closed = false;
  /** The signer's key id last written to audit.pub (a key rotated while open is pinned at its first use). */
  private pinnedKeyId: string;
  /** Entries that never reached the log (counted; recorded as a gap entry when writing resumes). */
  dropped = 0;

  constructor(options: AuditLogOptions) {
    const n = positiveInt(options.checkpointEvery ?? 1000, "checkpointEvery");
    const paths = auditPaths(options.dataDir);
    const db = openWriterDb(paths.db);
    super(db);
    this.paths = paths;
    this.signer = toSigner(options.signer);
    this.clock = options.clock ?? new RealClock();
    this.logger = options.logger ?? silentLogger;
    this.redact = options.redact;
    this.maxBatch = positiveInt(options.maxBatch ?? 1000, "maxBatch");
    this.flushIntervalMs = positiveInt(options.flushIntervalMs ?? 20, "flushIntervalMs");
    this.maxBuffered = positiveInt(options.maxBuffered ?? 1_000_000, "maxBuffered");
    this.headEveryMs = positiveInt(options.headEveryMs ?? 5000, "headEveryMs");
    this.headPath = options.headPath;
    this.segments = {
      entries: positiveInt(options.segmentEntries ?? 1_000_000, "segmentEntries"),
      keep: positiveInt(options.keepSegments ?? 8, "keepSegments"),
    };
    try {
      this.segment = Number(getMeta(db, "segment") ?? "1");
      const stored = getMeta(db, "checkpointEvery");
      if (stored === undefined) setMeta(db, "checkpointEvery", String(n));
      else if (Number(stored) !== n) this.logger.warn({ stored, asked: n }, "audit: keeping the checkpoint interval the log was created with");
      this.checkpointEvery = Number(stored ?? n);
      pinPublicKey(paths.publicKey, this.signer.publicKeyPem);
      this.pinnedKeyId = this.signer.keyId;
      const state = loadState(db);
      this.seq = state.seq;
      this.chain = state.chain;
      this.acc = state.acc;
      this.lastCheckpoint = reconcileCheckpointFile(db, paths.checkpoints, state.seq);
      this.file = new CheckpointFile(paths.checkpoints);
      [this.insert, this.insertMany, this.insertCp, this.lastSeqStmt] = statements(db);
      // Reopening signs what is there before anything new is appended: after a "seal" at size S, the
      // verifier accepts more entries only behind an "open" at exactly S.
      if (this.seq > 0) this.signNow("open");
    } catch (e) {
      // Reopening reads state a damaged file may not give back: report it as data, naming the file.
      db.close();
      throw auditStoreError(e, paths.db, "reopening the audit log");
    }
  }

  /** Committed entries. */
  override get size(): number {
    return this.seq;
  }
  get buffered(): number {
    return this.buffer.length;
  }
  get latestCheckpoint(): Checkpoint | null {
    return this.lastCheckpoint;
  }

  /** Buffers one entry; never throws for bad content (it is recorded as unencodable instead). */
  append(content: AuditContent): void {
    if (this.closed) throw new AiosError("E_SHUTDOWN", "the audit log is closed");
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      this.droppedSinceFlush++;
      return;
    }
    this.buffer.push(encodeContent(content, this.clock.now(), this.redact));
    // While writes are failing, a full batch waits for the backoff timer instead of retrying a
    // failing transaction on every append.
    if (this.buffer.length >= this.maxBatch && this.failures === 0) this.tryFlush();
    else if (this.timer === null) this.timer = this.clock.setTimeout(() => this.tryFlush(), this.flushIntervalMs);
  }

  /**
   * Buffers entries that belong together (the packed entries of one aggregate batch): all of them or,
   * with the buffer full, none (counted as dropped); no flush runs between them, so a batch is never
   * split across two commits or two segments.
   */
  appendAll(contents: readonly AuditContent[]): void {
    if (this.closed) throw new AiosError("E_SHUTDOWN", "the audit log is closed");
    if (this.buffer.length + contents.length > this.maxBuffered) {
      this.dropped += contents.length;
      this.droppedSinceFlush += contents.length;
      return;
    }
    const now = this.clock.now();
    for (const c of contents) this.buffer.push(encodeContent(c, now, this.redact));
    if (this.buffer.length >= this.maxBatch && this.failures === 0) this.tryFlush();
    else if (this.timer === null) this.timer = this.clock.setTimeout(() => this.tryFlush(), this.flushIntervalMs);
  }

  /** Writes the current interval's aggregates (set by the plugin) — drain() runs it first. */
  aggregates: (() => void) | undefined;

  /** Writes the aggregates counted so far in this interval and everything buffered; returns entries committed. */
  drain(): number {
    this.aggregates?.();
    return this.flush();
  }

  /** Metadata to commit with the next batch, in its transaction (the aggregate sequence's mark). */
  note(key: string, value: string): void {
    this.notes.set(key, value);
  }

  /** A metadata value as committed. */
  meta(key: string): string | undefined {
    return getMeta(this.db, key);
  }

  /** Writes everything buffered; returns how many entries were committed. Throws E_STORAGE on failure. */
  flush(): number {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.droppedSinceFlush > 0) {
      const gap = encodeContent({ kind: "audit", agent: null, data: { event: "gap", dropped: this.droppedSinceFlush } }, this.clock.now(), undefined);
      // Dropped entries all arrived after the buffered ones (the buffer was full), so the gap goes last.
      this.buffer.push(gap);
      this.droppedSinceFlush = 0;
    }
    if (this.buffer.length === 0) return 0;
    const batch = this.buffer;
    this.buffer = [];
    const notes = this.notes;
    this.notes = new Map();
    const before = { seq: this.seq, chain: this.chain, acc: this.acc.clone(), last: this.lastCheckpoint };
    const cps: Checkpoint[] = [];
    try {
      const write = this.db.transaction(() => {
        // Single writer: a second AuditLog on the same file would fork the chain. IMMEDIATE takes
        // the write lock before this check, so the check and the inserts see the same log.
        const last: unknown = this.lastSeqStmt.get();
        if (last !== this.seq) throw new AiosError("E_CONFLICT", `another writer appended to this audit log (it ends at seq ${String(last)}, this writer at ${this.seq})`, { retryable: false });
        // Rows are bound ROWS_PER_INSERT at a time (the rest one by one), in seq order.
        const params: unknown[] = [];
        for (const p of batch) {
          const seq = this.seq + 1;
          // Keys in canonical (sorted) order: agent, data, kind, seq, ts, v — equal to canonicalize(entry).
          const body = `{"agent":${p.agentJson},"data":${p.dataJson},"kind":"${p.kind}","seq":${seq},"ts":${p.ts},"v":1}`;
          const leaf = leafHash(body);
          this.chain = chainHash(this.chain, leaf);
          this.acc.push(leaf);
          this.seq = seq;
          params.push(seq, p.ts, p.kind, p.agent, body, this.chain);
          if (params.length === ROWS_PER_INSERT * COLUMNS) {
            this.insertMany.run(params);
            params.length = 0;
          }
          if (seq % this.checkpointEvery === 0) cps.push(this.makeCheckpoint());
        }
        for (let i = 0; i < params.length; i += COLUMNS) this.insert.run(params.slice(i, i + COLUMNS));
        const head = this.lastCheckpoint;
        if (this.seq > (head?.size ?? 0) && (head === null || this.clock.now() - head.ts >= this.headEveryMs)) cps.push(this.makeCheckpoint());
        for (const cp of cps) this.insertCp.run(cp.size, JSON.stringify(cp));
        setMeta(this.db, "merkle", this.acc.serialize());
        for (const [k, v] of notes) setMeta(this.db, k, v);
      });
      // Whether the commit will carry a checkpoint is known before it: seq crosses a multiple of
      // checkpointEvery, or a signed head is due by time (the same test as in the transaction).
      const end = this.seq + batch.length;
      const head = this.lastCheckpoint;
      const due = Math.floor(end / this.checkpointEvery) > Math.floor(this.seq / this.checkpointEvery) ||
        (end > (head?.size ?? 0) && (head === null || this.clock.now() - head.ts >= this.headEveryMs));
      if (due) this.durably(() => write.immediate());
      else write.immediate();
    } catch (e) {
      this.seq = before.seq;
      this.chain = before.chain;
      this.acc = before.acc;
      this.lastCheckpoint = before.last;
      this.buffer = batch.concat(this.buffer);
      for (const [k, v] of this.notes) notes.set(k, v);
      this.notes = notes;
      if (e instanceof AiosError) throw e;
      throw new AiosError("E_STORAGE", "audit batch could not be written; entries kept in memory", { cause: e });
    }
    try {
      this.file.append(cps);
    } catch (e) {
      // The entries and their checkpoints are committed; the file catches up from audit_checkpoints
      // when the log is next opened (reconcileCheckpointFile), so this is reported, not thrown.
      this.logger.error({ err: toAiosError(e, "E_STORAGE").toJSON() }, "audit: checkpoint file append failed");
    }
    this.writeHead(cps.at(-1));
    if (this.seq >= this.segments.entries) this.rotate();
    return batch.length;
  }

  /** The segment the live database is (segments.ts). */
  get segmentNumber(): number {
    return this.segment;
  }

  /**
   * Seals the live database, moves it (with its checkpoint file and the pinned key) into
   * `segments/NNNNNN/`, and starts a new one whose first entry links the seal into the new chain;
   * then retires the oldest segments beyond `keepSegments` (segments.ts).
   */
  private rotate(): void {
    const seal = this.signNow("seal");
    const mark = getMeta(this.db, "aggregates");
    this.file.close();
    this.db.close();
    const next = archiveSegment(this.paths, this.segment);
    const db = openWriterDb(this.paths.db);
    this.db = db;
    this.resetTree();
    setMeta(db, "checkpointEvery", String(this.checkpointEvery));
    setMeta(db, "segment", String(next));
    if (mark !== undefined) setMeta(db, "aggregates", mark);
    this.segment = next;
    this.seq = 0;
    this.chain = GENESIS;
    this.acc = new MerkleAccumulator();
    this.lastCheckpoint = null;
    this.file = new CheckpointFile(this.paths.checkpoints);
    [this.insert, this.insertMany, this.insertCp, this.lastSeqStmt] = statements(db);
    const now = this.clock.now();
    const notes = [linkContent(next, seal), ...retirements(this.paths, this.segments.keep)];
    this.buffer = [...notes.map((c) => encodeContent(c.content, now, undefined)), ...this.buffer];
    // The new log's first flush is durable (a head is due), so the retirements are on disk before
    // the segments they name are deleted.
    this.flush();
    for (const c of notes) c.after?.();
  }

  /** Signs a checkpoint at the current size unless the latest one already covers it. */
  checkpoint(): Checkpoint | null {
    this.flush();
    if (this.seq === 0 || this.lastCheckpoint?.size === this.seq) return this.lastCheckpoint;
    return this.signNow(undefined);
  }

  /**
   * `os.audit.verify()`: commits and signs what is buffered, then verifies the whole log on disk —
   * chain, Merkle tree, signed checkpoints, segments — as `aios audit verify` does (command.ts).
   * `ok` false with exitCode 1 is tampering; 2 is "could not verify". Pin `publicKey` (and `head`)
   * from outside the data dir for a verification that trusts nothing in it.
   */
  verify(options: { publicKey?: VerifierInput; head?: string; maxProblems?: number } = {}): AuditVerifyCommandResult {
    this.checkpoint();
    return auditVerifyCommand(dirname(this.paths.db), options);
  }

  /** Flushes, seals the log with a final checkpoint over every entry and closes. */
  override close(): void {
    if (this.closed) return;
    try {
      this.flush();
      if (this.seq > 0) this.signNow("seal");
    } finally {
      this.closed = true;
      this.file.close();
      this.db.close();
    }
  }

  /** Runs one commit with synchronous=FULL: it and every commit before it are on disk when it returns. */
  private durably<T>(commit: () => T): T {
    this.db.pragma("synchronous = FULL");
    try {
      return commit();
    } finally {
      this.db.pragma("synchronous = NORMAL");
    }
  }

  private signNow(event: "open" | "seal" | undefined): Checkpoint {
    const prior = this.lastCheckpoint;
    const cp = this.makeCheckpoint(event);
    try {
      this.durably(() => this.insertCp.run(cp.size, JSON.stringify(cp)));
    } catch (e) {
      this.lastCheckpoint = prior;
      throw new AiosError("E_STORAGE", "audit checkpoint could not be written", { cause: e });
    }
    this.file.append([cp]);
    this.writeHead(cp);
    return cp;
  }

  private makeCheckpoint(event?: "open" | "seal"): Checkpoint {
    if (this.signer.keyId !== this.pinnedKeyId) {
      pinPublicKey(this.paths.publicKey, this.signer.publicKeyPem);
      this.pinnedKeyId = this.signer.keyId;
    }
    const cp = signCheckpoint(this.signer, {
      size: this.seq,
      chain: this.chain.toString("hex"),
      root: this.acc.root().toString("hex"),
      ts: Math.trunc(this.clock.now()),
      every: this.checkpointEvery,
      ...(event === undefined ? {} : { event }),
    });
    this.lastCheckpoint = cp;
    return cp;
  }

  /** The latest head, replaced atomically (write + fsync a temp file, rename) at `headPath`. */
  private writeHead(cp: Checkpoint | undefined): void {
    if (cp === undefined || this.headPath === undefined) return;
    try {
      writeHeadFile(this.headPath, cp);
    } catch (e) {
      this.logger.error({ err: toAiosError(e, "E_STORAGE").toJSON(), headPath: this.headPath }, "audit: the pinned head could not be written");
    }
  }

  private tryFlush(): void {
    try {
      this.flush();
      this.failures = 0;
    } catch (e) {
      this.failures++;
      // Retry on the clock with exponential backoff (capped at 5 s); entries stay buffered.
      const delay = Math.min(5000, this.flushIntervalMs * 2 ** Math.min(this.failures, 16));
      if (this.failures === 1 || this.failures % 10 === 0) this.logger.error({ err: toAiosError(e).toJSON(), buffered: this.buffer.length, failures: this.failures }, "audit flush failed");
      if (this.timer === null && !this.closed) this.timer = this.clock.setTimeout(() => this.tryFlush(), delay);
    }
  }
}

function statements(db: Db): [Stmt, Stmt, Stmt, Stmt] {
  return [
    db.prepare("INSERT INTO audit_entries(seq, ts, kind, agent, body, hash) VALUES (?, ?, ?, ?, ?, ?)"),
    db.prepare(`INSERT INTO audit_entries(seq, ts, kind, agent, body, hash) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => "(?, ?, ?, ?, ?, ?)").join(", ")}`),
    // REPLACE: an "open" or "seal" may share its size with the checkpoint before it (the file keeps both).
    db.prepare("INSERT OR REPLACE INTO audit_checkpoints(size, line) VALUES (?, ?)"),
    db.prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_entries").pluck(),
  ];
}

function positiveInt(v: number, field: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new AiosError("E_INVALID_ARG", `audit option ${field} must be a positive integer, got ${v}`, { details: { path: field } });
  return v;
}
