/**
 * MemoryFabric: the memory subsystem's one object, a façade. It opens the store (catalog, grants,
 * reservations, edges and the HNSW index loaded into RAM; a missing or stale saved index is rebuilt
 * from the durable vectors) and closes it (saving a changed index). Writes go through write-path.ts
 * and insert-batch.ts (one serial chain; durable before RAM), reads and queries through
 * record-reads.ts, graph, snapshot and admin operations through graph-ops.ts, snapshots.ts and
 * scope-ops.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AiosError, CounterIds, ownerOnlyDir, RealClock, type Clock, type EventBus, type IdGenerator } from "../core/index.js";
import { ACK_TAG, FileAckMark } from "../store/index.js";
import { AccessControl, type Access, type Actor, type ScopeAccessHook } from "./access.js";
import { Catalog } from "./catalog.js";
import type { Embedder } from "./embedder.js";
import type { FabricCore } from "./fabric-core.js";
import { EdgeGraph } from "./graph.js";
import { Hnsw, type HnswOptions } from "./hnsw.js";
import type { QueryInput, StoreInput, TraverseInput, UpdateInput } from "./inputs.js";
import { MemoryQuotas, type QuotaLimits, type QuotaUsage } from "./quota.js";
import type { MemoryRecord, MemoryVersion, RecordMeta } from "./record.js";
import { diff, getRecord, history, query, readable, versionOf, writable } from "./record-reads.js";
import type { MemoryHit, RerankHook } from "./search.js";
import { SqliteMemoryStorage } from "./sqlite-storage.js";
import type { GrantRow, MemoryStorage } from "./storage.js";
import { TypeRegistry } from "./type-registry.js";
import type { Change, MergeStrategy } from "./versioning.js";
import { WritePath, type WriteResult } from "./write-path.js";
import { link, neighbors, shortestPath, unlink, type Neighbour } from "./graph-ops.js";
import { grant, reserve } from "./scope-ops.js";
import { listSnapshots, restore, snapshot, type SnapshotInfo } from "./snapshots.js";
import "./events.js";

export type { WriteResult } from "./write-path.js";

export interface MemoryFabricOptions {
  /** Directory for memory.db and memory.hnsw; ignored when `storage` is given. */
  readonly dataDir?: string;
  readonly storage?: MemoryStorage;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly events?: EventBus;
  readonly types?: TypeRegistry;
  /** Embedding dimension (default: the embedder's, else 512). */
  readonly dim?: number;
  readonly embedder?: Embedder;
  /** Embed records stored without an embedding (default true when an embedder is set). */
  readonly autoEmbed?: boolean;
  readonly hnsw?: Omit<HnswOptions, "dim">;
  /** Largest canonical content size of one record (default 64 KiB). */
  readonly maxContentBytes?: number;
  readonly quotas?: {
    readonly default?: QuotaLimits;
    readonly agents?: Readonly<Record<string, QuotaLimits>>;
    readonly lookup?: (agent: string) => QuotaLimits | undefined;
    /** The agents that created `agent`, nearest first: its writes count against their limits too. */
    readonly creators?: (agent: string) => readonly string[];
  };
  readonly merge?: MergeStrategy;
  /** Default TTL (ms) per scope string ("agent", "global", "shared/<ns>"): ephemeral regions. */
  readonly regions?: Readonly<Record<string, number>>;
  readonly scopeAccess?: ScopeAccessHook;
  readonly rerank?: RerankHook;
  readonly tenant?: string;
  /**
   * BM25 on a worker thread in parallel with the vector leg of a hybrid query (file-backed stores
   * only; ignored with `storage`): true (default) from 50,000 records on, `{ minRecords }` from that
   * many, false never. A failed worker falls back to the in-process read.
   */
  readonly lexicalWorker?: boolean | { readonly minRecords: number };
}

export class MemoryFabric implements FabricCore {
  readonly types: TypeRegistry;
  readonly clock: Clock;
  readonly dim: number;
  /** @internal */ readonly catalog = new Catalog();
  /** @internal */ readonly graph = new EdgeGraph();
  /** @internal */ readonly hnsw: Hnsw;
  /** @internal */ readonly access: AccessControl;
  /** @internal */ readonly quotas: MemoryQuotas;
  private readonly tenant: string;
  private readonly writes: WritePath;

