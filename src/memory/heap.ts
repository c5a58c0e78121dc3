/**
 * A binary heap of (id, distance) pairs in parallel arrays — the priority queues HNSW search needs
 * (a min-heap of candidates, a max-heap of results). Parallel number arrays, not objects, because
 * search pushes thousands of entries per query.
 */
export class DistHeap {
  ids: number[] = [];
  ds: number[] = [];

  /** `max`: the top is the largest distance (results); otherwise the smallest (candidates). */
  constructor(private readonly max: boolean) {}

  get size(): number {
    return this.ids.length;
  }
  topId(): number {
    return this.ids[0] ?? -1;
  }
  topDist(): number {
    return this.ds[0] ?? Infinity;
  }

  private before(a: number, b: number): boolean {
    const da = this.ds[a] as number;
    const db = this.ds[b] as number;
    return this.max ? da > db : da < db;
  }

  private swap(a: number, b: number): void {
    const ti = this.ids[a] as number;
    this.ids[a] = this.ids[b] as number;
    this.ids[b] = ti;
    const td = this.ds[a] as number;
    this.ds[a] = this.ds[b] as number;
    this.ds[b] = td;
  }

  push(id: number, d: number): void {
    this.ids.push(id);
    this.ds.push(d);
    let i = this.ids.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): void {
    const n = this.ids.length - 1;
    if (n < 0) return;
    this.swap(0, n);
    this.ids.pop();
    this.ds.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.before(l, m)) m = l;
      if (r < n && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /** Entries sorted by ascending distance (drains nothing; copies). */
  sorted(): { id: number; d: number }[] {
    return this.ids.map((id, i) => ({ id, d: this.ds[i] as number })).sort((a, b) => a.d - b.d);
  }
}
