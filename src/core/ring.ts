/**
 * A growable FIFO ring buffer. Queues on the kernel's hot paths (mailboxes, the run queue) use it:
 * push and shift are O(1) with no per-element allocation, and an empty ring holds a 4-slot array.
 */
export class Ring<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private n = 0;

  constructor(capacity = 4) {
    let c = 4;
    while (c < capacity) c *= 2; // a power of two, so indexes wrap with a mask
    this.buf = new Array<T | undefined>(c);
  }

  get length(): number {
    return this.n;
  }

  push(v: T): void {
    if (this.n === this.buf.length) this.grow();
    this.buf[(this.head + this.n) & (this.buf.length - 1)] = v;
    this.n++;
  }

  shift(): T | undefined {
    if (this.n === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.n--;
    return v;
  }

  peek(): T | undefined {
    return this.n === 0 ? undefined : this.buf[this.head];
  }

  /** Items in FIFO order (a copy). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.buf[(this.head + i) & (this.buf.length - 1)] as T);
    return out;
  }

  clear(): void {
    this.buf = new Array<T | undefined>(4);
    this.head = 0;
    this.n = 0;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.n; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
