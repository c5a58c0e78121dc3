import Database from "better-sqlite3";
import fc from "fast-check";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseStoreInput, StoreInputSchema } from "../../src/memory/inputs.js";
import { code, tempEnv, type Env } from "./helpers.js";

// The version-1 schema of mem_versions, as the first release of the memory fabric wrote it.
const V1_VERSIONS = `CREATE TABLE mem_versions (hash TEXT PRIMARY KEY, record_id TEXT NOT NULL, parents TEXT NOT NULL, type TEXT NOT NULL,
  content TEXT NOT NULL, tags TEXT NOT NULL, agent TEXT NOT NULL, ts INTEGER NOT NULL, op TEXT NOT NULL, deleted INTEGER NOT NULL);
CREATE INDEX mem_versions_record ON mem_versions(record_id, ts);`;

describe("memory store schema", () => {
  let env: Env;
  afterEach(() => env.cleanup());

  it("migrates a version-1 file in place: records, history, heads and hashes survive", async () => {
    env = tempEnv();
    let f = await env.open();
    const a = await f.store({ type: "note", content: { text: "alpha one" }, agent: "a1" });
    env.clock.advance(5);
    const a2 = await f.update(a.id, { content: { text: "alpha two" }, agent: "a1" });
    const b = await f.store({ type: "note", content: { text: "beta" }, agent: "a1" });
    await f.close();

    // Rewrite the file into the version-1 layout (what an older build left on disk).
    const db = new Database(join(env.dir, "memory.db"));
    db.exec(`ALTER TABLE mem_versions RENAME TO v2; DROP INDEX mem_versions_rec_hkey; ${V1_VERSIONS}
      INSERT INTO mem_versions SELECT hash, record_id, parents, type, content, tags, agent, ts, op, deleted FROM v2 ORDER BY vid; DROP TABLE v2;`);
    db.pragma("user_version = 0");
    db.close();

    f = await env.open();
    const h = await f.history(a.id, { agent: "a1" });
    expect(h.versions.map((v) => v.hash)).toEqual([a.version, a2.version]);
    expect(h.versions[1]?.content).toEqual({ text: "alpha two" });
    expect((await f.get(b.id, { agent: "a1" })).version).toBe(b.version);
    expect((await f.query({ text: "alpha", agent: "a1" })).map((x) => x.id)).toEqual([a.id]);
    // And the migrated file takes new writes.
    const a3 = await f.update(a.id, { content: { text: "alpha three" }, agent: "a1" });
    expect((await f.history(a.id, { agent: "a1" })).versions.map((v) => v.hash)).toEqual([a.version, a2.version, a3.version]);
    await f.close();
    const check = new Database(join(env.dir, "memory.db"), { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(3);
    expect(check.prepare("SELECT count(*) FROM mem_versions").pluck().get()).toBe(4);
    check.close();
  });

  it("migrates a version-2 file: the hash-only index gives way to one on (record, hash prefix), and every lookup still works", async () => {
    env = tempEnv();
    let f = await env.open();
    const a = await f.store({ type: "note", content: { text: "gamma one" }, agent: "a1", tags: ["x"] });
    const a2 = await f.update(a.id, { content: { text: "gamma two" }, agent: "a1" });
    await f.tagVersion(a.id, "first", a.version, { agent: "a1" });
    await f.close();

    // The version-2 layout: the same table with an index on hkey and one on rec.
    const db = new Database(join(env.dir, "memory.db"));
    db.exec(`DROP INDEX mem_versions_rec_hkey; CREATE INDEX mem_versions_hkey ON mem_versions(hkey); CREATE INDEX mem_versions_rec ON mem_versions(rec);`);
    db.pragma("user_version = 2");
    db.close();

    f = await env.open();
    expect((await f.get(a.id, { agent: "a1" })).version).toBe(a2.version);
    expect((await f.version(a.id, a.version, { agent: "a1" })).content).toEqual({ text: "gamma one" });
    expect((await f.diff(a.id, undefined, undefined, { agent: "a1" })).from).toBe(a.version);
    const hits = await f.query({ text: "gamma", agent: "a1" });
    expect(hits.map((h) => [h.id, h.version, h.content])).toEqual([[a.id, a2.version, { text: "gamma two" }]]);
    await f.rollback(a.id, a.version, { agent: "a1" });
    expect((await f.history(a.id, { agent: "a1" })).versions).toHaveLength(3);
    await f.close();
    const check = new Database(join(env.dir, "memory.db"), { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(3);
    const indexes = check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mem_versions'`).pluck().all();
    expect(indexes).toEqual(["mem_versions_rec_hkey"]);
    check.close();
  });

  it("finds a version through its record: a head by hash alone (catalog), any version with its record, none of another record's", async () => {
    env = tempEnv();
    const f = await env.open();
    const a = await f.store({ type: "note", content: { text: "one" } });
    const a2 = await f.update(a.id, { content: { text: "two" } });
    const b = await f.store({ type: "note", content: { text: "other" } });
    const rowA = f.catalog.byRecordId(a.id)?.rowid as number;
    const rowB = f.catalog.byRecordId(b.id)?.rowid as number;
    expect(f.catalog.rowOfHead(a2.version)).toBe(rowA);
    expect(f.catalog.rowOfHead(a.version)).toBeUndefined(); // no longer a head
    expect((await f.storage.getVersion(a2.version))?.content).toEqual({ text: "two" });
    expect((await f.storage.getVersion(a.version, rowA))?.content).toEqual({ text: "one" });
    expect(await f.storage.getVersion(a.version, rowB)).toBeUndefined();
    // Not a head and no record given: still found (a scan), never wrongly missing.
    expect((await f.storage.getVersion(a.version))?.content).toEqual({ text: "one" });
    await f.delete(b.id);
    expect(f.catalog.rowOfHead(b.version)).toBeUndefined();
    await f.close();
  });

  it("refuses a file written by a newer schema instead of misreading it", async () => {
    env = tempEnv();
    await (await env.open()).close();
    const db = new Database(join(env.dir, "memory.db"));
    db.pragma("user_version = 99");
    db.close();
    expect((await code(env.open())).code).toBe("E_STORAGE");
  });

  it("writing the same version twice (same change to the same base) keeps one row", async () => {
    env = tempEnv();
    const f = await env.open();
    const a = await f.store({ type: "note", content: { text: "x" } });
    const one = await f.update(a.id, { content: { text: "y" }, base: a.version });
    const two = await f.update(a.id, { content: { text: "y" }, base: a.version });
    expect(two.version).toBe(one.version);
    const h = await f.history(a.id);
    expect(h.versions.filter((v) => v.hash === one.version)).toHaveLength(1);
    await f.close();
  });
});

describe("parseStoreInput (the write path's fast check)", () => {
  const value = fc.oneof(
    fc.constant(undefined), fc.string({ maxLength: 3 }), fc.string({ minLength: 60, maxLength: 300 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
    fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.double(), fc.integer()), { maxLength: 4 }),
  );
  const key = fc.constantFrom("type", "content", "scope", "tags", "embedding", "ttlMs", "agent", "tenant", "other");
  it("accepts exactly what StoreInputSchema accepts and returns the same value", () => {
    fc.assert(fc.property(fc.dictionary(key, value, { maxKeys: 8 }), fc.boolean(), (raw, valid) => {
      const input: Record<string, unknown> = valid ? { ...raw, type: "note", content: { text: "t" } } : raw;
      const z = StoreInputSchema.safeParse(input);
      let fast: unknown;
      let threw = false;
      try {
        fast = parseStoreInput(input);
      } catch {
        threw = true;
      }
      expect(threw).toBe(!z.success);
      if (z.success) expect(fast).toEqual(z.data);
    }), { numRuns: 2000 });
  });
});
