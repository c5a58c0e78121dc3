/**
 * memory/: the memory fabric — typed (24 standard types, registry of zod schemas), versioned
 * (content-addressed versions in a causal graph, branches and merges, history, diff, rollback,
 * tags, TTL), scoped (agent / shared / global per tenant, snapshots), searchable (FTS5 BM25, HNSW
 * dense vectors, reciprocal-rank fusion, rerank hook, typed-edge graph traversal), quota'd, on
 * SQLite behind a storage seam; joined to the kernel by memorySubsystem.
 */
export { MemoryFabric, type MemoryFabricOptions, type WriteResult } from "./fabric.js";
export { memorySubsystem, type MemoryService, type MemorySubsystemOptions } from "./subsystem.js";
export { memorySyscalls } from "./syscalls.js";
export { memoryAdminSyscalls } from "./admin-syscalls.js";
export type { SnapshotInfo } from "./snapshots.js";
export { TypeRegistry, allStrings, type MemoryTypeDef } from "./type-registry.js";
export { STANDARD_TYPES } from "./standard-types.js";
export { Hnsw, type HnswOptions, type HnswHit } from "./hnsw.js";
export { UseLiteEmbedder, OpenAiEmbedder, type Embedder, type OpenAiEmbedderOptions } from "./embedder.js";
export { SqliteMemoryStorage } from "./sqlite-storage.js";
export type { MemoryStorage, WriteOp, SnapshotRow, GrantRow } from "./storage.js";
export { WorkingMemory } from "./working.js";
export { EdgeGraph, type Direction, type TraverseOptions } from "./graph.js";
export { parseScope, scopeResource, type Actor, type Access, type ScopeAccessHook } from "./access.js";
export { canonicalJson, versionHash } from "./canonical.js";
export { diffJson, winner, type Change, type MergeFn, type MergeInput, type MergeStrategy } from "./versioning.js";
export { MemoryFilterSchema, type MemoryFilter } from "./catalog.js";
export { StoreInputSchema, UpdateInputSchema, QueryInputSchema, TraverseInputSchema } from "./inputs.js";
export { RRF_K, type MemoryHit, type RerankHook } from "./search.js";
export type { Neighbour } from "./graph-ops.js";
export type { QuotaLimits, QuotaUsage } from "./quota.js";
export type { MemoryRecord, MemoryVersion, Scope, ScopeKind, Edge } from "./record.js";
export type { StoreInput, UpdateInput, QueryInput, TraverseInput } from "./inputs.js";
