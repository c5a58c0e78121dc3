/**
 * The storage seam of the memory fabric. Everything durable goes through this small interface so a
 * PostgreSQL driver can sit beside the SQLite one: one atomic `write` per logical operation (a
 * batch of row changes), bulk loads at open (the catalog, vectors and edges live in RAM), and the
 * few reads that stay on disk (version bodies, full-text search, snapshots). Async throughout,
 * because a network database is.
 */
import type { MemoryVersion, RecordMeta } from "./record.js";

export type WriteOp =
  /** `fresh`: a record id never written before (a plain insert, no upsert). */
  | { readonly kind: "record"; readonly meta: RecordMeta; readonly fresh?: boolean }
  /**
   * `rec`: the record's rowid. `fresh`: the version cannot exist yet (skips the duplicate probe).
   * `contentJson`: the content's canonical JSON when the caller already has it (saves a re-encode).
   */
  | { readonly kind: "version"; readonly version: MemoryVersion; readonly rec: number; readonly fresh?: boolean; readonly contentJson?: string }
  /** `fresh`: the rowid never had text (skips the delete, which is costly on a contentless FTS table). */
  | { readonly kind: "text"; readonly rowid: number; readonly text: string | null; readonly fresh?: boolean }
  | { readonly kind: "vector"; readonly rowid: number; readonly vector: Float32Array | null }
  | { readonly kind: "edge"; readonly from: number; readonly to: number; readonly type: string; readonly ts: number; readonly remove: boolean }
  | { readonly kind: "grant"; readonly tenant: string; readonly namespace: string; readonly agent: string; readonly access: "read" | "write" | null }
  | { readonly kind: "vtag"; readonly recordId: string; readonly label: string; readonly hash: string }
  | { readonly kind: "reserve"; readonly agent: string; readonly bytes: number }
  | { readonly kind: "snapshot"; readonly snapshot: SnapshotRow };

export interface SnapshotRow {
  readonly id: string;
  readonly tenant: string;
  readonly scope: string;
  readonly namespace: string;
  readonly ts: number;
  readonly label: string | null;
  /** record id -> head version hash at snapshot time. */
  readonly entries: Readonly<Record<string, string>>;
}

export interface GrantRow {
  readonly tenant: string;
  readonly namespace: string;
  readonly agent: string;
  readonly access: "read" | "write";
}

export interface MemoryStorage {
  write(ops: readonly WriteOp[]): Promise<void>;
  loadRecords(): Promise<RecordMeta[]>;
  loadVectors(each: (rowid: number, vector: Float32Array) => void): Promise<void>;
  /** How many vectors are stored (checks a saved HNSW file without reading every vector). */
  countVectors?(): Promise<number>;
  /**
   * A number that changes with every committed write adding, replacing or removing a vector (and
   * differs between stores): a saved HNSW file stamped with it is current exactly when they match.
   */
  vectorStamp?(): Promise<number>;
  loadEdges(each: (from: number, to: number, type: string) => void): Promise<void>;
  loadGrants(): Promise<GrantRow[]>;
  loadReservations(): Promise<Map<string, number>>;
  /**
   * A version by its content address. `rec`: the rowid of its record, when the caller knows it (a
   * driver may find versions through their record, as the SQLite one does); a version of another
   * record is not found.
   */
  getVersion(hash: string, rec?: number): Promise<MemoryVersion | undefined>;
  /** Installs how to name the record of a head version when getVersion gets no `rec` (the fabric's catalog). */
  resolveRecords?(recordOf: (hash: string) => number | undefined): void;
  versionsOf(recordId: string): Promise<MemoryVersion[]>;
  versionTags(recordId: string): Promise<Record<string, string>>;
  /**
   * BM25 full-text search; lower score is better (SQLite's convention), best first. `overlap`: the
   * caller has other work (a vector search) to do before it awaits the answer, so a driver may run
   * the read elsewhere (the SQLite driver's worker thread) rather than inside the call.
   */
  lexical(query: string, limit: number, o?: { readonly overlap?: boolean }): Promise<{ rowid: number; score: number }[]>;
  getSnapshot(id: string): Promise<SnapshotRow | undefined>;
  listSnapshots(tenant: string, scope: string, namespace: string): Promise<SnapshotRow[]>;
  close(): Promise<void>;
}
