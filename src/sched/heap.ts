/**
 * A binary min-heap ordered by a `less` function. Used with lazy deletion: callers push entries that
 * snapshot their key and skip stale entries on pop, which keeps cancellation and re-keying O(log n)
 * without index bookkeeping.
 */
export class MinHeap<E> {
  private readonly a: E[] = [];

  constructor(private readonly less: (x: E, y: E) => boolean) {}

  get size(): number {
    return this.a.length;
  }

  peek(): E | undefined {
    return this.a[0];
  }

  push(e: E): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p] as E;
      if (!this.less(e, pe)) break;
      a[i] = pe;
      i = p;
    }
    a[i] = e;
  }

  pop(): E | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(a[r] as E, a[l] as E)) c = r;
      if (!this.less(a[c] as E, last)) break;
      a[i] = a[c] as E;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
