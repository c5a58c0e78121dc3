import { afterEach, describe, expect, it } from "vitest";
import { STANDARD_TYPES, versionHash } from "../../src/memory/index.js";
import { code, tempEnv, type Env } from "./helpers.js";

let env: Env | undefined;
const e = (): Env => env as Env;
afterEach(() => {
  env?.cleanup();
  env = undefined;
});

describe("typed memory", () => {
  it("registers 24 documented standard types", () => {
    expect(STANDARD_TYPES).toHaveLength(24);
    for (const t of STANDARD_TYPES) expect(t.doc.length).toBeGreaterThan(10);
  });

  it("stores, gets and survives reopening", async () => {
    env = tempEnv();
    const f = await e().open();
    const r = await f.store({ type: "semantic_fact", content: { subject: "Paris", predicate: "is capital of", object: "France" }, tags: ["geo"], agent: "a1" });
    expect(r.version).toMatch(/^[0-9a-f]{64}$/);
    await f.close();
    const g = await e().open();
    const rec = await g.get(r.id, { agent: "a1" });
    expect(rec.content).toEqual({ subject: "Paris", predicate: "is capital of", object: "France" });
    expect(rec.tags).toEqual(["geo"]);
    await g.close();
  });

  it("gives clear E_INVALID_ARG errors naming the field", async () => {
    env = tempEnv();
    const f = await e().open({ maxContentBytes: 200 });
    expect(await code(f.store({ type: "nope", content: {} }))).toMatchObject({ code: "E_INVALID_ARG", path: "type" });
    expect(await code(f.store({ type: "goal", content: { description: "x", status: "sleeping" } }))).toMatchObject({ code: "E_INVALID_ARG", path: "content.status" });
    expect(await code(f.store({ type: "note", content: { text: "x" }, embedding: [1, 2] }))).toMatchObject({ code: "E_INVALID_ARG", path: "embedding" });
    expect(await code(f.store({ type: "note", content: { text: "x".repeat(500) } }))).toMatchObject({ code: "E_INVALID_ARG", path: "content" });
    expect(await code(f.store({ type: "note", content: { text: "x" }, scope: "bogus" }))).toMatchObject({ code: "E_INVALID_ARG", path: "scope" });
    expect(await code(f.query({ k: 3 }))).toMatchObject({ code: "E_INVALID_ARG", path: "text" });
    expect(await code(f.query({ vector: [1], k: 3 }))).toMatchObject({ code: "E_INVALID_ARG", path: "vector" });
    await f.close();
  });
});

describe("versioning", () => {
  it("hashes match content, history, diff, rollback and tags", async () => {
    env = tempEnv();
    const f = await e().open();
    const a = await f.store({ type: "note", content: { text: "v1" }, agent: "a" });
    e().clock.advance(10);
    const b = await f.update(a.id, { content: { text: "v2", title: "t" }, agent: "a" });
    await f.tagVersion(a.id, "first", a.version, { agent: "a" });
    const d = await f.diff(a.id, undefined, undefined, { agent: "a" });
    expect(d.changes).toEqual([{ path: "/text", op: "replace", from: "v1", to: "v2" }, { path: "/title", op: "add", to: "t" }]);
    e().clock.advance(10);
    const c = await f.rollback(a.id, a.version, { agent: "a" });
    expect((await f.get(a.id, { agent: "a" })).content).toEqual({ text: "v1" });
    const h = await f.history(a.id, { agent: "a" });
    expect(h.versions.map((v) => v.op)).toEqual(["create", "update", "rollback"]);
    expect(h.tags).toEqual({ first: a.version });
    expect(h.heads).toEqual([c.version]);
    expect(new Set([a.version, b.version, c.version]).size).toBe(3);
    for (const v of h.versions) expect(versionHash({ recordId: v.recordId, type: v.type, content: v.content, tags: v.tags, parents: v.parents, deleted: v.deleted })).toBe(v.hash);
    await f.close();
  });

  it("concurrent writers from the same base branch and merge last-writer-wins", async () => {
    env = tempEnv();
    const f = await e().open();
    await f.grant("team", "a", "write");
    await f.grant("team", "b", "write");
    const r = await f.store({ type: "note", content: { text: "base" }, scope: "shared/team", agent: "a" });
    // Both read r.version, then write: b's write lands later and on a stale base.
    const x = await f.update(r.id, { content: { text: "from a" }, base: r.version, agent: "a" });
    e().clock.advance(5);
    const y = await f.update(r.id, { content: { text: "from b" }, base: r.version, agent: "b" });
    expect(x.conflicts).toBeUndefined();
    const rec = await f.get(r.id, { agent: "b" });
    expect(rec.content).toEqual({ text: "from b" });
    expect(rec.version).toBe(y.version);
    const h = await f.history(r.id, { agent: "a" });
    const merge = h.versions.find((v) => v.op === "merge");
    expect(merge?.parents).toHaveLength(2);
    expect(h.versions.filter((v) => v.op === "update").every((v) => v.parents[0] === r.version)).toBe(true);
    await f.close();
  });

  it("keep-both leaves branches visible; a merge function folds them", async () => {
    env = tempEnv();
    const f = await e().open({ merge: "keep-both" });
    const r = await f.store({ type: "plan", content: { steps: [{ description: "start" }] } });
    await f.update(r.id, { content: { steps: [{ description: "start" }, { description: "a" }] }, base: r.version });
    const kb = await f.update(r.id, { content: { steps: [{ description: "start" }, { description: "b" }] }, base: r.version });
    expect(kb.conflicts).toHaveLength(1);
    expect((await f.get(r.id)).conflicts).toHaveLength(1);
    const merged = await f.merge(r.id, ({ heads }) => ({
      steps: [...new Map(heads.flatMap((h) => (h.content as { steps: { description: string }[] }).steps).map((s) => [s.description, s])).values()],
    }));
    const rec = await f.get(r.id);
    expect(rec.version).toBe(merged.version);
    expect(rec.conflicts).toEqual([]);
    expect((rec.content as { steps: unknown[] }).steps).toHaveLength(3);
    await f.close();
  });

  it("TTL regions expire on the injected clock and sweep frees quota", async () => {
    env = tempEnv();
    const f = await e().open({ regions: { "shared/scratch": 1000 } });
    await f.grant("scratch", "a", "write");
    const r = await f.store({ type: "observation", content: { text: "ephemeral" }, scope: "shared/scratch", agent: "a" });
    const keep = await f.store({ type: "observation", content: { text: "forever" }, agent: "a" });
    expect(f.usage("a").records).toBe(2);
    e().clock.advance(999);
    expect((await f.get(r.id, { agent: "a" })).id).toBe(r.id);
    e().clock.advance(1);
    expect(await code(f.get(r.id, { agent: "a" }))).toMatchObject({ code: "E_NOT_FOUND" });
    expect(await f.sweep()).toBe(1);
    expect(f.usage("a").records).toBe(1);
    expect((await f.get(keep.id, { agent: "a" })).id).toBe(keep.id);
    await f.close();
  });
});

