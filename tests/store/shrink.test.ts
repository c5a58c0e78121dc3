/**
 * Files shrink (issue #19.7): after compaction the freed pages go back to the file system
 * (auto_vacuum=INCREMENTAL + incremental_vacuum) and the WAL is truncated (wal_checkpoint(TRUNCATE),
 * journal_size_limit), so a journal that turned over many times its live size stays near that size.
 * A store written before this (no auto-vacuum, meta without checksums) is migrated in place once.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { decodeMeta, Journal, LATEST_SCHEMA, SqliteDriver, toRow } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const size = (f: string): number => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

describe("store files shrink", () => {
  it("stay near the live size while the journal turns over 40 times", async () => {
    const dir = tempDir();
    const { journal } = await openJournal(dir, { compactMinRows: 2_000, compactRatio: 4 });
    const pad = "x".repeat(400);
    for (let a = 0; a < 20; a++) await journal.append({ t: "spawn", agent: `a${a}`, spec: { name: `a${a}` }, status: "running", callSeq: 0 });
    let written = 0;
    for (let round = 0; round < 40; round++) {
      // 2,000 messages sent and handled: the live state stays at 20 agents.
      const batch: Promise<number>[] = [];
      for (let i = 0; i < 1_000; i++) {
        const id = `m${round}-${i}`;
        const agent = `a${i % 20}`;
        batch.push(journal.append({ t: "enqueue", id, to: agent, payload: pad }));
        batch.push(journal.append({ t: "handled", agent, msg: id, callSeq: 0, checkpoint: { round } }));
      }
      await Promise.all(batch);
      written += 2_000 * (pad.length + 60);
    }
    await journal.flush();
    const { removed } = await journal.compact();
    expect(removed).toBeGreaterThan(0);
    const db = join(dir, "aios.db");
    const onDisk = size(db) + size(`${db}-wal`);
    // Live: 20 checkpoint records. Without shrinking the file keeps its high-water size (~1-2 MB
    // of pages for 2,000+ rows) and the WAL every page written since the last checkpoint.
    expect(size(`${db}-wal`)).toBe(0);
    expect(onDisk).toBeLessThan(64 * 1024);
    expect(written).toBeGreaterThan(30 * 1024 * 1024);
    await journal.close();
    const raw = new Database(db, { readonly: true });
    expect(raw.pragma("auto_vacuum", { simple: true })).toBe(2);
    expect(raw.pragma("freelist_count", { simple: true })).toBe(0);
    raw.close();
  });

  it("migrates a store written before checksummed meta and auto-vacuum, keeping every record", async () => {
    const dir = tempDir();
    const file = join(dir, "aios.db");
    const old = new Database(file);
    old.pragma("journal_mode = WAL");
    old.exec(`
      CREATE TABLE journal (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL, crc INTEGER NOT NULL);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      PRAGMA user_version = 1;
    `);
    const ins = old.prepare("INSERT INTO journal (seq, kind, body, crc) VALUES (?, ?, ?, ?)");
    const r1 = toRow(1, { t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
    ins.run(r1.seq, r1.kind, r1.body, r1.crc);
    for (let s = 2; s <= 500; s++) {
      const r = toRow(s, { t: "enqueue", id: `m${s}`, to: "a", payload: "p" });
      ins.run(r.seq, r.kind, r.body, r.crc);
    }
    old.prepare("INSERT INTO meta (key, value) VALUES ('journal.high', '500')").run();
    expect(old.pragma("auto_vacuum", { simple: true })).toBe(0);
    old.close();

    const driver = SqliteDriver.open(dir);
    expect(driver.schemaVersion).toBe(LATEST_SCHEMA);
    const journal = await Journal.open(driver);
    expect(journal.recovery.loss).toBeUndefined();
    expect(journal.recovery.records).toBe(500);
    expect(journal.state.agents.get("a")?.mailbox.size).toBe(499);
    const high = await driver.getMeta("journal.high");
    expect(decodeMeta("journal.high", high ?? "")).toEqual({ ok: true, value: "500" });
    await journal.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("auto_vacuum", { simple: true })).toBe(2);
    raw.close();
  });
});
