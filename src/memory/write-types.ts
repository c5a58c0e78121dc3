/**
 * The write path's data shapes (a write's result, the resolved write settings, a version body) and
 * BatchWriter, the part of the write path the insert half (insert-batch.ts) calls back into. Their
 * own file because write-path.ts delegates storeMany to insert-batch.ts, which needs them.
 */
import type { EventBus, IdGenerator } from "../core/index.js";
import type { Embedder } from "./embedder.js";
import type { MemoryVersion, RecordMeta, VersionOp } from "./record.js";
import type { MergeStrategy } from "./versioning.js";

export interface WriteResult {
  readonly id: string;
  readonly version: string;
  /** Heads left unmerged (keep-both), besides `version`. */
  readonly conflicts?: readonly string[];
}

/** The fabric's write settings (MemoryFabricOptions resolved). */
export interface WriteSettings {
  readonly ids: IdGenerator;
  /** Largest canonical content size of one record. */
  readonly maxBytes: number;
  /** Set when records stored without an embedding are embedded. */
  readonly embedder: Embedder | undefined;
  readonly merge: MergeStrategy | undefined;
  readonly regions: Readonly<Record<string, number>> | undefined;
  readonly events: EventBus | undefined;
}

export type Body = { type: string; content: unknown; tags: readonly string[]; parents: readonly string[]; op: VersionOp; agent: string; deleted?: boolean };

/** What insert-batch.ts needs of the write path: its serial chain, content checks, version making. */
export interface BatchWriter {
  /** Runs writes one at a time, in arrival order. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Validates content against its type; its canonical JSON and size. */
  checkContent(type: string, content: unknown): { content: unknown; bytes: number; canon: string };
  /** A version of `meta` with body `b`, content-addressed. */
  newVersion(meta: RecordMeta, b: Body, canon?: string): MemoryVersion;
}
