/**
 * The argument schemas of the fabric's operations — one set, used by the TypeScript API and by the
 * syscalls alike, so an agent and the SDK get the same validation and the same field names in
 * their errors.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { MemoryFilterSchema } from "./catalog.js";

const who = { agent: z.string().min(1).max(256).optional(), tenant: z.string().min(1).max(256).optional() };
const tags = z.array(z.string().min(1).max(128)).max(64);

export const StoreInputSchema = z.object({
  type: z.string().min(1).max(64),
  content: z.unknown(),
  scope: z.string().max(200).optional(),
  tags: tags.optional(),
  embedding: z.array(z.number()).max(65_536).optional(),
  /** Expire after this many ms (on the fabric's clock); ephemeral regions set a default. */
  ttlMs: z.number().int().positive().optional(),
  ...who,
}).strict();
export type StoreInput = z.input<typeof StoreInputSchema>;
export type ParsedStoreInput = z.output<typeof StoreInputSchema>;

const STORE_KEYS: ReadonlySet<string> = new Set(["type", "content", "scope", "tags", "embedding", "ttlMs", "agent", "tenant"]);
const str = (v: unknown, min: number, max: number): boolean => typeof v === "string" && v.length >= min && v.length <= max;

/**
 * StoreInputSchema's parse, with a hand-written check on the write path's hot loop: an input it
 * recognises as plainly valid is copied as is (what zod would return for it); anything else —
 * unknown keys, undefined members, a bad field — goes through zod, which names the failing field.
 * The fast check only ever accepts a subset of what the schema accepts.
 */
export function parseStoreInput(raw: unknown, prefix = ""): ParsedStoreInput {
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && plainStore(raw as Record<string, unknown>)) {
    return { ...(raw as ParsedStoreInput) };
  }
  return parseInput(StoreInputSchema, raw, prefix);
}

function plainStore(o: Record<string, unknown>): boolean {
  for (const k of Object.keys(o)) if (!STORE_KEYS.has(k) || o[k] === undefined) return false;
  if (!str(o["type"], 1, 64) || !("content" in o)) return false;
  if ("scope" in o && !str(o["scope"], 0, 200)) return false;
  if ("agent" in o && !str(o["agent"], 1, 256)) return false;
  if ("tenant" in o && !str(o["tenant"], 1, 256)) return false;
  const ttl = o["ttlMs"];
  if (ttl !== undefined && !(typeof ttl === "number" && Number.isSafeInteger(ttl) && ttl > 0)) return false;
  const tags = o["tags"];
  if (tags !== undefined && !(Array.isArray(tags) && tags.length <= 64 && tags.every((t) => str(t, 1, 128)))) return false;
  const e = o["embedding"];
  if (e !== undefined) {
    if (!Array.isArray(e) || e.length > 65_536) return false;
    for (let i = 0; i < e.length; i++) {
      const x: unknown = e[i];
      if (typeof x !== "number" || !Number.isFinite(x)) return false;
    }
  }
  return true;
}

export const UpdateInputSchema = z.object({
  content: z.unknown().optional(),
  tags: tags.optional(),
  embedding: z.array(z.number()).max(65_536).optional(),
  /** The version this write is based on; a stale base makes a concurrent branch. */
  base: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  ...who,
}).strict();
export type UpdateInput = z.input<typeof UpdateInputSchema>;

export const QueryInputSchema = z.object({
  text: z.string().max(10_000).optional(),
  vector: z.array(z.number()).max(65_536).optional(),
  k: z.number().int().min(1).max(1000).default(10),
  filter: MemoryFilterSchema.optional(),
  mode: z.enum(["hybrid", "lexical", "vector"]).default("hybrid"),
  /** HNSW beam width for this query (recall/speed trade-off). */
  ef: z.number().int().min(1).max(10_000).optional(),
  ...who,
}).strict();
export type QueryInput = z.input<typeof QueryInputSchema>;

export const TraverseInputSchema = z.object({
  types: z.array(z.string()).max(64).optional(),
  direction: z.enum(["out", "in", "both"]).default("out"),
  depth: z.number().int().min(1).max(16).default(1),
  limit: z.number().int().min(1).max(1_000_000).optional(),
  filter: MemoryFilterSchema.optional(),
  ...who,
}).strict();
export type TraverseInput = z.input<typeof TraverseInputSchema>;

export const EdgeTypeSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);

/** Parses with zod; the E_INVALID_ARG names the first failing field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, prefix = ""): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((x) => x !== "").join(".") || "(input)";
  throw new AiosError("E_INVALID_ARG", `${path}: ${issue?.message ?? "invalid"}`, { details: { path } });
}

/** An embedding or query vector of `dim` finite numbers as a Float32Array (undefined stays undefined). */
export function checkVector(v: readonly number[] | undefined, dim: number, path = "embedding"): Float32Array | undefined {
  if (v === undefined) return undefined;
  if (v.length !== dim) throw new AiosError("E_INVALID_ARG", `${path}: expected ${dim} dimensions, got ${v.length}`, { details: { path, expected: dim, got: v.length } });
  if (!v.every(Number.isFinite)) throw new AiosError("E_INVALID_ARG", `${path}: every element must be a finite number`, { details: { path } });
  return Float32Array.from(v);
}
