/**
 * The StorageDriver contract (DESIGN invariant 3): the small surface the journal needs from a durable
 * store. SQLite (embedded, the default) implements it here; a PostgreSQL driver implements the same
 * interface and passes the same contract suite (tests/store/driver-contract.ts).
 *
 * Invariants every driver keeps:
 * - `write(batch)` is atomic and durable when its promise resolves: all of the batch's rows, deletes
 *   and meta updates are on stable storage, or none is (a failed write leaves nothing half-written).
 * - `read` returns rows in ascending seq order exactly as written (the driver never interprets a row).
 * - A full disk is reported as AiosError E_STORAGE_FULL (retryable); a damaged store as E_CORRUPT;
 *   anything else as E_STORAGE. The driver stays usable after E_STORAGE_FULL once space returns.
 */

/** One journal row as stored: the journal encodes and checksums, the driver just keeps it. */
export interface JournalRow {
  readonly seq: number;
  readonly kind: string;
  readonly body: string;
  readonly crc: number;
}

/** One atomic write: rows appended, rows below a seq deleted, meta keys set. */
export interface WriteBatch {
  readonly append?: readonly JournalRow[];
  /** Delete every row with seq < deleteBelow (compaction, or one chunk of a sweep). */
  readonly deleteBelow?: number;
  /**
   * After the delete, give the freed space back (SQLite: incremental vacuum, WAL truncated). Default
   * true; the journal's chunked sweep (ADR 0049) passes false for every chunk but the last.
   */
  readonly reclaim?: boolean;
  readonly meta?: Readonly<Record<string, string>>;
}

/** How a write may run (a hint: the durability promise of `write` is the same either way). */
export interface WriteOptions {
  /**
   * Nothing else waits to run on the calling thread (ADR 0072): a driver that commits on a thread
   * of its own may commit on the calling one instead, with no hand-off and no wake-ups. Drivers
   * without such a thread ignore it.
   */
  readonly here?: boolean;
}

export interface JournalBounds {
  /** Lowest and highest stored seq, or null when the journal is empty. */
  readonly first: number | null;
  readonly last: number | null;
  readonly count: number;
}

export interface StorageDriver {
  /** "sqlite", "postgres", ... */
  readonly name: string;
  /** Where the data lives (a file path, a connection string without password). */
  readonly location: string;
  /** The schema version the store is at after migrations. */
  readonly schemaVersion: number;
  write(batch: WriteBatch, options?: WriteOptions): Promise<void>;
  /** Up to `limit` rows with seq >= fromSeq, ascending. */
  read(fromSeq: number, limit: number): Promise<JournalRow[]>;
  bounds(): Promise<JournalBounds>;
  getMeta(key: string): Promise<string | undefined>;
  /**
   * After an accepted loss: replace the whole store by exactly `rows` and `meta`, setting the damaged
   * store aside at `aside` (a copy for a person to inspect, where the driver can).
   * Must not read the damaged store (it may be unreadable); atomic: a crash leaves the old store or
   * the new one, never an empty one.
   */
  replaceAll(rows: readonly JournalRow[], meta: Readonly<Record<string, string>>, aside: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A fresh location for the driver contract suite: `open()` may be called again after `close()` to
 * reopen the same store (durability across restarts); `dispose()` removes the location.
 */
export interface DriverHarness {
  open(): Promise<StorageDriver>;
  dispose(): Promise<void>;
}
export type DriverFactory = () => Promise<DriverHarness>;
