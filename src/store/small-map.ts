/**
 * An insertion-ordered map for the journal state's per-agent letters (state.ts), which hold one or
 * two entries most of the time and change on every message: one set when a letter is journaled, one
 * delete when it is handled. A V8 Map churned that way allocates a new table whenever deleted entries
 * fill its table and again each time it empties, so up to SMALL entries live in one fixed array of
 * key/value pairs that is allocated once and never resized; past SMALL a Map takes over until the
 * entries are gone again.
 * Only what the state's readers use: get, has, set, delete, size and iteration in insertion order.
 */

/** Entries kept in the pair array before a Map takes over (a linear scan of up to this many keys). */
const SMALL = 8;

export class SmallMap<K, V> {
  /** key0, value0, key1, value1, ...: the first `n` pairs are live, the rest undefined. */
  private pairs: unknown[] | null = null;
  private n = 0;
  private big: Map<K, V> | null = null;

  get size(): number {
    return this.big === null ? this.n : this.big.size;
  }

  private find(k: K): number {
    const p = this.pairs;
    if (p === null) return -1;
    for (let i = 0; i < this.n; i++) if (p[2 * i] === k) return i;
    return -1;
  }

  get(k: K): V | undefined {
    if (this.big !== null) return this.big.get(k);
    const i = this.find(k);
    return i < 0 ? undefined : ((this.pairs as unknown[])[2 * i + 1] as V);
  }

  has(k: K): boolean {
    return this.big !== null ? this.big.has(k) : this.find(k) >= 0;
  }

  /** Sets `k` (a known key keeps its place, as in a Map). */
  set(k: K, v: V): this {
    if (this.big !== null) {
      this.big.set(k, v);
      return this;
    }
    const i = this.find(k);
    if (i >= 0) {
      (this.pairs as unknown[])[2 * i + 1] = v;
      return this;
    }
    if (this.n === SMALL) {
      const big = new Map<K, V>();
      for (const [key, value] of this.entries()) big.set(key, value);
      big.set(k, v);
      this.big = big;
      this.pairs = null;
      this.n = 0;
      return this;
    }
    const p = (this.pairs ??= new Array<unknown>(2 * SMALL).fill(undefined));
    p[2 * this.n] = k;
    p[2 * this.n + 1] = v;
    this.n++;
    return this;
  }

  delete(k: K): boolean {
    if (this.big !== null) {
      const gone = this.big.delete(k);
      // Emptied: back to the pair array (a new one on the next set), the Map's tables dropped.
      if (this.big.size === 0) this.big = null;
      return gone;
    }
    const i = this.find(k);
    if (i < 0) return false;
    const p = this.pairs as unknown[];
    const last = 2 * (this.n - 1);
    for (let j = 2 * i; j < last; j++) p[j] = p[j + 2];
    p[last] = undefined;
    p[last + 1] = undefined;
    this.n--;
    return true;
  }

  /** Calls `fn` on each entry in insertion order (no iterator objects: compaction walks every agent's). */
  forEach(fn: (v: V, k: K) => void): void {
    if (this.big !== null) {
      this.big.forEach(fn);
      return;
    }
    const p = this.pairs;
    if (p === null) return;
    for (let i = 0; i < this.n; i++) fn(p[2 * i + 1] as V, p[2 * i] as K);
  }

  *entries(): IterableIterator<[K, V]> {
    if (this.big !== null) {
      yield* this.big.entries();
      return;
    }
    const p = this.pairs;
    if (p === null) return;
    for (let i = 0; i < this.n; i++) yield [p[2 * i] as K, p[2 * i + 1] as V];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
}
