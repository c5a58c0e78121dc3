import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryFabric, SqliteMemoryStorage } from "../../src/memory/index.js";
import { CommonTerms } from "../../src/memory/lexical-plan.js";
import { tempEnv, type Env } from "./helpers.js";

describe("lexical plan: common terms in a large store", () => {
  let env: Env | undefined;
  afterEach(() => env?.cleanup());

  it("drops a term beside rarer ones once the store is large, keeps the rarest when all are common, and runs every term in a small store", () => {
    const df: Record<string, number> = { the: 900, of: 500, zebra: 3, okapi: 1 };
    let counted = 0;
    const plan = new CommonTerms({ commonFraction: 0.01, minDocs: 100 }, (t) => (counted++, df[t] ?? 0));
    expect(plan.select(["the", "zebra", "of", "okapi"], 1000)).toEqual(["zebra", "okapi"]);
    expect(plan.select(["the", "of"], 1000)).toEqual(["of"]);
    expect(plan.select(["the", "zebra"], 50)).toEqual(["the", "zebra"]);
    expect(plan.select(["zebra", "zebra"], 1000)).toEqual(["zebra"]);
    // A small store's query runs exactly as written (a repeated word keeps its extra weight).
    expect(plan.select(["the", "the", "zebra"], 50)).toEqual(["the", "the", "zebra"]);
    // Frequencies are cached until the store has grown by a tenth.
    const before = counted;
    plan.select(["the", "zebra"], 1050);
    expect(counted).toBe(before);
    df["the"] = 5;
    expect(plan.select(["the", "zebra"], 2000)).toEqual(["the", "zebra"]);
    expect(counted).toBe(before + 2);
  });

  it("bounds the rows BM25 scores: terms run rarest first while their document frequencies sum within the budget; the rarest always runs", () => {
    const df: Record<string, number> = { a: 10, b: 300, c: 600, d: 1500 };
    const plan = (budget: number): CommonTerms => new CommonTerms({ commonFraction: 0.9, minDocs: 100, budget }, (t) => df[t] ?? 0);
    expect(plan(1000).select(["d", "c", "b", "a"], 10_000)).toEqual(["c", "b", "a"]);
    expect(plan(500).select(["d", "c", "b", "a"], 10_000)).toEqual(["b", "a"]);
    expect(plan(100).select(["d", "c"], 10_000)).toEqual(["c"]);
    expect(plan(1e9).select(["d", "c", "b", "a"], 10_000)).toEqual(["d", "c", "b", "a"]);
    // A small store is not planned at all.
    expect(plan(100).select(["d", "c"], 50)).toEqual(["d", "c"]);
  });

  it("counts a term only as far as the plan needs: up to past the common limit and the budget, in full only when every term is past it", () => {
    const df: Record<string, number> = { rare: 40, common: 900_000, commoner: 950_000 };
    const asked: [string, number][] = [];
    const plan = new CommonTerms({ commonFraction: 0.005, minDocs: 100, budget: 2000 }, (t, atMost) => (asked.push([t, atMost]), Math.min(df[t] ?? 0, atMost)));
    expect(plan.select(["common", "rare"], 1_000_000)).toEqual(["rare"]);
    expect(asked).toEqual([["common", 5001], ["rare", 5001]]);
    asked.length = 0;
    // Every term past the cap: counted in full to find the rarest (the capped count of "common" is not reused).
    expect(plan.select(["commoner", "common"], 1_000_000)).toEqual(["common"]);
    expect(asked).toEqual([["commoner", 5001], ["commoner", Infinity], ["common", Infinity]]);
    asked.length = 0;
    expect(plan.select(["common", "rare"], 1_000_000)).toEqual(["rare"]);
    expect(asked).toEqual([]); // both cached: a full count serves a capped question too
  });

  it("through the fabric: a word in every record no longer floods the BM25 candidates", async () => {
    const e = (env = tempEnv());
    const storage = new SqliteMemoryStorage(join(e.dir, "memory.db"), { lexical: { commonFraction: 0.2, minDocs: 50 } });
    const f = await MemoryFabric.open({ storage, clock: e.clock, dim: 4 });
    const inputs = Array.from({ length: 120 }, (_, i) => ({ type: "note", content: { text: i % 40 === 0 ? `report zebra ${i}` : `report filler ${i}` } }));
    const ids = (await f.storeMany(inputs)).map((r) => r.id);
    const hits = await f.query({ text: "report zebra", mode: "lexical", k: 50 });
    expect(hits.map((h) => h.id).sort()).toEqual([ids[0], ids[40], ids[80]].sort());
    // A query of common words only still answers (with its rarest word).
    expect((await f.query({ text: "report", mode: "lexical", k: 200 })).length).toBe(120);
    await f.close();
    // The same store below minDocs keeps every term: OR semantics, every record matches "report".
    const small = new SqliteMemoryStorage(join(e.dir, "memory.db"), { lexical: { minDocs: 10_000 } });
    const g = await MemoryFabric.open({ storage: small, clock: e.clock, dim: 4 });
    expect((await g.query({ text: "report zebra", mode: "lexical", k: 200 })).length).toBe(120);
    await g.close();
  });
});