  private constructor(readonly storage: MemoryStorage, private readonly o: MemoryFabricOptions, private readonly hnswFile: string | undefined) {
    this.types = o.types ?? new TypeRegistry();
    this.clock = o.clock ?? new RealClock();
    this.dim = o.dim ?? o.embedder?.dim ?? 512;
    if (o.embedder !== undefined && o.embedder.dim !== this.dim) throw new AiosError("E_CONFIG", `memory.dim ${this.dim} differs from the embedder's ${o.embedder.dim}`);
    this.hnsw = new Hnsw({ ...o.hnsw, dim: this.dim });
    this.access = new AccessControl(o.scopeAccess);
    this.quotas = new MemoryQuotas(o.quotas?.default, o.quotas?.agents, o.quotas?.lookup, o.quotas?.creators);
    this.tenant = o.tenant ?? "default";
    // Storage finds versions through their record; for a head asked for by hash alone, the catalog knows it.
    storage.resolveRecords?.((hash) => this.catalog.rowOfHead(hash));
    const embed = o.embedder !== undefined && (o.autoEmbed ?? true);
    this.writes = new WritePath(this, {
      ids: o.ids ?? new CounterIds(), maxBytes: o.maxContentBytes ?? 65_536, embedder: embed ? o.embedder : undefined,
      merge: o.merge, regions: o.regions, events: o.events,
    });
  }

  static async open(o: MemoryFabricOptions = {}): Promise<MemoryFabric> {
    let storage = o.storage;
    let hnswFile: string | undefined;
    if (storage === undefined) {
      if (o.dataDir === undefined) throw new AiosError("E_CONFIG", "memory: give dataDir or storage");
      ownerOnlyDir(o.dataDir);
      storage = new SqliteMemoryStorage(join(o.dataDir, "memory.db"), {
        ack: new FileAckMark(join(o.dataDir, "memory.ack"), ACK_TAG.memory),
        ...(o.lexicalWorker === undefined ? {} : { lexicalWorker: o.lexicalWorker }),
      });
      hnswFile = join(o.dataDir, "memory.hnsw");
    }
    const f = new MemoryFabric(storage, o, hnswFile);
    await f.load();
    return f;
  }

  private async load(): Promise<void> {
    for (const m of await this.storage.loadRecords()) {
      this.catalog.put(m);
      if (!m.deleted) this.quotas.apply(m.owner, m.bytes, 1);
    }
    for (const [agent, bytes] of await this.storage.loadReservations()) this.quotas.setReserved(agent, bytes);
    this.access.load(await this.storage.loadGrants());
    await this.storage.loadEdges((a, b, t) => void this.graph.add(a, b, t));
    const saved = this.hnswFile === undefined ? undefined : Hnsw.load(this.hnswFile, { ...this.o.hnsw, dim: this.dim });
    if (saved !== undefined && (await this.current(saved))) {
      (this as { hnsw: Hnsw }).hnsw = saved;
    } else {
      // The saved graph is missing or stale (crash before close): rebuild from the durable vectors.
      await this.storage.loadVectors((rowid, v) => this.hnsw.add(rowid, v));
    }
  }

  /** Whether a saved index holds exactly the durable vectors: by stamp, else (older files) by count. */
  private async current(saved: Hnsw): Promise<boolean> {
    const stamp = await this.storage.vectorStamp?.();
    if (stamp !== undefined && saved.stamp !== undefined) return stamp === saved.stamp;
    let vectors = 0;
    if (this.storage.countVectors !== undefined) vectors = await this.storage.countVectors();
    else await this.storage.loadVectors(() => void vectors++);
    return saved.size === vectors;
  }

  /** Records currently held (live heads in the catalog); observe/ exports it as a gauge. */
  get records(): number {
    return this.catalog.size;
  }

  actor(who: { agent?: string | undefined; tenant?: string | undefined } = {}): Actor {
    return { agent: who.agent ?? "system", tenant: who.tenant ?? this.tenant };
  }

  // ---- writes (write-path.ts) -----------------------------------------------------------------

  async store(input: StoreInput): Promise<WriteResult> {
    const [r] = await this.writes.storeMany([input]);
    return r as WriteResult;
  }
  /** Stores many records in one durable batch (all or none). */
  storeMany(inputs: readonly StoreInput[]): Promise<WriteResult[]> {
    return this.writes.storeMany(inputs);
  }
  update(id: string, raw: UpdateInput, strategy?: MergeStrategy): Promise<WriteResult> {
    return this.writes.update(id, raw, strategy);
  }
  /** Folds a record's branches (left by keep-both) with `strategy`. */
  merge(id: string, strategy: Exclude<MergeStrategy, "keep-both">, who: Who = {}): Promise<WriteResult> {
    return this.writes.merge(id, strategy, this.actor(who));
  }
  /** A new version whose content is that of `version`; every current head becomes its parent. */
  rollback(id: string, version: string, who: Who = {}): Promise<WriteResult> {
    return this.writes.rollback(id, version, this.actor(who));
  }
  delete(id: string, who: Who = {}): Promise<{ deleted: boolean }> {
    return this.writes.delete(id, this.actor(who));
  }
  /** Tombstones every record whose TTL has passed; returns how many. */
  sweep(): Promise<number> {
    return this.writes.sweep();
  }
  /** Names a version of a record (like a git tag); moving a label is allowed. */
  tagVersion(id: string, label: string, version?: string, who: Who = {}): Promise<void> {
    return this.writes.tagVersion(id, label, version, this.actor(who));
  }

