import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Hnsw, OpenAiEmbedder, UseLiteEmbedder } from "../../src/memory/index.js";
import { tempEnv, type Env } from "./helpers.js";

let env: Env | undefined;
afterEach(() => {
  env?.cleanup();
  env = undefined;
});

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe("HNSW", () => {
  it("reaches recall@10 >= 0.95 against exact search on clustered 64-d data, and survives save/load", () => {
    const r = rng(3);
    const gauss = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const centers = Array.from({ length: 20 }, () => Array.from({ length: 64 }, gauss));
    const point = (): number[] => (centers[Math.floor(r() * 20)] as number[]).map((c) => c + gauss() * 0.8);
    const h = new Hnsw({ dim: 64, M: 12, efConstruction: 100, efSearch: 64 });
    for (let i = 0; i < 3000; i++) h.add(i, point());
    let hit = 0;
    for (let q = 0; q < 50; q++) {
      const v = point();
      const exact = new Set(h.exact(v, 10).map((x) => x.label));
      hit += h.search(v, 10).filter((x) => exact.has(x.label)).length;
    }
    expect(hit / 500).toBeGreaterThanOrEqual(0.95);
    env = tempEnv();
    const file = `${env.dir}/t.hnsw`;
    h.save(file);
    const back = Hnsw.load(file, { dim: 64, M: 12 });
    const v = point();
    expect(back?.search(v, 10)).toEqual(h.search(v, 10));
    h.remove(5);
    expect(h.exact(point(), 3000).some((x) => x.label === 5)).toBe(false);
  });
});

describe("hybrid search", () => {
  it("fuses BM25 and vectors, applies type/tag/time filters and a rerank hook", async () => {
    env = tempEnv();
    const f = await env.open();
    const a = await f.store({ type: "note", content: { text: "the quick brown fox" }, embedding: [1, 0, 0, 0], tags: ["animal"] });
    env.clock.advance(100);
    const b = await f.store({ type: "observation", content: { text: "a slow green turtle" }, embedding: [0.9, 0.1, 0, 0], tags: ["animal"] });
    const c = await f.store({ type: "note", content: { text: "quarterly revenue report" }, embedding: [0, 0, 1, 0] });
    const both = await f.query({ text: "fox", vector: [1, 0, 0, 0], k: 3 });
    expect(both[0]?.id).toBe(a.id);
    expect(both[0]?.lexicalRank).toBe(1);
    expect(both[0]?.vectorRank).toBe(1);
    expect(both.map((h) => h.id)).toContain(b.id);
    expect((await f.query({ text: "revenue", k: 3, mode: "lexical" })).map((h) => h.id)).toEqual([c.id]);
    expect((await f.query({ vector: [1, 0, 0, 0], k: 5, filter: { types: ["observation"] } })).map((h) => h.id)).toEqual([b.id]);
    expect((await f.query({ vector: [1, 0, 0, 0], k: 5, filter: { tags: ["animal"], since: env.clock.now() - 50 } })).map((h) => h.id)).toEqual([b.id]);
    const reversed = await f.query({ vector: [1, 0, 0, 0], k: 2 }, (_q, hits) => [...hits].reverse());
    expect(reversed).toHaveLength(2);
    expect(reversed[0]?.id).not.toBe(a.id);
    await f.close();
  });

  it("embeds with a real OpenAI-compatible endpoint on loopback", async () => {
    const seen: unknown[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const parsed = JSON.parse(body) as { input: string[]; model: string };
        seen.push({ url: req.url, auth: req.headers.authorization, model: parsed.model });
        const data = parsed.input.map((t, index) => ({ index, embedding: [t.includes("cat") ? 1 : 0, t.includes("car") ? 1 : 0, 0.1, 0] }));
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ object: "list", data, model: parsed.model }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      env = tempEnv();
      const f = await env.open({ embedder: new OpenAiEmbedder({ baseUrl: `http://127.0.0.1:${port}`, model: "tiny", dim: 4, apiKey: "k" }) });
      const cat = await f.store({ type: "note", content: { text: "my cat sleeps" } });
      await f.store({ type: "note", content: { text: "the car is red" } });
      const hits = await f.query({ text: "a cat", k: 1, mode: "vector" });
      expect(hits[0]?.id).toBe(cat.id);
      expect(seen[0]).toEqual({ url: "/v1/embeddings", auth: "Bearer k", model: "tiny" });
      await f.close();
    } finally {
      server.close();
    }
  });

  it("ranks similar sentences first with the real USE Lite model", async () => {
    env = tempEnv();
    const f = await env.open({ dim: 512, embedder: new UseLiteEmbedder() });
    const ids = await f.storeMany([
      { type: "note", content: { text: "The cat is sleeping on the sofa." } },
      { type: "note", content: { text: "Stock markets fell sharply after the announcement." } },
      { type: "note", content: { text: "How do I bake sourdough bread at home?" } },
    ]);
    const pet = await f.query({ text: "A kitten naps on the couch.", k: 3, mode: "vector" });
    expect(pet[0]?.id).toBe(ids[0]?.id);
    const money = await f.query({ text: "Shares dropped on Wall Street.", k: 3, mode: "vector" });
    expect(money[0]?.id).toBe(ids[1]?.id);
    await f.close();
  }, 60_000);
});

describe("graph", () => {
  it("links typed edges, k-hop traversal under filters, shortest path, hides unreadable nodes", async () => {
    env = tempEnv();
    const f = await env.open();
    const mk = async (t: string, agent = "a", scope = "global"): Promise<string> => (await f.store({ type: "entity", content: { name: t, kind: "x" }, agent, scope })).id;
    const [n1, n2, n3, n4] = [await mk("n1"), await mk("n2"), await mk("n3"), await mk("n4")];
    const hidden = await mk("hidden", "z", "agent");
    await f.link(n1, n2, "knows", { agent: "a" });
    await f.link(n2, n3, "knows", { agent: "a" });
    await f.link(n3, n4, "likes", { agent: "a" });
    await f.link(n1, hidden, "knows", { agent: "z" }).catch(() => undefined);
    expect(f.neighbors(n1, { agent: "a" }).map((n) => n.id)).toEqual([n2]);
    expect(f.neighbors(n1, { depth: 3, agent: "a" }).map((n) => [n.id, n.depth])).toEqual([[n2, 1], [n3, 2], [n4, 3]]);
    expect(f.neighbors(n1, { depth: 3, types: ["knows"], agent: "a" }).map((n) => n.id)).toEqual([n2, n3]);
    expect(f.neighbors(n4, { depth: 3, direction: "in", agent: "a" }).map((n) => n.id)).toEqual([n3, n2, n1]);
    expect(f.shortestPath(n1, n4, { agent: "a" })).toEqual([{ id: n1, via: null }, { id: n2, via: "knows" }, { id: n3, via: "knows" }, { id: n4, via: "likes" }]);
    expect(f.shortestPath(n4, n1, { agent: "a" })).toBeNull();
    await f.close();
  });
});
