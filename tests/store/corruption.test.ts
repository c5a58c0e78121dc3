/**
 * Damage to the journal, done for real to the SQLite file and its rows: flipped bits, a missing row,
 * a truncated tail, a truncated file, a zeroed page, damaged meta values. Each is detected; a loss
 * refuses to open (E_CORRUPT naming the seq ranges) until accepted, and accepting it keeps EVERY
 * record that verifies (not only those before the first bad one); the journal continues after it.
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

/** The ids of the messages m2..mN not in `lostSeqs`. */
function survivors(lostSeqs: ReadonlySet<number>): string[] {
  const out: string[] = [];
  for (let seq = 2; seq <= N; seq++) if (!lostSeqs.has(seq)) out.push(`m${seq}`);
  return out;
}

/**
 * Opening refuses with the loss named; accepting it loses exactly `lostSeqs` (all records around
 * them kept), appends continue past every seq ever used, and a reopen is clean.
 */
async function expectLoss(dir: string, lostSeqs: ReadonlySet<number>, reason: RegExp): Promise<void> {
  const driver = SqliteDriver.open(dir);
  const refused = await Journal.open(driver).catch((x: unknown) => x);
  await driver.close();
  expect(isAiosError(refused, "E_CORRUPT")).toBe(true);
  expect((refused as AiosError).message).toMatch(reason);
  expect((refused as AiosError).message).toContain("aios recover --accept-loss");
  expect((refused as AiosError).details).toMatchObject({ count: lostSeqs.size, file: dbFile(dir) });

  const { journal } = await openJournal(dir, { onLoss: "accept" });
  const loss = journal.recovery.loss;
  expect(loss).toBeDefined();
  const named = new Set<number>();
  for (const r of loss?.ranges ?? []) for (let s = r.fromSeq; s <= r.toSeq; s++) named.add(s);
  expect([...named].sort((a, b) => a - b)).toEqual([...lostSeqs].sort((a, b) => a - b));
  expect(loss?.count).toBe(lostSeqs.size);
  expect(existsSync(loss?.aside ?? "/nonexistent")).toBe(true);
  expect(journal.recovery.records).toBe(N - lostSeqs.size);
  expect([...(journal.state.agents.get("a")?.mailbox.keys() ?? [])]).toEqual(survivors(lostSeqs));
  const seq = await journal.append({ t: "enqueue", id: "new", to: "a", payload: 1 });
  expect(seq).toBeGreaterThan(N);
  await journal.close();
  // The rewritten store is clean from now on, and remembers the accepted loss.
  const again = await openJournal(dir);
  expect(again.journal.recovery.loss).toBeUndefined();
  expect(again.journal.recovery.findings).toEqual([]);
  expect(again.journal.recovery.acceptedLoss).toMatchObject({ count: lostSeqs.size });
  expect([...(again.journal.state.agents.get("a")?.mailbox.keys() ?? [])]).toEqual([...survivors(lostSeqs), "new"]);
  await again.journal.close();
}

const range = (from: number, to: number): Set<number> => new Set(Array.from({ length: to - from + 1 }, (_, i) => from + i));

