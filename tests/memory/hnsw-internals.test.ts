import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { CodeSpace } from "../../src/memory/code-space.js";
import { DistHeap } from "../../src/memory/heap.js";
import { VectorSpace } from "../../src/memory/vector-space.js";
import { Hnsw } from "../../src/memory/index.js";
import { tempEnv, type Env } from "./helpers.js";

const finite = fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });

describe("vector space (flat WebAssembly memory, SIMD dot)", () => {
  it("the SIMD dot agrees with the JavaScript dot for any dimension (padding is zero)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 70 }).chain((dim) => fc.tuple(fc.constant(dim), fc.array(finite, { minLength: dim, maxLength: dim }), fc.array(finite, { minLength: dim, maxLength: dim }))),
      ([dim, a, b]) => {
        const simd = new VectorSpace(dim, 4);
        const js = new VectorSpace(dim, 4, false);
        expect(simd.simd).toBe(true);
        expect(js.simd).toBe(false);
        let want = 0;
        for (let i = 0; i < dim; i++) want += (Math.fround(a[i] as number)) * (Math.fround(b[i] as number));
        for (const v of [simd, js]) {
          v.put(1, Float32Array.from(a));
          v.put(2, Float32Array.from(b));
          expect(Math.abs(v.dot(1, 2) - want)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want)) * dim);
        }
      }), { numRuns: 300 });
  });

  it("keeps every vector across growth (the memory's buffer is replaced when it grows)", () => {
    const v = new VectorSpace(33, 2);
    const rows = Array.from({ length: 3000 }, (_, i) => Float32Array.from({ length: 33 }, (_, j) => ((i * 31 + j) % 17) - 8));
    rows.forEach((r, i) => {
      v.ensure(i + 2);
      v.put(i + 1, r);
    });
    const one = Float32Array.from({ length: 33 }, () => 1);
    v.put(0, one);
    rows.forEach((r, i) => expect(v.dot(0, i + 1)).toBeCloseTo(r.reduce((s, x) => s + x, 0), 3));
  });
});

describe("int8 codes (a search's first pass)", () => {
  const unit = (v: number[]): number[] => {
    const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    return v.map((x) => x / n);
  };
  const cosine = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

  it("the SIMD kernel's integer dot equals the JavaScript one, and a distance is within 0.01 of the float cosine distance", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 80 }).chain((dim) => fc.tuple(fc.constant(dim), fc.array(fc.array(finite, { minLength: dim, maxLength: dim }), { minLength: 2, maxLength: 6 }))),
      ([dim, rows]) => {
        const vs = rows.map(unit);
        const simd = new CodeSpace(dim, 8, 4);
        const js = new CodeSpace(dim, 8, 4, false);
        expect(simd.simd).toBe(true);
        expect(js.simd).toBe(false);
        const got = [new Float64Array(8), new Float64Array(8)];
        [simd, js].forEach((c, k) => {
          vs.forEach((v, i) => c.put(i, v));
          c.setQuery(vs[0] as number[]);
          vs.forEach((_, i) => (c.batch[i] = vs.length - 1 - i));
          c.measure(vs.length, got[k] as Float64Array);
        });
        expect([...(got[0] as Float64Array)]).toEqual([...(got[1] as Float64Array)]);
        vs.forEach((_, i) => {
          const want = 1 - cosine(vs[0] as number[], vs[vs.length - 1 - i] as number[]);
          expect(Math.abs((got[0] as Float64Array)[i] as number - want)).toBeLessThanOrEqual(0.01);
        });
      }), { numRuns: 200 });
  });

  it("keeps every code and its scale across growth (the memory is replaced, and grows past what was asked)", () => {
    const dim = 37;
    const grown = new CodeSpace(dim, 4, 1);
    const sized = new CodeSpace(dim, 4, 5000);
    const r = ((s: number) => () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5))(9);
    const rows = Array.from({ length: 5000 }, () => unit(Array.from({ length: dim }, r)));
    rows.forEach((v, i) => {
      grown.ensure(i + 1);
      grown.put(i, v);
      sized.put(i, v);
    });
    const a = new Float64Array(4), b = new Float64Array(4);
    for (let i = 0; i < 5000; i += 4) {
      for (const c of [grown, sized]) {
        c.setQuery(rows[(i * 7) % 5000] as number[]);
        for (let j = 0; j < 4; j++) c.batch[j] = i + j;
      }
      grown.measure(4, a);
      sized.measure(4, b);
      expect([...a]).toEqual([...b]);
    }
  });

  it("a search re-ranks in float32: its scores are the exact cosines, and recall@10 stays >= 0.95 with or without WebAssembly SIMD", () => {
    const r = ((s: number) => () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff))(21);
    const gauss = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const centers = Array.from({ length: 10 }, () => Array.from({ length: 48 }, gauss));
    const point = (): number[] => (centers[Math.floor(r() * 10)] as number[]).map((c) => c + gauss() * 0.7);
    const data = Array.from({ length: 2000 }, point);
    for (const simd of [true, false]) {
      const h = new Hnsw({ dim: 48, M: 8, efConstruction: 80, efSearch: 48, simd });
      expect(h.cs.simd).toBe(simd);
      data.forEach((v, i) => h.add(i, v));
      let hit = 0;
      for (let q = 0; q < 40; q++) {
        const v = point();
        const exact = h.exact(v, 10);
        const byLabel = new Map(h.exact(v, 2000).map((x) => [x.label, x.score]));
        const got = h.search(v, 10);
        for (const g of got) expect(g.score).toBe(byLabel.get(g.label));
        const want = new Set(exact.map((x) => x.label));
        hit += got.filter((x) => want.has(x.label)).length;
      }
      expect(hit / 400).toBeGreaterThanOrEqual(0.95);
    }
  });
});

