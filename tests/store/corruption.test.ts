/**
 * Damage to the journal, done for real to the SQLite file and its rows: flipped bits, a missing row,
 * a truncated tail, a truncated file, a zeroed page. Each is detected, the loss is reported exactly
 * (seq range and count), the verified prefix is kept, and the journal continues after it.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { AiosError} from "../../src/core/index.js";
import { isAiosError } from "../../src/core/index.js";
import { Journal, SqliteDriver } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const N = 3000;

/** A closed journal of N records: seq 1 spawns agent a, seq s >= 2 enqueues message `MARK<s>`. */
async function buildJournal(): Promise<string> {
  const dir = tempDir("aios-corrupt-");
  const { journal } = await openJournal(dir);
  await journal.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
  const pending: Promise<number>[] = [];
  for (let seq = 2; seq <= N; seq++) pending.push(journal.append({ t: "enqueue", id: `m${seq}`, to: "a", payload: `MARK${String(seq).padStart(6, "0")}` }));
  await Promise.all(pending);
  await journal.close(); // last connection closes: the WAL is checkpointed into aios.db
  return dir;
}

function dbFile(dir: string): string {
  return join(dir, "aios.db");
}

function patchFile(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

function sql(dir: string, statement: string): void {
  const db = new Database(dbFile(dir));
  db.exec(statement);
  db.close();
}

/** Recovers and checks the loss is exactly [fromSeq, N], the prefix intact and appends continue. */
async function expectLoss(dir: string, fromSeq: number, reason: RegExp): Promise<void> {
  const { journal } = await openJournal(dir);
  const lost = journal.recovery.lost;
  expect(lost).toBeDefined();
  expect(lost).toMatchObject({ fromSeq, toSeq: N, count: N - fromSeq + 1 });
  expect(lost?.reason).toMatch(reason);
  expect(existsSync(lost?.aside ?? "/nonexistent")).toBe(true);
  expect(journal.recovery.records).toBe(fromSeq - 1);
  expect(journal.recovery.messages.join("\n")).toContain(`lost ${N - fromSeq + 1} record(s), seq ${fromSeq}..${N}`);
  const mail = [...(journal.state.agents.get("a")?.mailbox.keys() ?? [])];
  expect(mail).toHaveLength(fromSeq - 2);
  expect(mail.at(-1)).toBe(fromSeq > 2 ? `m${fromSeq - 1}` : undefined);
  expect(await journal.append({ t: "enqueue", id: "new", to: "a", payload: 1 })).toBe(fromSeq);
  await journal.close();
  // The salvaged store is clean from now on.
  const again = await openJournal(dir);
  expect(again.journal.recovery.lost).toBeUndefined();
  expect(again.journal.recovery.records).toBe(fromSeq);
  await again.journal.close();
}

describe("journal corruption", () => {
  it("detects a flipped bit inside a record in the database file", async () => {
    const dir = await buildJournal();
    const file = readFileSync(dbFile(dir));
    const at = file.indexOf("MARK001234");
    expect(at).toBeGreaterThan(0);
    patchFile(dbFile(dir), at + 9, Buffer.from([file[at + 9]! ^ 0x01])); // '4' -> '5'
    await expectLoss(dir, 1234, /checksum mismatch/);
  });

  it("detects a row altered in place", async () => {
    const dir = await buildJournal();
    sql(dir, "UPDATE journal SET body = replace(body, 'MARK', 'MARX') WHERE seq = 2000");
    await expectLoss(dir, 2000, /checksum mismatch/);
  });

  it("detects a missing row in the middle", async () => {
    const dir = await buildJournal();
    sql(dir, "DELETE FROM journal WHERE seq = 700");
    await expectLoss(dir, 700, /record 700 is missing/);
  });

  it("detects rows cut off the tail using the store's high-water mark", async () => {
    const dir = await buildJournal();
    sql(dir, "DELETE FROM journal WHERE seq > 2900");
    await expectLoss(dir, 2901, /tail truncated/);
  });

  it("detects a zeroed page and reports the loss from the first record on it", async () => {
    const dir = await buildJournal();
    const file = readFileSync(dbFile(dir));
    const pageSize = file.readUInt16BE(16);
    const page = Math.floor(file.length / pageSize / 2);
    const content = file.subarray(page * pageSize, (page + 1) * pageSize).toString("latin1");
    const seqs = [...content.matchAll(/MARK(\d{6})/g)].map((m) => Number(m[1]));
    expect(seqs.length).toBeGreaterThan(0);
    patchFile(dbFile(dir), page * pageSize, Buffer.alloc(pageSize));
    await expectLoss(dir, Math.min(...seqs), /unreadable/);
  });

  it("detects a database file truncated mid-way", async () => {
    const dir = await buildJournal();
    const size = statSync(dbFile(dir)).size;
    const pageSize = readFileSync(dbFile(dir)).readUInt16BE(16);
    const keepPages = Math.floor(size / pageSize / 2);
    // The first record on the first missing page is where the loss starts.
    const buf = Buffer.alloc(pageSize);
    const fd = openSync(dbFile(dir), "r");
    readSync(fd, buf, 0, pageSize, keepPages * pageSize);
    closeSync(fd);
    const seqs = [...buf.toString("latin1").matchAll(/MARK(\d{6})/g)].map((m) => Number(m[1]));
    truncateSync(dbFile(dir), keepPages * pageSize);
    const { journal } = await openJournal(dir);
    const lost = journal.recovery.lost!;
    expect(lost.toSeq).toBe(N);
    expect(lost.count).toBe(N - lost.fromSeq + 1);
    expect(lost.fromSeq).toBeLessThanOrEqual(Math.min(...seqs));
    expect(journal.recovery.records).toBe(lost.fromSeq - 1);
    await journal.close();
  });

  it("refuses to open a damaged journal when told to, with the loss in the error", async () => {
    const dir = await buildJournal();
    sql(dir, "DELETE FROM journal WHERE seq = 10");
    const driver = SqliteDriver.open(dir);
    const e = await Journal.open(driver, { onCorruption: "refuse" }).catch((x: unknown) => x);
    await driver.close();
    expect(isAiosError(e, "E_CORRUPT")).toBe(true);
    expect((e as AiosError).details).toMatchObject({ fromSeq: 10, toSeq: N, count: N - 9 });
  });
});