describe("journal corruption", () => {
  it("detects a flipped bit inside a record in the database file", async () => {
    const dir = await buildJournal();
    const file = readFileSync(dbFile(dir));
    const at = file.indexOf("MARK001234");
    expect(at).toBeGreaterThan(0);
    patchFile(dbFile(dir), at + 9, Buffer.from([file[at + 9]! ^ 0x01])); // '4' -> '5'
    await expectLoss(dir, new Set([1234]), /checksum mismatch/);
  });

  it("detects a row altered in place", async () => {
    const dir = await buildJournal();
    sql(dir, "UPDATE journal SET body = replace(body, 'MARK', 'MARX') WHERE seq = 2000");
    await expectLoss(dir, new Set([2000]), /checksum mismatch/);
  });

  it("detects a missing row in the middle", async () => {
    const dir = await buildJournal();
    sql(dir, "DELETE FROM journal WHERE seq = 700");
    await expectLoss(dir, new Set([700]), /seq 700\.\.700 \(1\): missing/);
  });

  it("detects rows cut off the tail using the store's high-water mark", async () => {
    const dir = await buildJournal();
    sql(dir, "DELETE FROM journal WHERE seq > 2900");
    await expectLoss(dir, range(2901, N), /tail cut off/);
  });

  it("steps over a zeroed page: loses exactly the records on it and keeps every record after it", async () => {
    const dir = await buildJournal();
    const file = readFileSync(dbFile(dir));
    const pageSize = file.readUInt16BE(16);
    const page = Math.floor(file.length / pageSize / 2);
    const content = file.subarray(page * pageSize, (page + 1) * pageSize).toString("latin1");
    const seqs = [...content.matchAll(/MARK(\d{6})/g)].map((m) => Number(m[1]));
    expect(seqs.length).toBeGreaterThan(0);
    patchFile(dbFile(dir), page * pageSize, Buffer.alloc(pageSize));
    await expectLoss(dir, range(Math.min(...seqs), Math.max(...seqs)), /unreadable/);
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
    const { journal } = await openJournal(dir, { onLoss: "accept" });
    const loss = journal.recovery.loss!;
    expect(loss.toSeq).toBe(N);
    expect(loss.fromSeq).toBeLessThanOrEqual(Math.min(...seqs));
    expect(journal.recovery.records + loss.count).toBe(N);
    await journal.close();
  });

  it("keeps every verified record when several records far apart are damaged", async () => {
    const dir = await buildJournal();
    sql(dir, "UPDATE journal SET body = replace(body, 'MARK', 'MARX') WHERE seq IN (100, 1500, 2999)");
    sql(dir, "DELETE FROM journal WHERE seq IN (101, 102)");
    await expectLoss(dir, new Set([100, 101, 102, 1500, 2999]), /checksum mismatch/);
  });

  it("names the agents and messages of damaged records whose body still reads", async () => {
    const dir = await buildJournal();
    sql(dir, "UPDATE journal SET crc = crc + 1 WHERE seq = 42");
    const driver = SqliteDriver.open(dir);
    const e = await Journal.open(driver).catch((x: unknown) => x);
    await driver.close();
    expect((e as AiosError).details).toMatchObject({ fromSeq: 42, toSeq: 42, count: 1, agents: ["a"], messages: ["m42"] });
    expect((e as AiosError).message).toContain("messages: m42");
  });
});

describe("journal metadata", () => {
  const meta = (dir: string, key: string): string => {
    const db = new Database(dbFile(dir), { readonly: true });
    const v = db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? "";
    db.close();
    return v;
  };

  it("carries checksums: a base set to 9 or 2000 skips nothing and is reported and repaired", async () => {
    for (const forged of ["9", "2000", "9~00000000"]) {
      const dir = await buildJournal();
      sql(dir, `INSERT OR REPLACE INTO meta (key, value) VALUES ('journal.base', '${forged}')`);
      const { journal } = await openJournal(dir);
      expect(journal.recovery.loss).toBeUndefined();
      expect(journal.recovery.records).toBe(N);
      expect(journal.state.agents.get("a")?.mailbox.size).toBe(N - 1);
      expect(journal.recovery.findings.join("\n")).toMatch(/meta journal\.base (failed its checksum|carries no checksum)/);
      await journal.close();
      expect(meta(dir, "journal.base")).toMatch(/^1~[0-9a-f]{8}$/);
      const again = await openJournal(dir);
      expect(again.journal.recovery.findings).toEqual([]);
      await again.journal.close();
    }
  });

  it("a bit flip in journal.high is reported as damaged meta, not as a false loss", async () => {
    const dir = await buildJournal();
    const v = meta(dir, "journal.high");
    expect(v.startsWith(`${N}~`)).toBe(true);
    // '3000' -> '3001' (bit 0 of the last digit), the checksum left as it was.
    sql(dir, `UPDATE meta SET value = '3001' || substr(value, 5) WHERE key = 'journal.high'`);
    const { journal } = await openJournal(dir);
    expect(journal.recovery.loss).toBeUndefined();
    expect(journal.recovery.records).toBe(N);
    expect(journal.recovery.findings.join("\n")).toMatch(/meta journal\.high failed its checksum/);
    await journal.close();
  });

  it("treats rows below the base as retired (ADR 0049): not read, not damage, swept", async () => {
    const dir = await buildJournal();
    const { journal } = await openJournal(dir);
    await journal.compact();
    await journal.close();
    // Put back a row below the new base, as a sweep cut short by a crash would have left it (its
    // body does not even verify: a retired row is never read).
    sql(dir, "INSERT INTO journal (seq, kind, body, crc) VALUES (5, 'enqueue', '{}', 0)");
    const { journal: j2 } = await openJournal(dir);
    expect(j2.recovery.loss).toBeUndefined();
    expect(j2.recovery.findings).toEqual([]);
    expect(j2.recovery.messages.join("\n")).toMatch(/rows from seq 5 below the base \d+ are retired/);
    expect(j2.state.agents.get("a")?.mailbox.size).toBe(N - 1);
    await j2.close();
    const db = new Database(dbFile(dir), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM journal WHERE seq = 5").get()).toEqual({ n: 0 });
    db.close();
  });
});
