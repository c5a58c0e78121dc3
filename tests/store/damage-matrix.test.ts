/**
 * The damage matrix (issues #17.3, #17.4, #19.5): each store is written by a real child process that
 * is killed with SIGKILL (so the WAL keeps its frames), then damaged for real on disk — deleted,
 * rolled back to an older copy, truncated, a bit flipped, a page zeroed — and reopened. Every case
 * must be DETECTED: either it opens with nothing acknowledged lost (checked against what the child
 * printed as acknowledged), or it refuses with the loss named (seq ranges), and accepting that loss
 * keeps every acknowledged record outside the named ranges. A summary line prints detected/total.
 * Stores: the journal (fixtures/ack-child.ts) and memory (fixtures/memory-child.ts; a damaged
 * record may also be refused on read with E_CORRUPT naming it). The audit store is not in this
 * matrix: its damage is covered by tests/security/audit-tamper.test.ts and audit-damage.test.ts.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { MemoryFabric } from "../../src/memory/index.js";
import { FileAckMark, Journal, SqliteDriver, type Loss } from "../../src/store/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = resolve(HERE, "../..");
const root = mkdtempSync(join(tmpdir(), "aios-damage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the child until it printed "done", then SIGKILLs it; returns its "ack" lines' two fields. */
async function runLines(fixture: string, args: readonly string[]): Promise<[string, string][]> {
  const child = spawn(process.execPath, ["--import", "tsx", join(HERE, "fixtures", fixture), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const acked: [string, string][] = [];
  let err = "";
  let buf = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((done, fail) => {
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) {
        const [word, seq, id] = l.split(" ");
        if (word === "ack" && seq !== undefined && id !== undefined) acked.push([seq, id]);
        if (word === "done") child.kill("SIGKILL");
      }
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? done() : fail(new Error(`child exited ${code ?? signal}: ${err}`))));
  });
  return acked;
}

/** The journal child: seq -> message id acknowledged. */
async function runChild(fixture: string, args: readonly string[]): Promise<Map<number, string>> {
  return new Map((await runLines(fixture, args)).map(([seq, id]) => [Number(seq), id]));
}

interface Outcome {
  readonly detected: boolean;
  readonly how: string;
}

const results: { store: string; damage: string; outcome: Outcome }[] = [];

function flipBit(file: string, offset: number): void {
  const b = readFileSync(file);
  b[offset] = (b[offset] ?? 0) ^ 0x10;
  writeFileSync(file, b);
}

function zeroPage(file: string, page: number): void {
  const b = readFileSync(file);
  const size = b.readUInt16BE(16) === 1 ? 65_536 : b.readUInt16BE(16);
  b.fill(0, page * size, (page + 1) * size);
  writeFileSync(file, b);
}

// ---------------------------------------------------------------------------------------------
// The journal: aios.db + aios.db-wal + journal.ack, written by fixtures/ack-child.ts.

interface JournalFixture {
  readonly pristine: string;
  readonly older: string;
  readonly acked: Map<number, string>;
}

async function journalFixture(): Promise<JournalFixture> {
  const pristine = join(root, "journal-pristine");
  const older = join(root, "journal-older");
  const acked = await runChild("ack-child.ts", [pristine, "r1", "1500"]);
  // Fold the first run's WAL into aios.db (what a clean close or an auto-checkpoint does), so the
  // second run's records are the ones in the WAL; keep that state as the "older copy".
  const db = new Database(join(pristine, "aios.db"));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  cpSync(pristine, older, { recursive: true });
  for (const [s, id] of await runChild("ack-child.ts", [pristine, "r2", "1500"])) acked.set(s, id);
  expect(statSync(join(pristine, "aios.db-wal")).size).toBeGreaterThan(0);
  return { pristine, older, acked };
}