describe("DistHeap", () => {
  it("drains in ascending distance, as a min-heap and as a max-heap, across growth", () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { maxLength: 300 }), fc.boolean(), (ds, max) => {
      const h = new DistHeap(max);
      ds.forEach((d, i) => h.push(i, d));
      expect(h.size).toBe(ds.length);
      // -0 and 0 are the same distance: their order among ties is the heap's (+ 0 makes -0 read 0).
      const want = [...ds].sort((a, b) => a - b).map((d) => d + 0);
      if (ds.length > 0) expect(h.topDist() + 0).toBe(max ? want[want.length - 1] : want[0]);
      const ids = new Int32Array(ds.length);
      const out = new Float64Array(ds.length);
      expect(h.drainAscending(ids, out)).toBe(ds.length);
      expect([...out].map((d) => d + 0)).toEqual(want);
      ids.forEach((id, i) => expect(ds[id]).toBe(out[i]));
      expect(h.size).toBe(0);
    }), { examples: [[[-0, 0], true], [[0, -0], false]] });
  });
});

describe("HNSW file", () => {
  let env: Env;
  afterEach(() => env.cleanup());

  it("round-trips an index of an odd dimension past its first capacity; refuses short, foreign and old-format files", () => {
    env = tempEnv();
    const r = ((s: number) => () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff))(5);
    const h = new Hnsw({ dim: 13, M: 8, efConstruction: 60 });
    const vs = Array.from({ length: 2500 }, () => Array.from({ length: 13 }, () => r() - 0.5));
    vs.forEach((v, i) => h.add(i + 1, v));
    h.remove(7);
    const file = `${env.dir}/x.hnsw`;
    h.save(file);
    const back = Hnsw.load(file, { dim: 13, M: 8 });
    expect(back?.size).toBe(2499);
    for (const v of vs.slice(0, 20)) expect(back?.search(v, 5)).toEqual(h.search(v, 5));
    expect(back?.has(7)).toBe(false);
    expect(Hnsw.load(file, { dim: 12, M: 8 })).toBeUndefined();
    expect(Hnsw.load(file, { dim: 13, M: 16 })).toBeUndefined();
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 9));
    expect(Hnsw.load(file, { dim: 13, M: 8 })).toBeUndefined();
    writeFileSync(file, Buffer.concat([Buffer.from("AIOSHNS1"), bytes.subarray(8)]));
    expect(Hnsw.load(file, { dim: 13, M: 8 })).toBeUndefined();
  });

  it("a fabric whose saved index is of an older format rebuilds it from the durable vectors", async () => {
    env = tempEnv();
    let f = await env.open();
    const a = await f.store({ type: "note", content: { text: "a" }, embedding: [1, 0, 0, 0] });
    await f.store({ type: "note", content: { text: "b" }, embedding: [0, 1, 0, 0] });
    await f.close();
    const file = `${env.dir}/memory.hnsw`;
    writeFileSync(file, Buffer.concat([Buffer.from("AIOSHNS1"), readFileSync(file).subarray(8)]));
    f = await env.open();
    expect(f.hnsw.size).toBe(2);
    expect((await f.query({ vector: [0.9, 0.1, 0, 0], k: 1, mode: "vector" }))[0]?.id).toBe(a.id);
    await f.close();
  });
});

describe("saved index freshness (vector stamp)", () => {
  let env: Env;
  afterEach(() => env.cleanup());

  it("an index file left from before a vector was replaced is detected as stale (same count) and rebuilt; a current one is loaded as is", async () => {
    env = tempEnv();
    const file = `${env.dir}/memory.hnsw`;
    let f = await env.open();
    const a = await f.store({ type: "note", content: { text: "a" }, embedding: [1, 0, 0, 0] });
    await f.store({ type: "note", content: { text: "b" }, embedding: [0, 0, 1, 0] });
    await f.close();
    const old = readFileSync(file);
    f = await env.open();
    expect(f.hnsw.dirty).toBe(false); // loaded from its file, not rebuilt
    await f.update(a.id, { embedding: [0, 1, 0, 0] });
    await f.close();
    writeFileSync(file, old); // as if the process died before close saved the new index
    f = await env.open();
    expect(f.hnsw.size).toBe(2);
    const hit = (await f.query({ vector: [0, 1, 0, 0], k: 1, mode: "vector" }))[0];
    expect(hit?.id).toBe(a.id);
    expect(hit?.similarity).toBeCloseTo(1, 5);
    await f.close();
  });
});
