/**
 * MemoryFabric: the memory subsystem's one object. It owns the write path — validate, check access
 * and quota, build a content-addressed version, write it durably in one storage batch, then (only
 * then) update the RAM indexes (catalog, HNSW, graph, quota usage). Writes are serialised through
 * one chain, so the head bookkeeping of concurrent writers is decided in arrival order; a write
 * whose base is stale becomes a branch that the merge strategy folds back. Reads and searches run
 * against the RAM indexes plus version bodies from storage.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AiosError, CounterIds, RealClock, type Clock, type EventBus, type IdGenerator } from "../core/index.js";
import { AccessControl, parseScope, type Access, type Actor, type ScopeAccessHook } from "./access.js";
import { canonicalJson, versionHash } from "./canonical.js";
import { Catalog } from "./catalog.js";
import type { Embedder } from "./embedder.js";
import { EdgeGraph } from "./graph.js";
import { Hnsw, type HnswOptions } from "./hnsw.js";
import { parseInput, parseStoreInput, QueryInputSchema, UpdateInputSchema, type QueryInput, type StoreInput, type UpdateInput } from "./inputs.js";
import { MemoryQuotas, type QuotaLimits, type QuotaUsage } from "./quota.js";
import type { MemoryRecord, MemoryVersion, RecordMeta, Scope, VersionOp } from "./record.js";
import { search, type MemoryHit, type RerankHook } from "./search.js";
import { SqliteMemoryStorage } from "./sqlite-storage.js";
import type { MemoryStorage, WriteOp } from "./storage.js";
import { TypeRegistry } from "./type-registry.js";
import { diffJson, winner, type Change, type MergeStrategy } from "./versioning.js";
import { link, neighbors, shortestPath, unlink, type Neighbour } from "./graph-ops.js";
import { restore, snapshot } from "./snapshots.js";
import type { TraverseInput } from "./inputs.js";
import "./events.js";

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
  readonly quotas?: { readonly default?: QuotaLimits; readonly agents?: Readonly<Record<string, QuotaLimits>>; readonly lookup?: (agent: string) => QuotaLimits | undefined };
  readonly merge?: MergeStrategy;
  /** Default TTL (ms) per scope string ("agent", "global", "shared/<ns>"): ephemeral regions. */
  readonly regions?: Readonly<Record<string, number>>;
  readonly scopeAccess?: ScopeAccessHook;
  readonly rerank?: RerankHook;
  readonly tenant?: string;
}

export interface WriteResult {
  readonly id: string;
  readonly version: string;
  /** Heads left unmerged (keep-both), besides `version`. */
  readonly conflicts?: readonly string[];
}

export class MemoryFabric {
  readonly types: TypeRegistry;
  readonly clock: Clock;
  readonly dim: number;
  /** @internal */ readonly catalog = new Catalog();
  /** @internal */ readonly graph = new EdgeGraph();
  /** @internal */ readonly hnsw: Hnsw;
  /** @internal */ readonly access: AccessControl;
  /** @internal */ readonly quotas: MemoryQuotas;
  private readonly ids: IdGenerator;
  private readonly maxBytes: number;
  private readonly tenant: string;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(readonly storage: MemoryStorage, private readonly o: MemoryFabricOptions, private readonly hnswFile: string | undefined) {
    this.types = o.types ?? new TypeRegistry();
    this.clock = o.clock ?? new RealClock();
    this.ids = o.ids ?? new CounterIds();
    this.dim = o.dim ?? o.embedder?.dim ?? 512;
    if (o.embedder !== undefined && o.embedder.dim !== this.dim) throw new AiosError("E_CONFIG", `memory.dim ${this.dim} differs from the embedder's ${o.embedder.dim}`);
    this.hnsw = new Hnsw({ ...o.hnsw, dim: this.dim });
    this.access = new AccessControl(o.scopeAccess);
    this.quotas = new MemoryQuotas(o.quotas?.default, o.quotas?.agents, o.quotas?.lookup);
    this.maxBytes = o.maxContentBytes ?? 65_536;
    this.tenant = o.tenant ?? "default";
  }

