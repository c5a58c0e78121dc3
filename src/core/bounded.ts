/**
 * BoundedCache: a map that never holds more than `capacity` entries, for every cache that is filled
 * by traffic (decisions per request, chains per token, ...). Two generations: entries go into the
 * young map; when it holds half the capacity, the old generation is dropped whole and the young one
 * becomes old. A hit in the old generation moves the entry to the young one, so what is in use
 * survives (an approximate LRU at O(1) per operation, no list to maintain on the hot path).
 * Invariant: size <= capacity, always.
 */
import { AiosError } from "./errors.js";

export class BoundedCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  /** Entries dropped by generation turnover (for tests and metrics). */
  evicted = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new AiosError("E_INVALID_ARG", `BoundedCache capacity must be an integer >= 2, got ${capacity}`, { details: { path: "capacity" } });
    this.half = Math.floor(capacity / 2);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(k: K): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o === undefined) return undefined;
    this.old.delete(k);
    this.put(k, o);
    return o;
  }

  has(k: K): boolean {
    return this.young.has(k) || this.old.has(k);
  }

  set(k: K, v: V): void {
    if (this.young.has(k)) {
      this.young.set(k, v);
      return;
    }
    this.old.delete(k);
    this.put(k, v);
  }

  delete(k: K): boolean {
    const a = this.young.delete(k);
    const b = this.old.delete(k);
    return a || b;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  /** Every entry, young generation first. */
  *entries(): IterableIterator<[K, V]> {
    yield* this.young;
    yield* this.old;
  }

  values(): IterableIterator<V> {
    return [...this.young.values(), ...this.old.values()][Symbol.iterator]();
  }

  private put(k: K, v: V): void {
    if (this.young.size >= this.half) {
      this.evicted += this.old.size;
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, v);
  }
}
