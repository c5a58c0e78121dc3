import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteMemoryStorage, type MemoryFabric, type StoreInput } from "../../src/memory/index.js";
import { tempEnv, type Env } from "./helpers.js";

let env: Env | undefined;
afterEach(() => {
  env?.cleanup();
  env = undefined;
});

const VOCAB = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"];

function sqlite(f: MemoryFabric): SqliteMemoryStorage {
  if (!(f.storage instanceof SqliteMemoryStorage)) throw new Error("expected the SQLite driver");
  return f.storage;
}

/** Opens a fabric whose BM25 always goes to the worker, once the worker has opened the store. */
async function withWorker(e: Env): Promise<MemoryFabric> {
  const f = await e.open({ lexicalWorker: { minRecords: 0 } });
  expect(await sqlite(f).lexicalWorker?.opened).toBe(true);
  return f;
}

describe("lexical worker", () => {
  it("returns the same rows, scores and hybrid hits as the in-process path (property)", async () => {
    const storeArb = fc.array(fc.record({ words: fc.array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 6 }), v: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 4, maxLength: 4 }) }), { minLength: 1, maxLength: 30 });
    const queryArb = fc.array(fc.record({ words: fc.array(fc.constantFrom(...VOCAB, "nomatch"), { minLength: 1, maxLength: 3 }), v: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 4, maxLength: 4 }) }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(storeArb, queryArb, async (recs, queries) => {
        const e = tempEnv();
        try {
          const inputs: StoreInput[] = recs.map((r) => ({ type: "note", content: { text: r.words.join(" ") }, embedding: r.v.map((x) => x + 0.5), scope: "global" }));
          const run = async (f: MemoryFabric): Promise<unknown[]> => {
            const out: unknown[] = [];
            for (const q of queries) {
              const text = q.words.join(" ");
              out.push(await f.storage.lexical(text, 160, { overlap: true }));
              out.push(await f.query({ text, vector: q.v.map((x) => x + 0.5), k: 10 }));
            }
            return out;
          };
          const a = await withWorker(e);
          await a.storeMany(inputs);
          const viaWorker = await run(a);
          expect(sqlite(a).lexicalWorker?.answered).toBe(queries.length * 2);
          await a.close();
          const b = await e.open({ lexicalWorker: false });
          expect(sqlite(b).lexicalWorker).toBeUndefined();
          const inProcess = await run(b);
          await b.close();
          expect(viaWorker).toEqual(inProcess);
        } finally {
          e.cleanup();
        }
      }),
      { numRuns: 12 },
    );
  });

  it("reads its own writes: a record stored just before a query is found by the worker's lexical leg", async () => {
    env = tempEnv();
    const f = await withWorker(env);
    const w = sqlite(f).lexicalWorker;
    for (let i = 0; i < 20; i++) {
      const { id } = await f.store({ type: "note", content: { text: `fresh${i} common` }, embedding: [1, i, 0, 0], scope: "global" });
      const hits = await f.query({ text: `fresh${i}`, vector: [0, 0, 1, 1], k: 50 });
      expect(hits.filter((h) => h.lexicalRank !== undefined).map((h) => h.id)).toEqual([id]);
      expect(w?.answered).toBe(i + 1);
    }
    await f.close();
  });

  it("falls back in-process when the worker crashes mid-query, and keeps answering", async () => {
    env = tempEnv();
    const f = await withWorker(env);
    await f.storeMany(["red apple", "green apple", "red car"].map((text, i) => ({ type: "note", content: { text }, embedding: [1, i, 0, 0], scope: "global" })));
    const w = sqlite(f).lexicalWorker;
    const expected = (await f.query({ text: "red apple", vector: [0, 1, 0, 0], k: 5 })).map((h) => h.id);
    expect(w?.answered).toBe(1);
    // Termination starts first, so the worker cannot answer: the request is posted while `usable`
    // still holds (the exit event comes later) and is failed by the worker's exit.
    const killing = w?.kill();
    const inFlight = f.query({ text: "red apple", vector: [0, 1, 0, 0], k: 5 });
    await killing;
    expect((await inFlight).map((h) => h.id)).toEqual(expected);
    expect(w?.usable).toBe(false);
    expect((await f.query({ text: "red apple", vector: [0, 1, 0, 0], k: 5 })).map((h) => h.id)).toEqual(expected);
    expect(w?.answered).toBe(1);
    await f.close();
  });

  it("stays in-process below the record threshold, for lexical-only queries and for an in-memory database", async () => {
    env = tempEnv();
    const f = await env.open({ lexicalWorker: { minRecords: 3 } });
    await f.store({ type: "note", content: { text: "one" }, embedding: [1, 0, 0, 0], scope: "global" });
    expect((await f.query({ text: "one", vector: [1, 0, 0, 0], k: 5 })).filter((h) => h.lexicalRank !== undefined).length).toBe(1);
    expect(sqlite(f).lexicalWorker).toBeUndefined();
    await f.storeMany([{ type: "note", content: { text: "two" }, embedding: [0, 1, 0, 0], scope: "global" }, { type: "note", content: { text: "three one" }, embedding: [0, 0, 1, 0], scope: "global" }]);
    // The query that finds the store past the threshold starts the worker and is answered in-process meanwhile.
    expect((await f.query({ text: "one", vector: [1, 0, 0, 0], k: 5 })).filter((h) => h.lexicalRank !== undefined).length).toBe(2);
    expect(await sqlite(f).lexicalWorker?.opened).toBe(true);
    expect((await f.query({ text: "one", vector: [1, 0, 0, 0], k: 5 })).filter((h) => h.lexicalRank !== undefined).length).toBe(2);
    expect(sqlite(f).lexicalWorker?.answered).toBe(1);
    // A lexical-only query has nothing to overlap: it stays in-process (the round trip would be pure cost).
    expect((await f.query({ text: "one", k: 5, mode: "lexical" })).length).toBe(2);
    expect(sqlite(f).lexicalWorker?.answered).toBe(1);
    await f.close();
    const mem = new SqliteMemoryStorage(":memory:", { lexicalWorker: { minRecords: 0 } });
    expect(mem.lexicalWorker).toBeUndefined();
    await mem.close();
  });

  it("leaves no thread behind: a process that queried through the worker and closed the fabric exits", async () => {
    env = tempEnv();
    const script = join(env.dir, "child.mts");
    const fabric = new URL("../../src/memory/index.ts", import.meta.url).href;
    writeFileSync(script, `
      import { MemoryFabric, SqliteMemoryStorage } from ${JSON.stringify(fabric)};
      const f = await MemoryFabric.open({ dataDir: ${JSON.stringify(join(env.dir, "store"))}, dim: 4, lexicalWorker: { minRecords: 0 } });
      const s = f.storage;
      if (!(s instanceof SqliteMemoryStorage)) throw new Error("driver");
      await s.lexicalWorker?.opened;
      await f.store({ type: "note", content: { text: "hello world" }, embedding: [1, 0, 0, 0], scope: "global" });
      const hits = await f.query({ text: "hello", vector: [1, 0, 0, 0], k: 3 });
      console.log(JSON.stringify({ hits: hits.length, answered: s.lexicalWorker?.answered }));
      await f.close();
    `);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", script], { cwd: process.cwd(), timeout: 20_000 }, (err, stdout) => (err === null ? resolve(stdout) : reject(new Error(`child failed: ${err.message}`))));
    });
    expect(JSON.parse(out.trim())).toEqual({ hits: 1, answered: 1 });
  });
});
