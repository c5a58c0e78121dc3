/**
 * Damage to memory.db is never silent (issues #17.4, #19.6), done for real to the closed file: a
 * flipped bit in one version's text is E_CORRUPT naming that record when it is read (the others
 * still read), and a zeroed page makes reads fail with E_CORRUPT naming memory.db — never a raw
 * SQLITE_CORRUPT, never a changed text handed back as if it were stored. A deleted memory.db, an
 * older copy of it, or one that lost its WAL does not open empty or short: the acknowledgement mark
 * (memory.ack) names the missing versions and the store refuses with E_CORRUPT.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { tempEnv, type Env } from "./helpers.js";

let env: Env | undefined;
afterEach(() => env?.cleanup());

const N = 300;

async function build(): Promise<{ env: Env; ids: string[] }> {
  const e = tempEnv();
  const f = await e.open();
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push((await f.store({ type: "note", content: { text: `MEMO${String(i).padStart(5, "0")} ${"x".repeat(100)}` }, agent: "a1" })).id);
  await f.close();
  return { env: e, ids };
}

describe("a damaged memory store", () => {
  it("refuses a version whose stored text no longer matches its content hash, naming the record", async () => {
    const b = await build();
    env = b.env;
    const file = join(env.dir, "memory.db");
    const bytes = readFileSync(file);
    const at = bytes.indexOf("MEMO00123");
    expect(at).toBeGreaterThan(0);
    bytes[at + 8] = (bytes[at + 8] ?? 0) ^ 0x01; // '3' -> '2': still valid JSON, another text
    writeFileSync(file, bytes);
    const f = await env.open();
    try {
      const e = await f.get(b.ids[123] ?? "", { agent: "a1" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AiosError);
      expect((e as AiosError).code).toBe("E_CORRUPT");
      expect((e as AiosError).message).toContain(b.ids[123]);
      expect((e as AiosError).message).toContain("memory.db");
      const ok = await f.get(b.ids[124] ?? "", { agent: "a1" });
      expect(JSON.stringify(ok)).toContain("MEMO00124");
    } finally {
      await f.close();
    }
  });

  it("answers reads over a zeroed page with E_CORRUPT naming memory.db, never a raw SQLite error", async () => {
    const b = await build();
    env = b.env;
    const file = join(env.dir, "memory.db");
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    const at = bytes.indexOf("MEMO00200");
    const page = Math.floor(at / pageSize);
    bytes.fill(0, page * pageSize, (page + 1) * pageSize);
    writeFileSync(file, bytes);
    let errors = 0;
    try {
      const f = await env.open();
      try {
        for (const id of b.ids) {
          try {
            await f.get(id, { agent: "a1" });
          } catch (e) {
            errors++;
            expect(e).toBeInstanceOf(AiosError);
            expect((e as AiosError).code).toBe("E_CORRUPT");
            expect((e as AiosError).message).toContain("memory.db");
          }
        }
      } finally {
        await f.close();
      }
    } catch (e) {
      // Opening may already meet the damaged page (records, vectors or the index are read at open).
      expect(e).toBeInstanceOf(AiosError);
      expect((e as AiosError).code).toBe("E_CORRUPT");
      expect((e as AiosError).message).toContain("memory.db");
      errors++;
    }
    expect(errors).toBeGreaterThan(0);
  });

  it("refuses a deleted memory.db, an older copy and a lost WAL, naming the missing versions", async () => {
    const e = tempEnv();
    env = e;
    const f = await e.open();
    for (let i = 0; i < 50; i++) await f.store({ type: "note", content: { text: `early ${i}` }, agent: "a1" });
    await f.close();
    const db = join(e.dir, "memory.db");
    const older = join(e.dir, "memory.db.older");
    copyFileSync(db, older);
    const g = await e.open();
    for (let i = 0; i < 50; i++) await g.store({ type: "note", content: { text: `late ${i}` }, agent: "a1" });
    // Copy the files while the store is open: the last commits live in the WAL.
    const live = join(e.dir, "live");
    for (const s of ["", "-wal"]) if (existsSync(db + s)) copyFileSync(db + s, `${live}${s}`);
    await g.close();
    const refused = async (): Promise<AiosError> => {
      const x = await e.open().then(
        async (h) => {
          await h.close();
          return undefined;
        },
        (err: unknown) => err,
      );
      expect(x).toBeInstanceOf(AiosError);
      return x as AiosError;
    };
    const keep = readFileSync(db);

    copyFileSync(older, db);
    for (const s of ["-wal", "-shm"]) rmSync(db + s, { force: true });
    const rolled = await refused();
    expect(rolled.code).toBe("E_CORRUPT");
    expect(rolled.message).toContain("memory.db");
    expect(rolled.details).toMatchObject({ count: 50 });

    unlinkSync(db);
    const deleted = await refused();
    expect(deleted.code).toBe("E_CORRUPT");
    expect(deleted.details).toMatchObject({ count: 100 });
    for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });

    // The WAL of a live store lost: the database file alone lacks the last commits.
    copyFileSync(`${live}`, db);
    const walLost = await refused();
    expect(walLost.code).toBe("E_CORRUPT");
    expect((walLost.details as { count: number }).count).toBeGreaterThan(0);

    // The whole store put back: it opens, with every acknowledged record.
    writeFileSync(db, keep);
    for (const s of ["-wal", "-shm"]) rmSync(db + s, { force: true });
    const back = await e.open();
    expect(back.records).toBe(100);
    await back.close();
  });
});
