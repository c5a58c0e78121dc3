/**
 * Compaction off the critical path (ADR 0049): an automatic compaction rebases (the live state as
 * fresh records, journal.base and journal.horizon moved to them, nothing deleted) and the retired
 * rows below the base are swept in chunks riding later commits. Real SQLite files throughout: the
 * chunks' shape, a crash image taken mid-sweep (files copied between commits), a damaged base with
 * retired rows present, and kill -9 of a child whose journal rebases and sweeps all the time.
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { FileAckMark, Journal, SqliteDriver, type JournalRecord, type StorageDriver, type WriteBatch } from "../../src/store/index.js";
import { bundleChild, killAfterReady } from "./crash-harness.js";
import { CountingDriver, cleanupDirs, tempDir } from "./helpers.js";

afterAll(cleanupDirs);

class RecordingDriver extends CountingDriver {
  readonly batches: WriteBatch[] = [];
  constructor(inner: StorageDriver) {
    super(inner);
  }
  override async write(b: WriteBatch): Promise<void> {
    await super.write(b);
    this.batches.push(b);
  }
}

const open = (dir: string, o: Parameters<typeof Journal.open>[1] = {}) => {
  const driver = new RecordingDriver(SqliteDriver.open(dir));
  return Journal.open(driver, { ack: new FileAckMark(join(dir, "journal.ack")), ...o }).then((journal) => ({ journal, driver }));
};

const stored = (dir: string): { first: number | null; n: number } => {
  const db = new Database(join(dir, "aios.db"), { readonly: true });
  const r = db.prepare<[], { first: number | null; n: number }>("SELECT min(seq) AS first, count(*) AS n FROM journal").get() ?? { first: null, n: 0 };
  db.close();
  return r;
};

const handled = (i: number): JournalRecord => ({ t: "handled", agent: "a", checkpoint: { i }, callSeq: i });

/** Copies the store's files as a crash would leave them (no write in flight: called between awaited commits). */
function crashImage(from: string, to: string): void {
  for (const f of ["aios.db", "aios.db-wal", "journal.ack"]) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(to, f));
}

describe("compaction off the critical path", () => {
  it("rebases without deleting, then sweeps the retired rows in chunks that ride later commits", async () => {
    const dir = tempDir("aios-sweep-");
    const { journal, driver } = await open(dir, { compactMinRows: 100, compactRatio: 2, sweepChunk: 10, compactOnClose: Infinity });
    await journal.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
    for (let i = 0; i < 160; i++) await journal.append(handled(i));
    await journal.flush();
    const rebases = driver.batches.filter((b) => b.meta?.["journal.base"] !== undefined);
    expect(rebases.length).toBeGreaterThan(0);
    // The rebase moves both copies of the base and deletes nothing.
    for (const b of rebases) {
      expect(b.deleteBelow).toBeUndefined();
      expect(b.meta?.["journal.horizon"]).toBeDefined();
    }
    // Chunks: each deletes a bounded range below the base, most of them inside a commit of appends.
    const chunks = driver.batches.filter((b) => b.deleteBelow !== undefined);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.filter((b) => (b.append?.length ?? 0) > 0).length).toBeGreaterThan(0);
    expect(chunks.filter((b) => (b.append?.length ?? 0) > 0).every((b) => b.reclaim === false)).toBe(true);
    const ups = chunks.map((b) => b.deleteBelow as number);
    for (let i = 1; i < ups.length; i++) expect(ups[i]).toBeGreaterThanOrEqual(ups[i - 1] as number);
    expect(journal.storedRows()).toBeLessThan(100);
    await journal.close();
    const again = await open(dir);
    expect(again.journal.recovery.findings).toEqual([]);
    expect(again.journal.recovery.loss).toBeUndefined();
    expect(again.journal.state.agents.get("a")?.checkpoint).toEqual({ i: 159 });
    await again.journal.close();
    // A clean close finished the sweep: nothing below the base remains.
    expect(stored(dir).n).toBe(again.journal.storedRows());
  });

  it("a crash image taken mid-sweep opens with nothing lost, reads no retired row, and finishes the sweep; a damaged base falls back to its copy", async () => {
    const dir = tempDir("aios-sweep-");
    // unawaitedMs large: no idle sweep runs; chunks of 2 rows ride each single-record commit.
    const { journal } = await open(dir, { compactMinRows: 100, compactRatio: 2, sweepChunk: 1, unawaitedMs: 60_000, compactOnClose: Infinity });
    await journal.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
    let i = 0;
    for (let before = 0; journal.storedRows() >= before; ) {
      before = journal.storedRows();
      await journal.append(handled(i++));
      await journal.flush(); // the rebase, once due, runs after the commit that made it due
    }
    for (let k = 0; k < 10; k++) await journal.append({ t: "enqueue", id: `m${k}`, to: "a", payload: k });
    // Rebased, and the sweep part-way: 10 commits deleted 2 retired rows each.
    const mid = stored(dir);
    expect(mid.first).toBe(21);
    expect(mid.n).toBeGreaterThan(journal.storedRows());
    const image = tempDir("aios-sweep-image-");
    crashImage(dir, image);
    const damaged = tempDir("aios-sweep-image-");
    crashImage(dir, damaged);
    await journal.close();

    const j = await open(image);
    expect(j.journal.recovery.loss).toBeUndefined();
    expect(j.journal.recovery.findings).toEqual([]);
    expect(j.journal.recovery.messages.join("\n")).toMatch(/rows from seq 21 below the base \d+ are retired/);
    expect(j.journal.recovery.records).toBe(j.journal.storedRows());
    expect(j.journal.state.agents.get("a")?.checkpoint).toEqual({ i: i - 1 });
    expect([...(j.journal.state.agents.get("a")?.mailbox.keys() ?? [])]).toEqual(Array.from({ length: 10 }, (_, k) => `m${k}`));
    await j.journal.close();
    expect(stored(image).n).toBe(j.journal.storedRows());

    // A flipped digit in journal.base (its checksum left as it was): the scan starts at journal.horizon,
    // not at the first retired row (which would replay history beneath the snapshot).
    const db = new Database(join(damaged, "aios.db"));
    db.prepare("UPDATE meta SET value = '9' || substr(value, 2) WHERE key = 'journal.base'").run();
    db.close();
    const d = await open(damaged);
    expect(d.journal.recovery.loss).toBeUndefined();
    expect(d.journal.recovery.findings.join("\n")).toMatch(/meta journal\.base failed its checksum/);
    expect(d.journal.recovery.records).toBe(d.journal.storedRows());
    expect(d.journal.state.agents.get("a")?.checkpoint).toEqual({ i: i - 1 });
    expect(d.journal.state.agents.get("a")?.mailbox.size).toBe(10);
    await d.journal.close();
  });
});