/** Opens the damaged journal the way boot does and judges the outcome against what was acknowledged. */
async function judgeJournal(dir: string, acked: Map<number, string>): Promise<Outcome> {
  const ack = (): FileAckMark => new FileAckMark(join(dir, "journal.ack"));
  const ids = (j: Journal): Set<string> => new Set(j.state.agents.get("a")?.mailbox.keys() ?? []);
  let journal: Journal;
  const open = async (o: { onLoss?: "accept" } = {}): Promise<Journal> => {
    const driver = SqliteDriver.open(dir);
    return Journal.open(driver, { ack: ack(), ...o }).catch(async (e: unknown) => {
      await driver.close();
      throw e;
    });
  };
  try {
    journal = await open();
  } catch (e) {
    if (!isAiosError(e, "E_CORRUPT")) return { detected: false, how: `failed without naming damage: ${String(e)}` };
    const d = (e).details;
    if (typeof d["count"] !== "number") return { detected: true, how: `refused: ${(e).message.slice(0, 120)}` };
    // Accept the loss: every acknowledged record outside the named ranges must still be there.
    const kept = await open({ onLoss: "accept" });
    const loss = kept.recovery.loss as Loss;
    const inLoss = (seq: number): boolean => loss.ranges.some((r) => r.fromSeq <= seq && seq <= r.toSeq);
    const have = ids(kept);
    await kept.close();
    const missing = [...acked].filter(([seq, id]) => !inLoss(seq) && !have.has(id));
    if (missing.length > 0) return { detected: false, how: `refused, but ${missing.length} acknowledged record(s) outside the named ranges were dropped` };
    const unnamed = [...acked.keys()].filter((s) => inLoss(s) && have.has(acked.get(s) ?? "")).length;
    return { detected: true, how: `refused naming ${loss.count} record(s) seq ${loss.fromSeq}..${loss.toSeq}${unnamed > 0 ? ` (${unnamed} of them survived)` : ""}` };
  }
  const have = ids(journal);
  await journal.close();
  const missing = [...acked.values()].filter((id) => !have.has(id));
  return missing.length === 0 ? { detected: true, how: "recovered, nothing acknowledged lost" } : { detected: false, how: `SILENT: ${missing.length} acknowledged record(s) missing` };
}

/** The n-th WAL frame's offset (32-byte header, then frames of 24 + pageSize bytes). */
function walFrame(wal: string, n: number): number {
  const pageSize = readFileSync(wal).readUInt32BE(8);
  return 32 + n * (24 + pageSize);
}

const JOURNAL_CASES: Record<string, (dir: string, f: JournalFixture) => void> = {
  "delete aios.db": (d) => unlinkSync(join(d, "aios.db")),
  "delete aios.db and its marker": (d) => {
    unlinkSync(join(d, "aios.db"));
    unlinkSync(join(d, "store.json"));
  },
  "delete the WAL": (d) => unlinkSync(join(d, "aios.db-wal")),
  "delete the WAL and SHM": (d) => {
    unlinkSync(join(d, "aios.db-wal"));
    if (existsSync(join(d, "aios.db-shm"))) unlinkSync(join(d, "aios.db-shm"));
  },
  "roll back to an older copy": (d, f) => {
    for (const s of ["aios.db", "aios.db-wal", "aios.db-shm"]) rmSync(join(d, s), { force: true });
    for (const s of ["aios.db", "aios.db-wal"]) if (existsSync(join(f.older, s))) cpSync(join(f.older, s), join(d, s));
  },
  "truncate the WAL to half": (d) => truncateSync(join(d, "aios.db-wal"), Math.floor(statSync(join(d, "aios.db-wal")).size / 2)),
  "truncate aios.db to half": (d) => {
    const size = statSync(join(d, "aios.db")).size;
    truncateSync(join(d, "aios.db"), size - (size % 4096) - Math.floor(size / 8192) * 4096);
  },
  "flip a bit in a WAL frame": (d) => {
    const wal = join(d, "aios.db-wal");
    const frames = Math.floor((statSync(wal).size - 32) / (24 + readFileSync(wal).readUInt32BE(8)));
    flipBit(wal, walFrame(wal, Math.floor(frames / 2)) + 24 + 1000);
  },
  "flip a bit in aios.db": (d) => {
    const b = readFileSync(join(d, "aios.db"));
    const at = b.indexOf("r1-700");
    flipBit(join(d, "aios.db"), at > 0 ? at + 2 : Math.floor(b.length / 2));
  },
  "zero a page of aios.db": (d) => zeroPage(join(d, "aios.db"), Math.floor(statSync(join(d, "aios.db")).size / 4096 / 2)),
  "zero page 2 of aios.db": (d) => zeroPage(join(d, "aios.db"), 1),
  "delete the acknowledgement mark": (d) => unlinkSync(join(d, "journal.ack")),
};

