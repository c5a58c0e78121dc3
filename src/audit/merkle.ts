/**
 * RFC 9162 section 2.1 Merkle trees over leaf hashes: the tree head (MTH), inclusion proofs
 * (PATH) and consistency proofs (PROOF/SUBPROOF), and their verification algorithms (2.1.3.2 and
 * 2.1.4.2) — written from the RFC's definitions, with the split at the largest power of two smaller
 * than n. `MerkleTree` answers proofs for a fixed list of leaves; it memoises every perfect, aligned
 * subtree, so a proof costs O(log n) hashes after an O(n) build. Verification is merkle-verify.ts.
 *
 * Sizes and indexes are JS numbers (safe up to 2^53, far beyond any one log).
 */
import { EMPTY_ROOT, HASH_BYTES, nodeHash } from "./hashing.js";

export interface TreeHead {
  readonly size: number;
  readonly root: Buffer;
}

/** Largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Growable array of 32-byte hashes in one buffer, so a million nodes are not a million objects. */
class HashArray {
  private buf = Buffer.alloc(HASH_BYTES * 64);
  length = 0;
  push(h: Uint8Array): void {
    if ((this.length + 1) * HASH_BYTES > this.buf.length) {
      const next = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(next);
      this.buf = next;
    }
    this.buf.set(h, this.length * HASH_BYTES);
    this.length++;
  }
  get(i: number): Buffer {
    return this.buf.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }
}

export class MerkleTree {
  /** levels[k] holds the hashes of the perfect subtrees of 2^k leaves, left to right. */
  private readonly levels: HashArray[] = [new HashArray()];

  constructor(leaves: Iterable<Uint8Array> = []) {
    for (const l of leaves) this.push(l);
  }

  get size(): number {
    return (this.levels[0] as HashArray).length;
  }

  push(leaf: Uint8Array): void {
    let level = 0;
    let h: Uint8Array = leaf;
    for (;;) {
      const arr = this.levels[level] ?? (this.levels[level] = new HashArray());
      arr.push(h);
      if (arr.length % 2 !== 0) return;
      h = nodeHash(arr.get(arr.length - 2), arr.get(arr.length - 1));
      level++;
    }
  }

  leaf(i: number): Buffer {
    return (this.levels[0] as HashArray).get(i);
  }

  /** MTH(D[start:start+n]). */
  hash(start: number, n: number): Buffer {
    if (n === 0) return EMPTY_ROOT;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = Math.log2(n);
      const arr = this.levels[level];
      if (arr !== undefined && start / n < arr.length) return arr.get(start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.hash(start, k), this.hash(start + k, n - k));
  }

  head(size: number = this.size): TreeHead {
    checkSize(size, this.size);
    return { size, root: this.hash(0, size) };
  }

  /** PATH(index, D[0:size]), leaf-to-root order. */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    checkSize(size, this.size);
    if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} is outside a tree of ${size}`);
    const path: Buffer[] = [];
    let start = 0;
    let n = size;
    let m = index;
    // Iterative form of PATH: walk down, collecting siblings root-first, then reverse.
    while (n > 1) {
      const k = splitPoint(n);
      if (m < k) {
        path.push(this.hash(start + k, n - k));
        n = k;
      } else {
        path.push(this.hash(start, k));
        start += k;
        m -= k;
        n -= k;
      }
    }
    return path.reverse();
  }

  /** PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true), in the RFC's order. */
  consistencyProof(m: number, n: number = this.size): Buffer[] {
    checkSize(n, this.size);
    if (!Number.isInteger(m) || m < 0 || m > n) throw new RangeError(`old size ${m} is not within 0..${n}`);
    if (m === 0 || m === n) return [];
    const out: Buffer[] = [];
    this.subproof(m, 0, n, true, out);
    return out;
  }

  private subproof(m: number, start: number, n: number, complete: boolean, out: Buffer[]): void {
    if (m === n) {
      if (!complete) out.push(this.hash(start, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, k, complete, out);
      out.push(this.hash(start + k, n - k));
    } else {
      this.subproof(m - k, start + k, n - k, false, out);
      out.push(this.hash(start, k));
    }
  }
}

function checkSize(size: number, have: number): void {
  if (!Number.isInteger(size) || size < 0 || size > have) throw new RangeError(`tree size ${size} is not within 0..${have}`);
}

/**
 * Incremental tree head for an append-only sequence: keeps only the O(log n) perfect subtrees of
 * the binary decomposition of n, largest first, which is exactly how MTH splits a tree.
 */
export class MerkleAccumulator {
  private readonly stack: Buffer[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(leaf: Buffer): void {
    let h = leaf;
    for (let s = this.n; (s & 1) === 1; s = Math.floor(s / 2)) h = nodeHash(this.stack.pop() as Buffer, h);
    this.stack.push(h);
    this.n++;
  }

  clone(): MerkleAccumulator {
    const c = new MerkleAccumulator();
    c.stack.push(...this.stack);
    c.n = this.n;
    return c;
  }

  /** `<size>:<hex>,<hex>...` — small (log2 n hashes), stored so reopening a log is O(1). */
  serialize(): string {
    return `${this.n}:${this.stack.map((h) => h.toString("hex")).join(",")}`;
  }

  static deserialize(s: string): MerkleAccumulator | null {
    const m = /^(\d+):((?:[0-9a-f]{64})(?:,[0-9a-f]{64})*)?$/.exec(s);
    if (m === null) return null;
    const a = new MerkleAccumulator();
    a.n = Number(m[1]);
    if (m[2] !== undefined) for (const h of m[2].split(",")) a.stack.push(Buffer.from(h, "hex"));
    // The stack holds one subtree per set bit of n; anything else is not a state this class made.
    let bits = 0;
    for (let x = a.n; x > 0; x = Math.floor(x / 2)) bits += x % 2;
    return bits === a.stack.length ? a : null;
  }

  root(): Buffer {
    let acc = this.stack[this.stack.length - 1];
    if (acc === undefined) return EMPTY_ROOT;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i] as Buffer, acc);
    return acc;
  }
}
