/**
 * FabricCore: what the fabric's operation files (write-path.ts, insert-batch.ts, graph-ops.ts,
 * scope-ops.ts, snapshots.ts) use of the fabric — its indexes, storage and write chain. MemoryFabric
 * implements it and delegates to those files; they depend on this narrow view instead of on the
 * façade that imports them.
 */
import type { Clock } from "../core/index.js";
import type { AccessControl, Actor } from "./access.js";
import type { Catalog } from "./catalog.js";
import type { EdgeGraph } from "./graph.js";
import type { Hnsw } from "./hnsw.js";
import type { MemoryQuotas } from "./quota.js";
import type { MemoryVersion, RecordMeta } from "./record.js";
import type { ReadContext } from "./record-reads.js";
import type { MemoryStorage } from "./storage.js";
import type { TypeRegistry } from "./type-registry.js";

export interface FabricCore extends ReadContext {
  readonly types: TypeRegistry;
  readonly clock: Clock;
  readonly dim: number;
  readonly catalog: Catalog;
  readonly graph: EdgeGraph;
  /** Read on every use: open may swap in a saved index. */
  readonly hnsw: Hnsw;
  readonly access: AccessControl;
  readonly quotas: MemoryQuotas;
  readonly storage: MemoryStorage;
  /** The fabric's actor for `who` (agent "system" and the fabric's tenant by default). */
  actor(who?: { agent?: string | undefined; tenant?: string | undefined }): Actor;
  /** Runs `fn` in the write chain. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  mustRead(id: string, actor: Actor): RecordMeta;
  mustWrite(id: string, actor: Actor): RecordMeta;
  /** Restores a record to a version's content (snapshot restore). */
  revert(m: RecordMeta, target: MemoryVersion, actor: Actor): Promise<void>;
  /** Tombstones a record. */
  remove(m: RecordMeta, actor: Actor): Promise<void>;
}
