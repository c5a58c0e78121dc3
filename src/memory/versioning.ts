/**
 * Version-graph helpers: content diffs and merge strategies. Concurrent writes from the same base
 * become sibling heads; a strategy folds them back: `lww` (the newest head's content wins; ties go
 * to the larger hash, so every replica picks the same winner), `keep-both` (heads stay as branches;
 * readers see the winner plus `conflicts`), or a caller function producing the merged content
 * (validated against the record's type like any write).
 */
import type { MemoryVersion } from "./record.js";

export interface MergeInput {
  readonly base: MemoryVersion | undefined;
  readonly heads: readonly MemoryVersion[];
}
export type MergeFn = (input: MergeInput) => unknown;
export type MergeStrategy = "lww" | "keep-both" | MergeFn;

/** The head readers see first: newest timestamp, then larger hash. */
export function winner(heads: readonly MemoryVersion[]): MemoryVersion | undefined {
  let best: MemoryVersion | undefined;
  for (const h of heads) if (best === undefined || h.ts > best.ts || (h.ts === best.ts && h.hash > best.hash)) best = h;
  return best;
}

export interface Change {
  /** JSON-pointer path of the change ("" is the whole value). */
  readonly path: string;
  readonly op: "add" | "remove" | "replace";
  readonly from?: unknown;
  readonly to?: unknown;
}

/** A structural diff of two JSON values. */
export function diffJson(a: unknown, b: unknown, path = ""): Change[] {
  if (Object.is(a, b)) return [];
  const bothObj = isObj(a) && isObj(b);
  const bothArr = Array.isArray(a) && Array.isArray(b);
  if (bothArr) {
    const out: Change[] = [];
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}/${i}`;
      if (i >= a.length) out.push({ path: p, op: "add", to: b[i] });
      else if (i >= b.length) out.push({ path: p, op: "remove", from: a[i] });
      else out.push(...diffJson(a[i], b[i], p));
    }
    return out;
  }
  if (bothObj) {
    const out: Change[] = [];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (!(k in b)) out.push({ path: p, op: "remove", from: a[k] });
      else if (!(k in a)) out.push({ path: p, op: "add", to: b[k] });
      else out.push(...diffJson(a[k], b[k], p));
    }
    return out;
  }
  return [{ path, op: "replace", from: a, to: b }];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
