/**
 * Reading a record and its versions: the visibility rule every read and write starts from, and
 * the read operations of the fabric (get, history, one version, diff, query). Invariant: a record the
 * actor cannot read, a deleted one and an expired one are all E_NOT_FOUND alike, so a caller learns
 * nothing about records it may not see; a version is only ever returned for the record it belongs to.
 */
import { AiosError, type Clock } from "../core/index.js";
import { parseScope, type AccessControl, type Actor } from "./access.js";
import type { Catalog } from "./catalog.js";
import type { Embedder } from "./embedder.js";
import type { Hnsw } from "./hnsw.js";
import { checkVector, parseInput, QueryInputSchema, type QueryInput } from "./inputs.js";
import type { MemoryRecord, MemoryVersion, RecordMeta } from "./record.js";
import { search, type MemoryHit, type RerankHook } from "./search.js";
import type { MemoryStorage } from "./storage.js";
import { diffJson, type Change } from "./versioning.js";

/** What a read needs from the fabric. */
export interface ReadContext {
  readonly catalog: Catalog;
  readonly access: AccessControl;
  readonly storage: MemoryStorage;
  readonly clock: Clock;
}

/** A record `actor` may read; E_NOT_FOUND otherwise. */
export function readable(c: ReadContext, id: string, actor: Actor): RecordMeta {
  const m = c.catalog.byRecordId(id);
  if (m === undefined || m.deleted || !c.access.canRead(actor, m) || (m.expiresAt !== null && m.expiresAt <= c.clock.now())) {
    throw new AiosError("E_NOT_FOUND", `no memory record ${id}`, { details: { path: "id", id } });
  }
  return m;
}

/** A record `actor` may write; E_NOT_FOUND when it cannot even read it (existence is not leaked). */
export function writable(c: ReadContext, id: string, actor: Actor): RecordMeta {
  const m = readable(c, id, actor);
  c.access.require(actor, { kind: m.scope, namespace: m.namespace }, "write");
  return m;
}

/** The record's head versions, winning head first. */
export async function headsOf(storage: MemoryStorage, m: RecordMeta): Promise<MemoryVersion[]> {
  const out: MemoryVersion[] = [];
  for (const h of m.heads) {
    const v = await storage.getVersion(h, m.rowid);
    if (v === undefined) throw new AiosError("E_CORRUPT", `memory record ${m.id}: head ${h} is missing`);
    out.push(v);
  }
  return out;
}

/** Version `hash` of record `m`; E_INVALID_ARG naming `path` when it is not one of m's versions. */
export async function versionOf(storage: MemoryStorage, m: RecordMeta, hash: string, path: string): Promise<MemoryVersion> {
  const v = await storage.getVersion(hash, m.rowid);
  if (v === undefined || v.recordId !== m.id) throw new AiosError("E_INVALID_ARG", `${path}: ${hash} is not a version of ${m.id}`, { details: { path } });
  return v;
}

export async function getRecord(c: ReadContext, id: string, actor: Actor): Promise<MemoryRecord> {
  const m = readable(c, id, actor);
  const heads = await headsOf(c.storage, m);
  const win = heads[0] as MemoryVersion;
  return {
    id: m.id, type: m.type, scope: m.scope, namespace: m.namespace, owner: m.owner, content: win.content, tags: win.tags, version: win.hash,
    conflicts: heads.slice(1).map((h) => h.hash), createdAt: m.createdAt, updatedAt: m.updatedAt, expiresAt: m.expiresAt,
  };
}

export async function history(c: ReadContext, id: string, actor: Actor): Promise<{ versions: MemoryVersion[]; heads: readonly string[]; tags: Record<string, string> }> {
  const m = readable(c, id, actor);
  return { versions: await c.storage.versionsOf(id), heads: m.heads, tags: await c.storage.versionTags(id) };
}

/** What changed between two versions (default: `to` = winning head, `from` = its first parent). */
export async function diff(c: ReadContext, id: string, actor: Actor, from?: string, to?: string): Promise<{ from: string | null; to: string; changes: Change[]; tagsAdded: string[]; tagsRemoved: string[] }> {
  const m = readable(c, id, actor);
  const b = await versionOf(c.storage, m, to ?? m.heads[0] ?? "", "to");
  const fromHash = from ?? b.parents[0];
  const a = fromHash === undefined ? undefined : await versionOf(c.storage, m, fromHash, "from");
  return {
    from: a?.hash ?? null, to: b.hash, changes: diffJson(a?.content ?? null, b.content),
    tagsAdded: b.tags.filter((t) => !(a?.tags ?? []).includes(t)), tagsRemoved: (a?.tags ?? []).filter((t) => !b.tags.includes(t)),
  };
}

/** Hybrid / lexical / vector search (search.ts) after checking the query's arguments. */
export async function query(c: ReadContext & { readonly hnsw: Hnsw; readonly dim: number; actor(who: QueryInput): Actor }, raw: QueryInput,
  rerank: RerankHook | undefined, embedder: Embedder | undefined): Promise<MemoryHit[]> {
  const q = parseInput(QueryInputSchema, raw);
  if (q.text === undefined && q.vector === undefined) throw new AiosError("E_INVALID_ARG", "text: give text, vector or both", { details: { path: "text" } });
  checkVector(q.vector, c.dim, "vector");
  if (q.filter?.scope !== undefined && !["agent", "global", "shared"].includes(q.filter.scope)) parseScope(q.filter.scope, c.actor(q), "filter.scope");
  return search(
    { catalog: c.catalog, storage: c.storage, hnsw: c.hnsw, access: c.access, embedder, now: c.clock.now() },
    { text: q.text, vector: q.vector, k: q.k, filter: q.filter ?? {}, mode: q.mode, ef: q.ef, rerank },
    c.actor(q),
  );
}