describe("damage matrix", () => {
  it("journal: every damage case is detected (recovered intact, or refused with the loss named)", async () => {
    const f = await journalFixture();
    for (const [damage, apply] of Object.entries(JOURNAL_CASES)) {
      const dir = join(root, `journal-${damage.replace(/\W+/g, "-")}`);
      cpSync(f.pristine, dir, { recursive: true });
      rmSync(join(dir, "aios.lock"), { force: true }); // the killed child's (stale) lock
      apply(dir, f);
      results.push({ store: "journal", damage, outcome: await judgeJournal(dir, f.acked) });
    }
    report("journal");
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------
// The memory store: memory.db + WAL + memory.ack, written by fixtures/memory-child.ts.

interface MemoryFixture {
  readonly pristine: string;
  readonly older: string;
  /** record id -> text acknowledged */
  readonly acked: Map<string, string>;
}

async function memoryFixture(): Promise<MemoryFixture> {
  const pristine = join(root, "memory-pristine");
  const older = join(root, "memory-older");
  const acked = new Map(await runLines("memory-child.ts", [pristine, "r1", "150"]));
  const db = new Database(join(pristine, "memory.db"));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  cpSync(pristine, older, { recursive: true });
  for (const [id, text] of await runLines("memory-child.ts", [pristine, "r2", "150"])) acked.set(id, text);
  expect(statSync(join(pristine, "memory.db-wal")).size).toBeGreaterThan(0);
  return { pristine, older, acked };
}

async function judgeMemory(dir: string, acked: Map<string, string>): Promise<Outcome> {
  let f: MemoryFabric;
  try {
    f = await MemoryFabric.open({ dataDir: dir, dim: 4 });
  } catch (e) {
    if (!isAiosError(e, "E_CORRUPT")) return { detected: false, how: `failed without naming damage: ${String(e)}` };
    return { detected: true, how: `refused: ${e.message.slice(0, 140)}` };
  }
  let named = 0;
  let silent = 0;
  try {
    for (const [id, text] of acked) {
      try {
        const r = await f.get(id, { agent: "a1" });
        if (!JSON.stringify(r).includes(`"${text}"`)) silent++;
      } catch (e) {
        if (isAiosError(e, "E_CORRUPT")) named++;
        else silent++;
      }
    }
  } finally {
    await f.close().catch(() => undefined);
  }
  if (silent > 0) return { detected: false, how: `SILENT: ${silent} acknowledged record(s) missing or changed` };
  return { detected: true, how: named > 0 ? `opened; ${named} damaged record(s) refused with E_CORRUPT naming them` : "recovered, nothing acknowledged lost" };
}

const STORE_FILE_CASES = (file: string, older: string): Record<string, (dir: string) => void> => ({
  [`delete ${file}`]: (d) => unlinkSync(join(d, file)),
  [`delete the ${file} WAL`]: (d) => unlinkSync(join(d, `${file}-wal`)),
  [`delete the ${file} WAL and SHM`]: (d) => {
    unlinkSync(join(d, `${file}-wal`));
    rmSync(join(d, `${file}-shm`), { force: true });
  },
  [`roll ${file} back to an older copy`]: (d) => {
    for (const s of ["", "-wal", "-shm"]) rmSync(join(d, file + s), { force: true });
    for (const s of ["", "-wal"]) if (existsSync(join(older, file + s))) cpSync(join(older, file + s), join(d, file + s));
  },
  [`truncate the ${file} WAL to half`]: (d) => truncateSync(join(d, `${file}-wal`), Math.floor(statSync(join(d, `${file}-wal`)).size / 2)),
  [`truncate ${file} to half`]: (d) => {
    const size = statSync(join(d, file)).size;
    truncateSync(join(d, file), Math.floor(size / 2 / 4096) * 4096);
  },
  [`flip a bit in a ${file} WAL frame`]: (d) => {
    const wal = join(d, `${file}-wal`);
    const frames = Math.floor((statSync(wal).size - 32) / (24 + readFileSync(wal).readUInt32BE(8)));
    flipBit(wal, walFrame(wal, Math.floor(frames / 2)) + 24 + 1000);
  },
  [`flip a bit in ${file}`]: (d) => flipBit(join(d, file), Math.floor(statSync(join(d, file)).size / 2) + 777),
  [`zero a page of ${file}`]: (d) => zeroPage(join(d, file), Math.floor(statSync(join(d, file)).size / 4096 / 2)),
});

describe("damage matrix", () => {
  it("memory: every damage case is detected (recovered intact, refused, or the damaged record named)", async () => {
    const f = await memoryFixture();
    for (const [damage, apply] of Object.entries(STORE_FILE_CASES("memory.db", f.older))) {
      const dir = join(root, `memory-${damage.replace(/\W+/g, "-")}`);
      cpSync(f.pristine, dir, { recursive: true });
      apply(dir);
      results.push({ store: "memory", damage, outcome: await judgeMemory(dir, f.acked) });
    }
    report("memory");
  }, 180_000);
});

function report(store: string): void {
  const rows = results.filter((r) => r.store === store);
  for (const r of rows) console.log(`  ${r.outcome.detected ? "detected" : "MISSED  "}  ${store}: ${r.damage} -> ${r.outcome.how}`);
  const detected = rows.filter((r) => r.outcome.detected).length;
  console.log(`damage matrix ${store}: ${detected}/${rows.length} detected`);
  expect(rows.filter((r) => !r.outcome.detected)).toEqual([]);
}