  // ---- reads (record-reads.ts, search.ts) -----------------------------------------------------

  get(id: string, who: Who = {}): Promise<MemoryRecord> {
    return getRecord(this, id, this.actor(who));
  }
  history(id: string, who: Who = {}): Promise<{ versions: MemoryVersion[]; heads: readonly string[]; tags: Record<string, string> }> {
    return history(this, id, this.actor(who));
  }
  async version(id: string, hash: string, who: Who = {}): Promise<MemoryVersion> {
    return versionOf(this.storage, readable(this, id, this.actor(who)), hash, "version");
  }
  /** What changed between two versions (default: `to` = winning head, `from` = its first parent). */
  diff(id: string, from?: string, to?: string, who: Who = {}): Promise<{ from: string | null; to: string; changes: Change[]; tagsAdded: string[]; tagsRemoved: string[] }> {
    return diff(this, id, this.actor(who), from, to);
  }

  query(raw: QueryInput, rerank?: RerankHook): Promise<MemoryHit[]> {
    return query(this, raw, rerank ?? this.o.rerank, this.o.embedder);
  }

  // ---- graph and snapshots (implemented in graph-ops.ts and snapshots.ts) -------------------

  link(from: string, to: string, type: string, who: Who = {}): Promise<{ created: boolean }> {
    return link(this, from, to, type, who);
  }
  unlink(from: string, to: string, type: string, who: Who = {}): Promise<{ removed: boolean }> {
    return unlink(this, from, to, type, who);
  }
  neighbors(id: string, opts: TraverseInput = {}): Neighbour[] {
    return neighbors(this, id, opts);
  }
  shortestPath(from: string, to: string, opts: Omit<TraverseInput, "limit"> = {}): { id: string; via: string | null }[] | null {
    return shortestPath(this, from, to, opts);
  }
  snapshot(scope?: string, label?: string, who: Who = {}): Promise<{ id: string; records: number }> {
    return snapshot(this, scope, label, who);
  }
  /** The snapshots of a scope (default the actor's own), oldest first. */
  snapshots(scope?: string, who: Who = {}): Promise<SnapshotInfo[]> {
    return listSnapshots(this, scope, who);
  }
  restore(snapshotId: string, who: Who = {}): Promise<{ reverted: number; removed: number; revived: number }> {
    return restore(this, snapshotId, who);
  }

  // ---- scopes and quotas ----------------------------------------------------------------------

  /** Explicit grants on shared namespaces of a tenant (one namespace, or all). */
  grants(namespace?: string, tenant = this.tenant): GrantRow[] {
    return this.access.list(tenant, namespace);
  }
  /** Grants (or with null, revokes) an agent access to a shared namespace. An administrative call. */
  grant(namespace: string, agent: string, access: Access | null, tenant = this.tenant): Promise<void> {
    return grant(this, namespace, agent, access, tenant);
  }
  usage(agent: string): QuotaUsage {
    return this.quotas.usage(agent);
  }
  /** AgentMemAlloc: reserves bytes against the agent's quota; returns its total reservation. */
  alloc(agent: string, bytes: number): Promise<number> {
    return reserve(this, agent, bytes, "alloc");
  }
  /** AgentMemFree: releases reserved bytes; returns the remaining reservation. */
  free(agent: string, bytes: number): Promise<number> {
    return reserve(this, agent, bytes, "free");
  }

  /** @internal for graph and snapshot operations */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.writes.serial(fn);
  }
  /** @internal */
  mustRead(id: string, actor: Actor): RecordMeta {
    return readable(this, id, actor);
  }
  /** @internal */
  mustWrite(id: string, actor: Actor): RecordMeta {
    return writable(this, id, actor);
  }
  /** @internal restores a record to a version's content (snapshot restore). */
  revert(m: RecordMeta, target: MemoryVersion, actor: Actor): Promise<void> {
    return this.writes.revert(m, target, actor);
  }
  /** @internal */
  remove(m: RecordMeta, actor: Actor): Promise<void> {
    return this.writes.tombstone(m, actor.agent, "delete");
  }

  async close(): Promise<void> {
    if (this.writes.closed) return;
    await this.writes.close();
    // An unchanged index loaded from its file is not rewritten (at 1M x 512-d that is 2 GiB).
    const stamp = await this.storage.vectorStamp?.();
    if (this.hnswFile !== undefined && (this.hnsw.dirty || this.hnsw.stamp !== stamp || !existsSync(this.hnswFile))) this.hnsw.save(this.hnswFile, stamp);
    await this.storage.close();
  }
}

type Who = { agent?: string; tenant?: string };