describe("scopes, snapshots and quotas", () => {
  it("private records are invisible to other agents; shared needs a grant; global is per tenant", async () => {
    env = tempEnv();
    const f = await e().open();
    const p = await f.store({ type: "note", content: { text: "secret plan" }, agent: "a" });
    const g = await f.store({ type: "note", content: { text: "global plan" }, scope: "global", agent: "a" });
    expect(await code(f.get(p.id, { agent: "b" }))).toMatchObject({ code: "E_NOT_FOUND" });
    expect((await f.get(g.id, { agent: "b" })).id).toBe(g.id);
    expect(await code(f.get(g.id, { agent: "b", tenant: "other" }))).toMatchObject({ code: "E_NOT_FOUND" });
    expect(await code(f.store({ type: "note", content: { text: "x" }, scope: "shared/ops", agent: "b" }))).toMatchObject({ code: "E_CAP_DENIED" });
    await f.grant("ops", "b", "read");
    expect(await code(f.store({ type: "note", content: { text: "x" }, scope: "shared/ops", agent: "b" }))).toMatchObject({ code: "E_CAP_DENIED" });
    const hits = await f.query({ text: "plan", k: 10, agent: "b" });
    expect(hits.map((h) => h.id)).toEqual([g.id]);
    await f.close();
  });

  it("snapshot and restore a namespace", async () => {
    env = tempEnv();
    const f = await e().open();
    const a = await f.store({ type: "note", content: { text: "one" }, scope: "global" });
    const b = await f.store({ type: "note", content: { text: "two" }, scope: "global" });
    const snap = await f.snapshot("global");
    expect(snap.records).toBe(2);
    await f.update(a.id, { content: { text: "one changed" } });
    await f.delete(b.id);
    const c = await f.store({ type: "note", content: { text: "three" }, scope: "global" });
    expect(await f.restore(snap.id)).toEqual({ reverted: 1, removed: 1, revived: 1 });
    expect((await f.get(a.id)).content).toEqual({ text: "one" });
    expect((await f.get(b.id)).content).toEqual({ text: "two" });
    expect(await code(f.get(c.id))).toMatchObject({ code: "E_NOT_FOUND" });
    await f.close();
  });

  it("enforces byte and record quotas with E_QUOTA, and alloc/free reservations", async () => {
    env = tempEnv();
    const f = await e().open({ quotas: { default: { maxRecords: 2, maxBytes: 200 } } });
    await f.store({ type: "note", content: { text: "a" }, agent: "q" });
    await f.store({ type: "note", content: { text: "b" }, agent: "q" });
    expect(await code(f.store({ type: "note", content: { text: "c" }, agent: "q" }))).toMatchObject({ code: "E_QUOTA", path: "records" });
    expect(f.usage("q").records).toBe(2);
    expect(await f.alloc("r", 150)).toBe(150);
    expect(await code(f.alloc("r", 100))).toMatchObject({ code: "E_QUOTA", path: "bytes" });
    expect(await code(f.store({ type: "note", content: { text: "x".repeat(60) }, agent: "r" }))).toMatchObject({ code: "E_QUOTA", path: "bytes" });
    expect(await f.free("r", 100)).toBe(50);
    await f.store({ type: "note", content: { text: "x".repeat(60) }, agent: "r" });
    await f.close();
    const g = await e().open({ quotas: { default: { maxRecords: 2, maxBytes: 200 } } });
    expect(g.usage("r").reserved).toBe(50);
    expect(g.usage("q").records).toBe(2);
    await g.close();
  });
});