  static async open(o: MemoryFabricOptions = {}): Promise<MemoryFabric> {
    let storage = o.storage;
    let hnswFile: string | undefined;
    if (storage === undefined) {
      if (o.dataDir === undefined) throw new AiosError("E_CONFIG", "memory: give dataDir or storage");
      mkdirSync(o.dataDir, { recursive: true });
      storage = new SqliteMemoryStorage(join(o.dataDir, "memory.db"));
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

  actor(who: { agent?: string | undefined; tenant?: string | undefined } = {}): Actor {
    return { agent: who.agent ?? "system", tenant: who.tenant ?? this.tenant };
  }

  /** Runs writes one at a time, in arrival order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AiosError("E_SHUTDOWN", "memory fabric is closed"));
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private checkContent(type: string, content: unknown): { content: unknown; bytes: number; canon: string } {
    const parsed = this.types.validate(type, content);
    const canon = canonicalJson(parsed);
    const bytes = Buffer.byteLength(canon);
    if (bytes > this.maxBytes) {
      throw new AiosError("E_INVALID_ARG", `content: ${bytes} bytes exceeds the ${this.maxBytes}-byte limit (store large data elsewhere and keep a reference)`, { details: { path: "content", bytes, limit: this.maxBytes } });
    }
    return { content: parsed, bytes, canon };
  }

  private checkVector(v: readonly number[] | undefined, path = "embedding"): Float32Array | undefined {
    if (v === undefined) return undefined;
    if (v.length !== this.dim) throw new AiosError("E_INVALID_ARG", `${path}: expected ${this.dim} dimensions, got ${v.length}`, { details: { path, expected: this.dim, got: v.length } });
    if (!v.every(Number.isFinite)) throw new AiosError("E_INVALID_ARG", `${path}: every element must be a finite number`, { details: { path } });
    return Float32Array.from(v);
  }

  private autoEmbed(): boolean {
    return this.o.embedder !== undefined && (this.o.autoEmbed ?? true);
  }

  private newVersion(meta: RecordMeta, b: { type: string; content: unknown; tags: readonly string[]; parents: readonly string[]; op: VersionOp; agent: string; deleted?: boolean }, canon?: string): MemoryVersion {
    const deleted = b.deleted ?? false;
    const hash = versionHash({ recordId: meta.id, type: b.type, content: b.content, tags: b.tags, parents: b.parents, deleted }, canon);
    return { hash, recordId: meta.id, parents: [...b.parents], type: b.type, content: b.content, tags: [...b.tags], agent: b.agent, ts: this.clock.now(), op: b.op, deleted };
  }

  // ---- writes ---------------------------------------------------------------------------------

  async store(input: StoreInput): Promise<WriteResult> {
    const [r] = await this.storeMany([input]);
    return r as WriteResult;
  }

  /** Stores many records in one durable batch (all or none). */
  async storeMany(inputs: readonly StoreInput[]): Promise<WriteResult[]> {
    const prepared = inputs.map((raw, i) => {
      const inp = parseStoreInput(raw, inputs.length > 1 ? `[${i}]` : "");
      const actor = this.actor(inp);
      const scope = parseScope(inp.scope, actor);
      this.access.require(actor, scope, "write");
      const { content, bytes, canon } = this.checkContent(inp.type, inp.content);
      return { inp, actor, scope, content, bytes, canon, vector: this.checkVector(inp.embedding) };
    });
    const need = prepared.filter((p) => p.vector === undefined);
    if (this.autoEmbed() && need.length > 0 && this.o.embedder !== undefined) {
      const vs = await this.o.embedder.embed(need.map((p) => this.types.text(p.inp.type, p.content)));
      need.forEach((p, i) => (p.vector = vs[i]));
    }
    return this.serial(async () => {
      const perAgent = new Map<string, { bytes: number; records: number }>();
      for (const p of prepared) {
        const u = perAgent.get(p.actor.agent) ?? { bytes: 0, records: 0 };
        perAgent.set(p.actor.agent, { bytes: u.bytes + p.bytes, records: u.records + 1 });
      }
      for (const [agent, u] of perAgent) this.quotas.check(agent, u.bytes, u.records);
      const now = this.clock.now();
      const ops: WriteOp[] = [];
      const metas: { meta: RecordMeta; vector: Float32Array | undefined }[] = [];
      for (const p of prepared) {
        const ttl = p.inp.ttlMs ?? this.o.regions?.[scopeString(p.scope)];
        const meta: RecordMeta = {
          rowid: this.catalog.allocRow(), id: this.ids.next("mem"), tenant: p.actor.tenant, scope: p.scope.kind, namespace: p.scope.namespace,
          owner: p.actor.agent, createdAt: now, type: p.inp.type, tags: dedupe(p.inp.tags ?? []), heads: [], updatedAt: now,
          expiresAt: ttl === undefined ? null : now + ttl, deleted: false, bytes: p.bytes,
        };
        const v = this.newVersion(meta, { type: meta.type, content: p.content, tags: meta.tags, parents: [], op: "create", agent: p.actor.agent }, p.canon);
        meta.heads = [v.hash];
        ops.push({ kind: "version", version: v, rec: meta.rowid, fresh: true, contentJson: p.canon }, { kind: "record", meta, fresh: true },
          { kind: "text", rowid: meta.rowid, text: this.types.text(meta.type, p.content), fresh: true });
        if (p.vector !== undefined) ops.push({ kind: "vector", rowid: meta.rowid, vector: p.vector });
        metas.push({ meta, vector: p.vector });
      }
      await this.storage.write(ops);
      for (const { meta, vector } of metas) {
        this.catalog.put(meta);
        this.quotas.apply(meta.owner, meta.bytes, 1);
        if (vector !== undefined) this.hnsw.add(meta.rowid, vector);
      }
      if (this.o.events?.wants("memory.stored") === true) {
        for (const { meta } of metas) this.o.events.emit("memory.stored", { id: meta.id, version: meta.heads[0] ?? "", type: meta.type, scope: meta.scope, namespace: meta.namespace, op: "create" });
      }
      return metas.map(({ meta }) => ({ id: meta.id, version: meta.heads[0] ?? "" }));
    });
  }

  /** A record `actor` may write; E_NOT_FOUND when it cannot even read it (existence is not leaked). */
  private writable(id: string, actor: Actor): RecordMeta {
    const m = this.readable(id, actor);
    this.access.require(actor, { kind: m.scope, namespace: m.namespace }, "write");
    return m;
  }

  private readable(id: string, actor: Actor): RecordMeta {
    const m = this.catalog.byRecordId(id);
    if (m === undefined || m.deleted || !this.access.canRead(actor, m) || (m.expiresAt !== null && m.expiresAt <= this.clock.now())) {
      throw new AiosError("E_NOT_FOUND", `no memory record ${id}`, { details: { path: "id", id } });
    }
    return m;
  }

  private async heads(m: RecordMeta): Promise<MemoryVersion[]> {
    const out: MemoryVersion[] = [];
    for (const h of m.heads) {
      const v = await this.storage.getVersion(h);
      if (v === undefined) throw new AiosError("E_CORRUPT", `memory record ${m.id}: head ${h} is missing`);
      out.push(v);
    }
    return out;
  }

  private async versionOf(m: RecordMeta, hash: string, path: string): Promise<MemoryVersion> {
    const v = await this.storage.getVersion(hash);
    if (v === undefined || v.recordId !== m.id) throw new AiosError("E_INVALID_ARG", `${path}: ${hash} is not a version of ${m.id}`, { details: { path } });
    return v;
  }

  async update(id: string, raw: UpdateInput, strategy?: MergeStrategy): Promise<WriteResult> {
    const inp = parseInput(UpdateInputSchema, raw);
    const actor = this.actor(inp);
    let vector = this.checkVector(inp.embedding);
    const pre = this.writable(id, actor);
    if (inp.content !== undefined) this.checkContent(pre.type, inp.content);
    if (vector === undefined && inp.content !== undefined && this.autoEmbed() && this.o.embedder !== undefined) {
      vector = (await this.o.embedder.embed([this.types.text(pre.type, this.types.validate(pre.type, inp.content))]))[0];
    }
    return this.serial(async () => {
      const m = this.writable(id, actor);
      const heads = await this.heads(m);
      const top = winner(heads);
      const baseHash = inp.base ?? top?.hash;
      if (baseHash === undefined) throw new AiosError("E_INTERNAL", `memory record ${id} has no head`);
      const base = await this.versionOf(m, baseHash, "base");
      const { content, bytes } = this.checkContent(m.type, inp.content ?? base.content);
      const tags = dedupe(inp.tags ?? base.tags);
      const v = this.newVersion(m, { type: m.type, content, tags, parents: [base.hash], op: "update", agent: actor.agent });
      const branches = [...heads.filter((h) => h.hash !== base.hash && h.hash !== v.hash), v];
      return this.commitHeads(m, branches, actor, [v], strategy ?? this.o.merge ?? "lww", bytes, vector, base);
    });
  }

  /**
   * Writes `fresh` versions and makes `branches` the heads, folding them with `strategy` when
   * there is more than one. Updates catalog, quota and indexes after the durable write.
   */
  private async commitHeads(m: RecordMeta, branches: MemoryVersion[], actor: Actor, fresh: MemoryVersion[], strategy: MergeStrategy,
    _bytes: number, vector: Float32Array | undefined, base: MemoryVersion | undefined): Promise<WriteResult> {
    let heads = branches;
    if (heads.length > 1 && strategy !== "keep-both") {
      const win = winner(heads) as MemoryVersion;
      const content = typeof strategy === "function" ? this.checkContent(m.type, strategy({ base, heads })).content : win.content;
      const merged = this.newVersion(m, { type: m.type, content, tags: win.tags, parents: heads.map((h) => h.hash), op: "merge", agent: actor.agent });
      fresh = [...fresh, merged];
      heads = [merged];
    }
    const win = winner(heads) as MemoryVersion;
    const ordered = [win, ...heads.filter((h) => h !== win)];
    const bytes = Buffer.byteLength(canonicalJson(win.content));
    this.quotas.check(m.owner, bytes - m.bytes, 0);
    const next: RecordMeta = { ...m, heads: ordered.map((h) => h.hash), tags: win.tags, updatedAt: this.clock.now(), bytes };
    const ops: WriteOp[] = [...fresh.map((version) => ({ kind: "version" as const, version, rec: m.rowid })), { kind: "record", meta: next }, { kind: "text", rowid: m.rowid, text: this.types.text(m.type, win.content) }];
    if (vector !== undefined) ops.push({ kind: "vector", rowid: m.rowid, vector });
    await this.storage.write(ops);
    this.catalog.put(next);
    this.quotas.apply(m.owner, bytes - m.bytes, 0);
    if (vector !== undefined) this.hnsw.add(m.rowid, vector);
    if (this.o.events?.wants("memory.stored") === true) {
      this.o.events.emit("memory.stored", { id: m.id, version: win.hash, type: m.type, scope: m.scope, namespace: m.namespace, op: fresh[fresh.length - 1]?.op ?? "update" });
    }
    const conflicts = ordered.slice(1).map((h) => h.hash);
    return { id: m.id, version: win.hash, ...(conflicts.length > 0 ? { conflicts } : {}) };
  }

  /** Folds a record's branches (left by keep-both) with `strategy`. */
  async merge(id: string, strategy: Exclude<MergeStrategy, "keep-both">, who: Who = {}): Promise<WriteResult> {
    const actor = this.actor(who);
    return this.serial(async () => {
      const m = this.writable(id, actor);
      const heads = await this.heads(m);
      if (heads.length < 2) return { id, version: m.heads[0] ?? "" };
      return this.commitHeads(m, heads, actor, [], strategy, 0, undefined, undefined);
    });
  }

  /** A new version whose content is that of `version`; every current head becomes its parent. */
  async rollback(id: string, version: string, who: Who = {}): Promise<WriteResult> {
    const actor = this.actor(who);
    return this.serial(async () => {
      const m = this.writable(id, actor);
      const old = await this.versionOf(m, version, "version");
      if (old.deleted) throw new AiosError("E_INVALID_ARG", `version: ${version} is a deletion`, { details: { path: "version" } });
      const v = this.newVersion(m, { type: m.type, content: old.content, tags: old.tags, parents: m.heads, op: "rollback", agent: actor.agent });
      return this.commitHeads(m, [v], actor, [v], "lww", 0, undefined, undefined);
    });
  }

  async delete(id: string, who: Who = {}): Promise<{ deleted: boolean }> {
    const actor = this.actor(who);
    return this.serial(async () => {
      this.writable(id, actor);
      await this.tombstone(this.catalog.byRecordId(id) as RecordMeta, actor.agent, "delete");
      return { deleted: true };
    });
  }

  private async tombstone(m: RecordMeta, agent: string, op: VersionOp): Promise<void> {
    const v = this.newVersion(m, { type: m.type, content: null, tags: [], parents: m.heads, op, agent, deleted: true });
    const next: RecordMeta = { ...m, heads: [v.hash], deleted: true, updatedAt: this.clock.now(), bytes: 0 };
    const gone = this.graph.incident(m.rowid);
    await this.storage.write([
      { kind: "version", version: v, rec: m.rowid }, { kind: "record", meta: next }, { kind: "text", rowid: m.rowid, text: null }, { kind: "vector", rowid: m.rowid, vector: null },
      ...gone.map((e) => ({ kind: "edge" as const, from: e.from, to: e.to, type: e.type, ts: 0, remove: true })),
    ]);
    this.graph.detach(m.rowid);
    this.catalog.put(next);
    this.quotas.apply(m.owner, -m.bytes, -1);
    this.hnsw.remove(m.rowid);
  }

  /** Tombstones every record whose TTL has passed; returns how many. */
  async sweep(): Promise<number> {
    return this.serial(async () => {
      const now = this.clock.now();
      let n = 0;
      for (const m of [...this.catalog.live()]) {
        if (m.expiresAt !== null && m.expiresAt <= now) {
          await this.tombstone(m, "ttl", "delete");
          n++;
        }
      }
      return n;
    });
  }

  // ---- reads ----------------------------------------------------------------------------------

  async get(id: string, who: Who = {}): Promise<MemoryRecord> {
    const m = this.readable(id, this.actor(who));
    const heads = await this.heads(m);
    const win = heads[0] as MemoryVersion;
    return {
      id: m.id, type: m.type, scope: m.scope, namespace: m.namespace, owner: m.owner, content: win.content, tags: win.tags, version: win.hash,
      conflicts: heads.slice(1).map((h) => h.hash), createdAt: m.createdAt, updatedAt: m.updatedAt, expiresAt: m.expiresAt,
    };
  }

  async history(id: string, who: Who = {}): Promise<{ versions: MemoryVersion[]; heads: readonly string[]; tags: Record<string, string> }> {
    const m = this.readable(id, this.actor(who));
    return { versions: await this.storage.versionsOf(id), heads: m.heads, tags: await this.storage.versionTags(id) };
  }

  async version(id: string, hash: string, who: Who = {}): Promise<MemoryVersion> {
    return this.versionOf(this.readable(id, this.actor(who)), hash, "version");
  }

  /** Names a version of a record (like a git tag); moving a label is allowed. */
  async tagVersion(id: string, label: string, version?: string, who: Who = {}): Promise<void> {
    const actor = this.actor(who);
    await this.serial(async () => {
      const m = this.writable(id, actor);
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(label)) throw new AiosError("E_INVALID_ARG", `label: "${label}" is not a valid tag name`, { details: { path: "label" } });
      const v = await this.versionOf(m, version ?? m.heads[0] ?? "", "version");
      await this.storage.write([{ kind: "vtag", recordId: id, label, hash: v.hash }]);
    });
  }

  async query(raw: QueryInput, rerank?: RerankHook): Promise<MemoryHit[]> {
    const q = parseInput(QueryInputSchema, raw);
    if (q.text === undefined && q.vector === undefined) throw new AiosError("E_INVALID_ARG", "text: give text, vector or both", { details: { path: "text" } });
    this.checkVector(q.vector, "vector");
    if (q.filter?.scope !== undefined && !["agent", "global", "shared"].includes(q.filter.scope)) parseScope(q.filter.scope, this.actor(q), "filter.scope");
    const hook = rerank ?? this.o.rerank;
    return search(
      { catalog: this.catalog, storage: this.storage, hnsw: this.hnsw, access: this.access, embedder: this.o.embedder, now: this.clock.now() },
      { text: q.text, vector: q.vector, k: q.k, filter: q.filter ?? {}, mode: q.mode, ef: q.ef, rerank: hook },
      this.actor(q),
    );
  }

  /** What changed between two versions (default: `to` = winning head, `from` = its first parent). */
  async diff(id: string, from?: string, to?: string, who: Who = {}): Promise<{ from: string | null; to: string; changes: Change[]; tagsAdded: string[]; tagsRemoved: string[] }> {
    const m = this.readable(id, this.actor(who));
    const b = await this.versionOf(m, to ?? m.heads[0] ?? "", "to");
    const fromHash = from ?? b.parents[0];
    const a = fromHash === undefined ? undefined : await this.versionOf(m, fromHash, "from");
    return {
      from: a?.hash ?? null, to: b.hash, changes: diffJson(a?.content ?? null, b.content),
      tagsAdded: b.tags.filter((t) => !(a?.tags ?? []).includes(t)), tagsRemoved: (a?.tags ?? []).filter((t) => !b.tags.includes(t)),
    };
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
  restore(snapshotId: string, who: Who = {}): Promise<{ reverted: number; removed: number; revived: number }> {
    return restore(this, snapshotId, who);
  }

  // ---- scopes and quotas ----------------------------------------------------------------------

  /** Grants (or with null, revokes) an agent access to a shared namespace. An administrative call. */
  async grant(namespace: string, agent: string, access: Access | null, tenant = this.tenant): Promise<void> {
    parseScope(`shared/${namespace}`, this.actor(), "namespace");
    await this.serial(async () => {
      await this.storage.write([{ kind: "grant", tenant, namespace, agent, access }]);
      this.access.setGrant(tenant, namespace, agent, access);
    });
  }

  usage(agent: string): QuotaUsage {
    return this.quotas.usage(agent);
  }

  /** AgentMemAlloc: reserves bytes against the agent's quota; returns its total reservation. */
  async alloc(agent: string, bytes: number): Promise<number> {
    assertBytes(bytes);
    return this.serial(async () => {
      const total = this.quotas.afterAlloc(agent, bytes);
      await this.storage.write([{ kind: "reserve", agent, bytes: total }]);
      this.quotas.setReserved(agent, total);
      return total;
    });
  }

  /** AgentMemFree: releases reserved bytes; returns the remaining reservation. */
  async free(agent: string, bytes: number): Promise<number> {
    assertBytes(bytes);
    return this.serial(async () => {
      const total = this.quotas.afterFree(agent, bytes);
      await this.storage.write([{ kind: "reserve", agent, bytes: total }]);
      this.quotas.setReserved(agent, total);
      return total;
    });
  }

  /** @internal for graph and snapshot operations */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(fn);
  }
  /** @internal */
  mustRead(id: string, actor: Actor): RecordMeta {
    return this.readable(id, actor);
  }
  /** @internal */
  mustWrite(id: string, actor: Actor): RecordMeta {
    return this.writable(id, actor);
  }
  /** @internal restores a record to a version's content (snapshot restore). */
  async revert(m: RecordMeta, target: MemoryVersion, actor: Actor): Promise<void> {
    const v = this.newVersion(m, { type: m.type, content: target.content, tags: target.tags, parents: m.heads, op: "restore", agent: actor.agent });
    const bytes = Buffer.byteLength(canonicalJson(target.content));
    if (m.deleted) this.quotas.check(m.owner, bytes, 1);
    const revived: RecordMeta = m.deleted ? { ...m, deleted: false, bytes: 0 } : m;
    if (m.deleted) {
      this.quotas.apply(m.owner, 0, 1);
      this.catalog.put(revived);
    }
    await this.commitHeads(revived, [v], actor, [v], "lww", bytes, undefined, undefined);
  }
  /** @internal */
  async remove(m: RecordMeta, actor: Actor): Promise<void> {
    await this.tombstone(m, actor.agent, "delete");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    // An unchanged index loaded from its file is not rewritten (at 1M x 512-d that is 2 GiB).
    const stamp = await this.storage.vectorStamp?.();
    if (this.hnswFile !== undefined && (this.hnsw.dirty || this.hnsw.stamp !== stamp || !existsSync(this.hnswFile))) this.hnsw.save(this.hnswFile, stamp);
    await this.storage.close();
  }
}

type Who = { agent?: string; tenant?: string };

function dedupe(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

function scopeString(s: Scope): string {
  return s.kind === "shared" ? `shared/${s.namespace}` : s.kind;
}

function assertBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new AiosError("E_INVALID_ARG", "bytes: must be a non-negative integer", { details: { path: "bytes" } });
}
