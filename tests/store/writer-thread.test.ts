/**
 * The store's writer thread (ADR 0037): commits run on a thread that owns the write connection.
 * - Property: an acknowledgement is never given before the data is readable — at the moment each
 *   write resolves, a connection opened fresh on the file reads every row of it, byte for byte; a
 *   thread killed at a random moment leaves each batch wholly there or wholly absent, and every
 *   acknowledged one there after a reopen.
 * - A dead thread is a clear error: the write in flight and every later one reject with E_STORAGE
 *   naming the writer thread, the journal acknowledges none of them, and a reopen loses nothing
 *   that was acknowledged.
 * - The committing connection runs WAL at synchronous=FULL, like the inline one.
 */
import Database from "better-sqlite3";
import fc from "fast-check";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { FileAckMark, Journal, SqliteDriver, type JournalRow } from "../../src/store/index.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterAll(cleanupDirs);

/** Starts the driver's writer thread and waits until it takes the writes (the inline start-up path is not under test here). */
async function threaded(driver: SqliteDriver): Promise<void> {
  expect(await driver.whenThreaded()).toBe(true);
}

function rowsOnDisk(file: string, seqs: readonly number[]): JournalRow[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const get = db.prepare<[number], JournalRow>("SELECT seq, kind, body, crc FROM journal WHERE seq = ?");
    return seqs.flatMap((s) => get.all(s));
  } finally {
    db.close();
  }
}

const body = fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.json({ maxDepth: 2 }));
const batches = fc.array(fc.array(fc.tuple(fc.constantFrom("enqueue", "handled", "result"), body), { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 12 });

describe("SQLite writer thread", () => {
  it("commits with WAL and synchronous=FULL on the thread's connection", async () => {
    const dir = tempDir();
    const driver = SqliteDriver.open(dir);
    await threaded(driver);
    expect(driver.pragmas()).toEqual({ journal_mode: "wal", synchronous: 2 });
    await driver.close();
  });

  it("acknowledges a write only once a fresh connection reads all of it; a kill leaves batches whole (property)", async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.option(fc.nat({ max: 12 }), { nil: undefined }), async (spec, killAt) => {
        const dir = tempDir();
        const driver = SqliteDriver.open(dir);
        await threaded(driver);
        let seq = 1;
        const planned = spec.map((rows) => rows.map(([kind, b]): JournalRow => ({ seq: seq, kind, body: b, crc: seq++ })));
        const acked: boolean[] = planned.map(() => false);
        const seenAtAck: string[] = [];
        // All posted at once (the thread takes them in order); each checked the moment it resolves.
        const writes = planned.map((rows, k) => {
          if (k === killAt) void driver.writerThread?.kill();
          return driver.write({ append: rows, meta: { high: String(rows.at(-1)?.seq) } }).then(() => {
            acked[k] = true;
            const got = rowsOnDisk(driver.location, rows.map((r) => r.seq));
            if (JSON.stringify(got) !== JSON.stringify(rows)) seenAtAck.push(`batch ${k}: ${got.length}/${rows.length} rows readable at its acknowledgement`);
          });
        });
        const settled = await Promise.allSettled(writes);
        for (const s of settled) {
          if (s.status === "rejected") {
            expect(killAt).toBeDefined();
            expect(isAiosError(s.reason, "E_STORAGE")).toBe(true);
            expect((s.reason as Error).message).toContain("writer thread");
          }
        }
        expect(seenAtAck).toEqual([]);
        await driver.close();
        const again = SqliteDriver.open(dir, { writer: "inline" });
        try {
          for (const [k, rows] of planned.entries()) {
            const stored = await again.read(rows[0]?.seq ?? 0, rows.length);
            const whole = JSON.stringify(stored) === JSON.stringify(rows);
            if (acked[k]) expect(whole, `acknowledged batch ${k} after reopen`).toBe(true);
            else expect(whole || stored.every((r) => !rows.some((p) => p.seq === r.seq)), `batch ${k} half there`).toBe(true);
          }
        } finally {
          await again.close();
        }
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  it("turns a dead thread into E_STORAGE for the write in flight and every later one; the journal acknowledges none", async () => {
    const dir = tempDir();
    const driver = SqliteDriver.open(dir);
    const journal = await Journal.open(driver, { ack: new FileAckMark(join(dir, "journal.ack")) });
    await journal.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
    await threaded(driver);
    const acked = 20;
    await Promise.all(Array.from({ length: acked }, (_, i) => journal.append({ t: "enqueue", id: `w${i}`, to: "a", payload: null })));
    // A batch large enough to be in the thread when it dies.
    const inFlight = Array.from({ length: 5000 }, (_, i) => journal.append({ t: "enqueue", id: `f${i}`, to: "a", payload: "x".repeat(100) }));
    await new Promise((r) => setImmediate(r));
    await driver.writerThread?.kill();
    const results = await Promise.allSettled(inFlight);
    const ok = results.filter((r) => r.status === "fulfilled").length;
    // One batch: all of it acknowledged (committed before the kill landed) or none.
    expect([0, inFlight.length]).toContain(ok);
    for (const r of results) {
      if (r.status === "rejected") {
        expect(isAiosError(r.reason, "E_STORAGE")).toBe(true);
        expect((r.reason as Error).message).toMatch(/journal writer thread of .* stopped/);
      }
    }
    const later = await journal.append({ t: "enqueue", id: "late", to: "a", payload: null }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAiosError(later, "E_STORAGE")).toBe(true);
    expect((later as Error).message).toContain("writer thread");
    // The journal folded only what was acknowledged.
    expect(journal.state.agents.get("a")?.mailbox.size).toBe(acked + ok);
    await journal.close();

    const again = await Journal.open(SqliteDriver.open(dir), { ack: new FileAckMark(join(dir, "journal.ack")) });
    try {
      expect(again.recovery.loss).toBeUndefined();
      const mail = again.state.agents.get("a")?.mailbox;
      for (let i = 0; i < acked; i++) expect(mail?.has(`w${i}`)).toBe(true);
      if (ok > 0) expect(mail?.has("f4999")).toBe(true);
      expect(mail?.has("late")).toBe(false);
    } finally {
      await again.close();
    }
  }, 30_000);
});
