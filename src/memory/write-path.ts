/**
 * The memory fabric's write path: every operation that creates versions (store, storeMany, update,
 * merge, rollback, delete, TTL sweep, snapshot revert/remove) and version labels. Each write is:
 * validate, check access and quota, build content-addressed versions, write them durably in one
 * storage batch, then (only then) update the RAM indexes (catalog, HNSW, graph, quota usage) — so
 * RAM never holds what storage did not acknowledge, and a refused write changes nothing. Writes run
 * one at a time through one chain, so the head bookkeeping of concurrent writers is decided in
 * arrival order; a write whose base is stale becomes a branch that the merge strategy folds back.
 */
import { AiosError } from "../core/index.js";
import type { Actor } from "./access.js";
import { canonicalJson, versionHash } from "./canonical.js";
import type { FabricCore } from "./fabric-core.js";
import { checkVector, parseInput, UpdateInputSchema, type StoreInput, type UpdateInput } from "./inputs.js";
import { dedupe, storeMany } from "./insert-batch.js";
import type { MemoryVersion, RecordMeta, VersionOp } from "./record.js";
import { headsOf, versionOf, writable } from "./record-reads.js";
import type { WriteOp } from "./storage.js";
import { winner, type MergeStrategy } from "./versioning.js";
import type { BatchWriter, Body, WriteResult, WriteSettings } from "./write-types.js";

export type { Body, WriteResult, WriteSettings } from "./write-types.js";

/** Back-to-back writes allowed before the event loop gets a turn (the kernel's run loop slices at 5 ms too). */
const YIELD_MS = 5;

export class WritePath implements BatchWriter {
  private chain: Promise<unknown> = Promise.resolve();
  /** Set once close has drained the chain; later writes get E_SHUTDOWN. */
  closed = false;

  /** `f`'s indexes are read through it on every write (open may swap in a saved HNSW index). */
  constructor(private readonly f: FabricCore, private readonly s: WriteSettings) {}

  /** When the current run of back-to-back writes began (-1: the event loop had a turn since). */
  private runStart = -1;

