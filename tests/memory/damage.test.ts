/**
 * Damage to memory.db is never silent (issues #17.4, #19.6), done for real to the closed file: a
 * flipped bit in one version's text is E_CORRUPT naming that record when it is read (the others
 * still read), and a zeroed page makes reads fail with E_CORRUPT naming memory.db — never a raw
 * SQLITE_CORRUPT, never a changed text handed back as if it were stored.
 */
import { readFileSync, writeFileSync } from "node:fs";
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
});
