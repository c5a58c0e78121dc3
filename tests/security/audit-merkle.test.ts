/**
 * RFC 9162 section 2.1 Merkle trees: tree heads, inclusion and consistency proofs, checked against
 * hand-computed small trees (the RFC's own 7-leaf example, 2.1.5), a direct transcription of the
 * RFC's recursive definitions, and fast-check properties over many sizes.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EMPTY_ROOT, MerkleAccumulator, MerkleTree, leafHash, splitPoint, verifyConsistency, verifyInclusion } from "../../src/audit/index.js";

const sha = (...parts: (Uint8Array | number[])[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(Buffer.from(p));
  return h.digest();
};
const L = (d: string): Buffer => sha([0], Buffer.from(d));
const N = (a: Buffer, b: Buffer): Buffer => sha([1], a, b);
const hex = (bs: readonly Buffer[]): string[] => bs.map((b) => b.toString("hex"));

// The RFC's definitions, verbatim and recursive, over the entries themselves.
function mth(d: readonly string[]): Buffer {
  if (d.length === 0) return sha([]);
  if (d.length === 1) return sha([0], Buffer.from(d[0]!));
  const k = splitPoint(d.length);
  return sha([1], mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: readonly string[]): Buffer[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: readonly string[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const entries = (n: number): string[] => Array.from({ length: n }, (_, i) => `entry-${i}`);
const treeOf = (d: readonly string[]): MerkleTree => new MerkleTree(d.map((x) => leafHash(x)));

describe("hand-computed small trees", () => {
  it("hashes the empty tree, one leaf and two leaves as RFC 9162 defines", () => {
    expect(EMPTY_ROOT.toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(new MerkleTree().head().root.equals(EMPTY_ROOT)).toBe(true);
    expect(treeOf(["a"]).head().root.equals(L("a"))).toBe(true);
    expect(treeOf(["a", "b"]).head().root.equals(N(L("a"), L("b")))).toBe(true);
    // n = 3 splits at 2; n = 5 at 4; n = 6 at 4 with a 2-leaf right subtree.
    expect(treeOf(["a", "b", "c"]).head().root.equals(N(N(L("a"), L("b")), L("c")))).toBe(true);
    const four = N(N(L("a"), L("b")), N(L("c"), L("d")));
    expect(treeOf(["a", "b", "c", "d", "e"]).head().root.equals(N(four, L("e")))).toBe(true);
    expect(treeOf(["a", "b", "c", "d", "e", "f"]).head().root.equals(N(four, N(L("e"), L("f"))))).toBe(true);
  });

  it("splits at the largest power of two smaller than n", () => {
    expect([2, 3, 4, 5, 8, 9, 1000].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 512]);
  });

  // RFC 9162 2.1.5: seven leaves d0..d6; a..f leaf hashes, j = leaf d6, g=H(a,b) h=H(c,d) i=H(e,f) k=H(g,h) l=H(i,j).
  const d = ["d0", "d1", "d2", "d3", "d4", "d5", "d6"];
  const [a, b, c, dd, e, f, j] = d.map(L) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const g = N(a, b), h = N(c, dd), i = N(e, f), k = N(g, h), l = N(i, j);
  const t = treeOf(d);

  it("gives the RFC example's inclusion proofs", () => {
    expect(t.head().root.equals(N(k, l))).toBe(true);
    expect(hex(t.inclusionProof(0))).toEqual(hex([b, h, l]));
    expect(hex(t.inclusionProof(3))).toEqual(hex([c, g, l]));
    expect(hex(t.inclusionProof(4))).toEqual(hex([f, j, k]));
    expect(hex(t.inclusionProof(6))).toEqual(hex([i, k]));
    for (let m = 0; m < 7; m++) expect(verifyInclusion(L(d[m]!), m, 7, t.inclusionProof(m), N(k, l))).toBe(true);
  });

  it("gives the RFC example's consistency proofs", () => {
    expect(hex(t.consistencyProof(3, 7))).toEqual(hex([c, dd, g, l]));
    expect(hex(t.consistencyProof(4, 7))).toEqual(hex([l]));
    expect(hex(t.consistencyProof(6, 7))).toEqual(hex([i, j, k]));
    expect(verifyConsistency(3, 7, N(g, c), N(k, l), [c, dd, g, l])).toBe(true);
    expect(verifyConsistency(4, 7, k, N(k, l), [l])).toBe(true);
    expect(verifyConsistency(6, 7, N(k, i), N(k, l), [i, j, k])).toBe(true);
  });

  it("treats the edges: empty old tree, equal sizes, out-of-range indexes", () => {
    expect(verifyConsistency(0, 7, EMPTY_ROOT, N(k, l), [])).toBe(true);
    expect(verifyConsistency(7, 7, N(k, l), N(k, l), [])).toBe(true);
    expect(verifyConsistency(7, 7, N(k, l), k, [])).toBe(false);
    expect(verifyConsistency(5, 4, k, k, [l])).toBe(false);
    expect(verifyInclusion(a, 7, 7, [], N(k, l))).toBe(false);
    expect(verifyInclusion(a, 0, 1, [], a)).toBe(true);
    expect(() => t.inclusionProof(7)).toThrow(RangeError);
    expect(() => t.consistencyProof(8, 7)).toThrow(RangeError);
  });
});

describe("against the RFC's recursive definitions", () => {
  it("matches MTH, PATH and PROOF for every size up to 40", () => {
    const d = entries(40);
    const t = treeOf(d);
    for (let n = 0; n <= 40; n++) {
      expect(t.head(n).root.equals(mth(d.slice(0, n)))).toBe(true);
      for (let m = 0; m < n; m++) expect(hex(t.inclusionProof(m, n))).toEqual(hex(path(m, d.slice(0, n))));
      for (let m = 1; m < n; m++) expect(hex(t.consistencyProof(m, n))).toEqual(hex(subproof(m, d.slice(0, n), true)));
    }
  });

  it("the incremental accumulator gives the same head as the full tree at every size", () => {
    const acc = new MerkleAccumulator();
    const t = new MerkleTree();
    expect(acc.root().equals(EMPTY_ROOT)).toBe(true);
    for (let n = 1; n <= 300; n++) {
      const leaf = leafHash(`x${n}`);
      acc.push(leaf);
      t.push(leaf);
      expect(acc.root().equals(t.head().root)).toBe(true);
      const copy = MerkleAccumulator.deserialize(acc.serialize());
      expect(copy?.root().equals(acc.root())).toBe(true);
    }
    expect(MerkleAccumulator.deserialize("3:" + "00".repeat(32))).toBeNull(); // 3 needs two subtrees
  });
});

describe("properties", () => {
  const size = fc.integer({ min: 1, max: 48 });

  it("every leaf's inclusion proof verifies against every later tree head", () => {
    fc.assert(
      fc.property(size, fc.string(), (n, salt) => {
        const t = treeOf(entries(n).map((x) => x + salt));
        for (let s = 1; s <= n; s++) {
          const root = t.head(s).root;
          for (let m = 0; m < s; m++) if (!verifyInclusion(t.leaf(m), m, s, t.inclusionProof(m, s), root)) return false;
        }
        return true;
      }),
      { numRuns: 25 },
    );
  });

  it("consistency proofs verify between any two sizes", () => {
    fc.assert(
      fc.property(size, fc.string(), (n, salt) => {
        const t = treeOf(entries(n).map((x) => x + salt));
        for (let m = 0; m <= n; m++) {
          for (let s = m; s <= n; s++) if (!verifyConsistency(m, s, t.head(m).root, t.head(s).root, t.consistencyProof(m, s))) return false;
        }
        return true;
      }),
      { numRuns: 25 },
    );
  });

  it("a modified leaf fails its inclusion proof and breaks consistency with the honest tree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), fc.nat(), (n, iRaw, byteRaw) => {
        const d = entries(n);
        const t = treeOf(d);
        const i = iRaw % n;
        const forged = Buffer.from(t.leaf(i));
        forged[byteRaw % 32] = (forged[byteRaw % 32]! + 1) % 256;
        if (verifyInclusion(forged, i, n, t.inclusionProof(i, n), t.head().root)) return false;
        // A tree whose leaf i was edited is not an extension of the honest prefix that contains i.
        const edited = treeOf(d.map((x, k) => (k === i ? x + "!" : x)));
        const m = i + 1;
        if (m < n && verifyConsistency(m, n, t.head(m).root, edited.head(n).root, edited.consistencyProof(m, n))) return false;
        // A tampered proof element fails too.
        const p = t.inclusionProof(i, n).map((x) => Buffer.from(x));
        if (p.length > 0) {
          p[0]![0] = p[0]![0]! ^ 1;
          if (verifyInclusion(t.leaf(i), i, n, p, t.head().root)) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