  /**
   * Runs writes one at a time, in arrival order. A write commits synchronously and resolves through
   * microtasks only, so a loop of awaited writes would never let timers, I/O or the kernel journal's
   * group commit run (issue #19.2: a 3 s freeze). After YIELD_MS of writes with no event-loop turn
   * in between, the next write first waits for one (setImmediate); a write after a turn pays nothing.
   */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AiosError("E_SHUTDOWN", "memory fabric is closed"));
    const turn = this.pace();
    const go = turn === undefined ? fn : (): Promise<T> => turn.then(fn);
    const run = this.chain.then(go, go);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private pace(): Promise<void> | undefined {
    const now = performance.now();
    if (this.runStart < 0) {
      this.runStart = now;
      // Runs at the event loop's next turn: the run of writes ends there.
      setImmediate(() => (this.runStart = -1));
      return undefined;
    }
    if (now - this.runStart < YIELD_MS) return undefined;
    // setImmediate callbacks run in order: the reset above runs before this write resumes.
    return new Promise<void>((r) => setImmediate(r));
  }

  /** Waits for queued writes and refuses new ones. */
  async close(): Promise<void> {
    await this.chain;
    this.closed = true;
  }

  /** @internal Validates content against its type; its canonical JSON and size (E_INVALID_ARG over the limit). */
  checkContent(type: string, content: unknown): { content: unknown; bytes: number; canon: string } {
    const parsed = this.f.types.validate(type, content);
    const canon = canonicalJson(parsed);
    const bytes = Buffer.byteLength(canon);
    if (bytes > this.s.maxBytes) {
      throw new AiosError("E_INVALID_ARG", `content: ${bytes} bytes exceeds the ${this.s.maxBytes}-byte limit (store large data elsewhere and keep a reference)`, { details: { path: "content", bytes, limit: this.s.maxBytes } });
    }
    return { content: parsed, bytes, canon };
  }

  /** @internal A version of `meta` with body `b`, content-addressed (`canon`: the content's canonical JSON, when known). */
  newVersion(meta: RecordMeta, b: Body, canon?: string): MemoryVersion {
    const deleted = b.deleted ?? false;
    const hash = versionHash({ recordId: meta.id, type: b.type, content: b.content, tags: b.tags, parents: b.parents, deleted }, canon);
    return { hash, recordId: meta.id, parents: [...b.parents], type: b.type, content: b.content, tags: [...b.tags], agent: b.agent, ts: this.f.clock.now(), op: b.op, deleted };
  }

  /** Stores many records in one durable batch (all or none): insert-batch.ts. */
  storeMany(inputs: readonly StoreInput[]): Promise<WriteResult[]> {
    return storeMany(this, this.f, this.s, inputs);
  }

  async update(id: string, raw: UpdateInput, strategy?: MergeStrategy): Promise<WriteResult> {
    const f = this.f;
    const inp = parseInput(UpdateInputSchema, raw);
    const actor = f.actor(inp);
    let vector = checkVector(inp.embedding, f.dim);
    const pre = writable(f, id, actor);
    if (inp.content !== undefined) this.checkContent(pre.type, inp.content);
    if (vector === undefined && inp.content !== undefined && this.s.embedder !== undefined) {
      vector = (await this.s.embedder.embed([f.types.text(pre.type, f.types.validate(pre.type, inp.content))]))[0];
    }
    return this.serial(async () => {
      const m = writable(f, id, actor);
      const heads = await headsOf(f.storage, m);
      const top = winner(heads);
      const baseHash = inp.base ?? top?.hash;
      if (baseHash === undefined) throw new AiosError("E_INTERNAL", `memory record ${id} has no head`);
      const base = await versionOf(f.storage, m, baseHash, "base");
      const { content, bytes } = this.checkContent(m.type, inp.content ?? base.content);
      const tags = dedupe(inp.tags ?? base.tags);
      const v = this.newVersion(m, { type: m.type, content, tags, parents: [base.hash], op: "update", agent: actor.agent });
      const branches = [...heads.filter((h) => h.hash !== base.hash && h.hash !== v.hash), v];
      return this.commitHeads(m, branches, actor, [v], strategy ?? this.s.merge ?? "lww", bytes, vector, base);
    });
  }

  /**
   * Writes `fresh` versions and makes `branches` the heads, folding them with `strategy` when
   * there is more than one. Updates catalog, quota and indexes after the durable write.
   */
  private async commitHeads(m: RecordMeta, branches: MemoryVersion[], actor: Actor, fresh: MemoryVersion[], strategy: MergeStrategy,
    _bytes: number, vector: Float32Array | undefined, base: MemoryVersion | undefined): Promise<WriteResult> {
    const f = this.f;
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
    f.quotas.check(m.owner, bytes - m.bytes, 0);
    const next: RecordMeta = { ...m, heads: ordered.map((h) => h.hash), tags: win.tags, updatedAt: f.clock.now(), bytes };
    const ops: WriteOp[] = [...fresh.map((version) => ({ kind: "version" as const, version, rec: m.rowid })), { kind: "record", meta: next }, { kind: "text", rowid: m.rowid, text: f.types.text(m.type, win.content) }];
    if (vector !== undefined) ops.push({ kind: "vector", rowid: m.rowid, vector });
    await f.storage.write(ops);
    f.catalog.put(next);
    f.quotas.apply(m.owner, bytes - m.bytes, 0);
    if (vector !== undefined) f.hnsw.add(m.rowid, vector);
    if (this.s.events?.wants("memory.stored") === true) {
      this.s.events.emit("memory.stored", { id: m.id, version: win.hash, type: m.type, scope: m.scope, namespace: m.namespace, op: fresh[fresh.length - 1]?.op ?? "update" });
    }
    const conflicts = ordered.slice(1).map((h) => h.hash);
    return { id: m.id, version: win.hash, ...(conflicts.length > 0 ? { conflicts } : {}) };
  }

  /** Folds a record's branches (left by keep-both) with `strategy`. */
  async merge(id: string, strategy: Exclude<MergeStrategy, "keep-both">, actor: Actor): Promise<WriteResult> {
    return this.serial(async () => {
      const m = writable(this.f, id, actor);
      const heads = await headsOf(this.f.storage, m);
      if (heads.length < 2) return { id, version: m.heads[0] ?? "" };
      return this.commitHeads(m, heads, actor, [], strategy, 0, undefined, undefined);
    });
  }

  /** A new version whose content is that of `version`; every current head becomes its parent. */
  async rollback(id: string, version: string, actor: Actor): Promise<WriteResult> {
    return this.serial(async () => {
      const m = writable(this.f, id, actor);
      const old = await versionOf(this.f.storage, m, version, "version");
      if (old.deleted) throw new AiosError("E_INVALID_ARG", `version: ${version} is a deletion`, { details: { path: "version" } });
      const v = this.newVersion(m, { type: m.type, content: old.content, tags: old.tags, parents: m.heads, op: "rollback", agent: actor.agent });
      return this.commitHeads(m, [v], actor, [v], "lww", 0, undefined, undefined);
    });
  }

  async delete(id: string, actor: Actor): Promise<{ deleted: boolean }> {
    return this.serial(async () => {
      await this.tombstone(writable(this.f, id, actor), actor.agent, "delete");
      return { deleted: true };
    });
  }

  /** A deletion version; the record leaves search, the graph and its owner's quota. */
  async tombstone(m: RecordMeta, agent: string, op: VersionOp): Promise<void> {
    const f = this.f;
    const v = this.newVersion(m, { type: m.type, content: null, tags: [], parents: m.heads, op, agent, deleted: true });
    const next: RecordMeta = { ...m, heads: [v.hash], deleted: true, updatedAt: f.clock.now(), bytes: 0 };
    const gone = f.graph.incident(m.rowid);
    await f.storage.write([
      { kind: "version", version: v, rec: m.rowid }, { kind: "record", meta: next }, { kind: "text", rowid: m.rowid, text: null }, { kind: "vector", rowid: m.rowid, vector: null },
      ...gone.map((e) => ({ kind: "edge" as const, from: e.from, to: e.to, type: e.type, ts: 0, remove: true })),
    ]);
    f.graph.detach(m.rowid);
    f.catalog.put(next);
    f.quotas.apply(m.owner, -m.bytes, -1);
    f.hnsw.remove(m.rowid);
  }

  /** Tombstones every record whose TTL has passed; returns how many. */
  async sweep(): Promise<number> {
    return this.serial(async () => {
      const now = this.f.clock.now();
      let n = 0;
      for (const m of [...this.f.catalog.live()]) {
        if (m.expiresAt !== null && m.expiresAt <= now) {
          await this.tombstone(m, "ttl", "delete");
          n++;
        }
      }
      return n;
    });
  }

  /** Names a version of a record (like a git tag); moving a label is allowed. */
  async tagVersion(id: string, label: string, version: string | undefined, actor: Actor): Promise<void> {
    await this.serial(async () => {
      const m = writable(this.f, id, actor);
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(label)) throw new AiosError("E_INVALID_ARG", `label: "${label}" is not a valid tag name`, { details: { path: "label" } });
      const v = await versionOf(this.f.storage, m, version ?? m.heads[0] ?? "", "version");
      await this.f.storage.write([{ kind: "vtag", recordId: id, label, hash: v.hash }]);
    });
  }

  /** Restores a record to a version's content, reviving it when deleted (snapshot restore; runs inside `serial`). */
  async revert(m: RecordMeta, target: MemoryVersion, actor: Actor): Promise<void> {
    const f = this.f;
    const v = this.newVersion(m, { type: m.type, content: target.content, tags: target.tags, parents: m.heads, op: "restore", agent: actor.agent });
    const bytes = Buffer.byteLength(canonicalJson(target.content));
    if (m.deleted) f.quotas.check(m.owner, bytes, 1);
    const revived: RecordMeta = m.deleted ? { ...m, deleted: false, bytes: 0 } : m;
    if (m.deleted) {
      f.quotas.apply(m.owner, 0, 1);
      f.catalog.put(revived);
    }
    await this.commitHeads(revived, [v], actor, [v], "lww", bytes, undefined, undefined);
  }
}