const KILLS = Number(process.env["AIOS_SWEEP_CRASH_KILLS"] ?? 6);

async function runChild(bundle: string, dataDir: string, runId: string, delayMs: number): Promise<{ acked: string[]; done: Set<string>; signal: NodeJS.Signals | null; stderr: string }> {
  const { lines, signal, stderr } = await killAfterReady(bundle, [dataDir, runId], delayMs);
  const field = (kind: string): string[] => lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.split(" ")[1] ?? "");
  return { acked: field("ack"), done: new Set(field("done")), signal, stderr };
}

describe("kill -9 while the journal rebases and sweeps", () => {
  it(`keeps every acknowledged letter and handled record across ${KILLS} kills or more`, async () => {
    const bundle = await bundleChild("-sweep", "sweep-crash-child.ts");
    const dataDir = join(tempDir("aios-sweep-crash-"), "data");
    let seed = 0x51ee9;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let retiredSeen = 0;
    // At least KILLS kills; on a loaded machine the child may be slow enough that none lands while
    // retired rows wait for their sweep, so a few more are made (up to 3x) until one has.
    for (let i = 0; i < KILLS || (retiredSeen === 0 && i < 3 * KILLS); i++) {
      const run = await runChild(bundle, dataDir, `r${i}`, 40 + Math.floor(rand() * 200));
      expect(run.signal, run.stderr.slice(0, 2000)).toBe("SIGKILL");
      const journal = await Journal.open(SqliteDriver.open(dataDir), { ack: new FileAckMark(join(dataDir, "journal.ack")), compactOnClose: Infinity });
      try {
        expect(journal.recovery.loss).toBeUndefined();
        if (/are retired/.test(journal.recovery.messages.join("\n"))) retiredSeen++;
        const a = journal.state.agents.get("a");
        // An acknowledged letter is still waiting, or was handled (its key is in the agent's window of
        // handled keys, which snapshots carry); one whose handled record was acknowledged is gone.
        expect(run.acked.length).toBeLessThan(4096);
        const lost = run.acked.filter((id) => a?.mailbox.has(id) !== true && a?.seen?.has(id) !== true);
        expect(lost.slice(0, 5), `after kill ${i}: acknowledged letter missing`).toEqual([]);
        expect([...run.done].filter((id) => a?.mailbox.has(id) === true).slice(0, 5), `after kill ${i}: handled letter back`).toEqual([]);
        // Each run starts with an empty mailbox: what still waits is handled here.
        for (const id of [...(a?.mailbox.keys() ?? [])]) await journal.append({ t: "handled", agent: "a", msg: id, callSeq: 0 });
      } finally {
        await journal.close();
      }
    }
    // The kills landed while retired rows were waiting for their sweep at least once.
    expect(retiredSeen).toBeGreaterThan(0);
  }, 180_000);
});
