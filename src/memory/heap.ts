/**
 * A binary heap of (id, distance) pairs in growable typed arrays — the priority queues HNSW search
 * needs (a min-heap of candidates, a max-heap of results). HNSW keeps one of each per index and
 * clears it per search, so a search allocates nothing once the arrays have grown to the beam
 * width. A max-heap stores negated keys, so both kinds share one min-heap sift with no branch on
 * the kind inside the loop.
 */
export class DistHeap {
  private ids = new Int32Array(64);
  private keys = new Float64Array(64);
  private n = 0;
  private readonly sign: number;

  /** `max`: the top is the largest distance (results); otherwise the smallest (candidates). */
  constructor(max: boolean) {
    this.sign = max ? -1 : 1;
  }

  get size(): number {
    return this.n;
  }
  clear(): void {
    this.n = 0;
  }
  topId(): number {
    return this.n > 0 ? (this.ids[0] as number) : -1;
  }
  topDist(): number {
    return this.n > 0 ? (this.keys[0] as number) * this.sign : Infinity;
  }

  push(id: number, d: number): void {
    if (this.n === this.ids.length) {
      const ids = new Int32Array(this.n * 2);
      ids.set(this.ids);
      const keys = new Float64Array(this.n * 2);
      keys.set(this.keys);
      this.ids = ids;
      this.keys = keys;
    }
    const ids = this.ids, keys = this.keys, key = d * this.sign;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p] as number;
      if (pk <= key) break;
      keys[i] = pk;
      ids[i] = ids[p] as number;
      i = p;
    }
    keys[i] = key;
    ids[i] = id;
  }

  pop(): void {
    if (this.n === 0) return;
    const n = --this.n;
    if (n === 0) return;
    const ids = this.ids, keys = this.keys;
    const key = keys[n] as number, id = ids[n] as number;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (keys[c + 1] as number) < (keys[c] as number)) c++;
      if ((keys[c] as number) >= key) break;
      keys[i] = keys[c] as number;
      ids[i] = ids[c] as number;
      i = c;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** Empties the heap into `ids`/`ds` in ascending distance; returns how many. */
  drainAscending(ids: Int32Array, ds: Float64Array): number {
    const count = this.n;
    // A max-heap pops largest first, a min-heap smallest first: fill from the matching end.
    for (let k = 0; k < count; k++) {
      const at = this.sign < 0 ? count - 1 - k : k;
      ids[at] = this.topId();
      ds[at] = this.topDist();
      this.pop();
    }
    return count;
  }

  /** Entries sorted by ascending distance (copies; the heap is unchanged). */
  sorted(): { id: number; d: number }[] {
    const out: { id: number; d: number }[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: this.ids[i] as number, d: (this.keys[i] as number) * this.sign });
    return out.sort((a, b) => a.d - b.d);
  }
}
