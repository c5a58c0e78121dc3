/**
 * ADR 0059: the acknowledgement mark's fdatasync runs beside the batch's SQLite commit instead of
 * after it, and an append is acknowledged once both are on disk. The orderings this relies on, from
 * the attacker's side, with real SQLite files and real kill -9 (fixtures/mark-ahead-child.ts):
 * - killed with the mark on disk ahead of the store (the batch never committed): the store opens
 *   with nothing lost, at the committed point the mark recorded, nothing of the batch acknowledged,
 *   and the next records continue densely from there (no gap a later open would read as a loss);
 * - killed with the batch committed and its mark never written: opens with nothing lost, the batch
 *   there, and it was never acknowledged (the append waits for the mark);
 * - a batch refused (disk full) after its mark was on disk, then the next batch committed on the
 *   same seqs and killed before its own mark: opens with nothing lost (the mark was put back first);
 * - the bound on what the mark cannot tell: once the journal was idle (or closed) the mark is
 *   confirmed at the committed point, and losing the last acknowledged batch is refused by name.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { FileAckMark, Journal, SqliteDriver } from "../../src/store/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = resolve(HERE, "../..");
const root = mkdtempSync(join(tmpdir(), "aios-mark-ahead-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the child and SIGKILLs it at the first line starting with `killAt`; returns what it printed. */
function runUntil(dataDir: string, runId: string, mode: string, killAt: string): Promise<string[]> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(HERE, "fixtures", "mark-ahead-child.ts"), dataDir, runId, mode], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let killed = false;
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!killed && out.split("\n").some((l) => l.startsWith(killAt))) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? done(out.split("\n").filter((l) => l.length > 0)) : fail(new Error(`child exited ${code ?? signal}: ${err}`))));
  });
}

const acked = (lines: readonly string[]): Map<number, string> =>
  new Map(lines.filter((l) => l.startsWith("ack ")).map((l) => l.split(" ")).map(([, seq, id]) => [Number(seq), id as string]));

async function open(dir: string): Promise<Journal> {
  const driver = SqliteDriver.open(dir);
  return Journal.open(driver, { ack: new FileAckMark(join(dir, "journal.ack")) }).catch(async (e: unknown) => {
    await driver.close();
    throw e;
  });
}

const ids = (j: Journal): string[] => [...(j.state.agents.get("a")?.mailbox.keys() ?? [])];

describe("the mark beside the commit (ADR 0059) under kill -9", () => {
  it("mark on disk, batch not committed: opens at the mark's committed point, loses nothing, continues densely", async () => {
    const dir = join(root, "mark-first");
    const lines = await runUntil(dir, "m", "mark-first", "marked ");
    const marked = lines.find((l) => l.startsWith("marked "))?.split(" ").map(Number) ?? [];
    const [, seq, from] = marked;
    const ack = acked(lines);
    expect(ack.size).toBe(20);
    const lastAcked = Math.max(...ack.keys());
    // The state under test is real: the mark on disk covers 5 records the store does not hold.
    const onDisk = new FileAckMark(join(dir, "journal.ack")).read();
    expect(onDisk.state === "ok" ? onDisk.point : undefined).toEqual({ seq: lastAcked + 5, chain: expect.any(Number), from: { seq: lastAcked, chain: expect.any(Number) } });
    expect([seq, from]).toEqual([lastAcked + 5, lastAcked]);

    const j = await open(dir);
    expect(j.recovery.loss).toBeUndefined();
    expect(j.recovery.findings).toEqual([]);
    expect(ids(j).sort()).toEqual([...ack.values()].sort());
    // The seqs the lost batch would have taken are taken again, densely.
    expect(await j.append({ t: "enqueue", id: "after", to: "a", payload: {} })).toBe(lastAcked + 1);
    await j.close();
    const again = await open(dir);
    expect(again.recovery.loss).toBeUndefined();
    expect(ids(again)).toContain("after");
    await again.close();
  }, 60_000);

  it("batch committed, its mark never written: opens with the batch, which was never acknowledged", async () => {
    const dir = join(root, "store-first");
    const lines = await runUntil(dir, "s", "store-first", "stored ");
    const ack = acked(lines);
    expect(ack.size).toBe(20);
    const stored = Number(lines.find((l) => l.startsWith("stored "))?.split(" ")[1]);
    expect(stored).toBe(Math.max(...ack.keys()) + 5);
    const onDisk = new FileAckMark(join(dir, "journal.ack")).read();
    expect(onDisk.state === "ok" ? onDisk.point.seq : -1).toBeLessThan(stored);

    const j = await open(dir);
    expect(j.recovery.loss).toBeUndefined();
    const have = ids(j);
    for (const id of ack.values()) expect(have).toContain(id);
    // Committed but unacknowledged: there, as any unacknowledged append may be after a crash.
    for (let n = 20; n < 25; n++) expect(have).toContain(`s-${n}`);
    await j.close();
  }, 60_000);

  it("a batch the store refused after the mark covered it: the mark is put back before its seqs are reused", async () => {
    const dir = join(root, "refused");
    const lines = await runUntil(dir, "f", "refused", "stored ");
    const ack = acked(lines);
    expect(ack.size).toBe(20);
    const lastAcked = Math.max(...ack.keys());
    expect(lines).toContain(`marked ${lastAcked + 5} ${lastAcked}`);
    expect(lines).toContain("refused");
    // The 3 records after the refusal took the refused batch's first seqs; their own mark never went out.
    expect(lines).toContain(`stored ${lastAcked + 3}`);
    const j = await open(dir);
    expect(j.recovery.loss).toBeUndefined();
    const have = ids(j);
    for (const id of ack.values()) expect(have).toContain(id);
    for (let n = 20; n < 25; n++) expect(have).not.toContain(`f-${n}`);
    for (let n = 25; n < 28; n++) expect(have).toContain(`f-${n}`);
    await j.close();
  }, 60_000);

  it("confirms the mark once idle and at close: losing the last acknowledged batch is then refused by name", async () => {
    const dir = join(root, "confirmed");
    const older = join(root, "confirmed-older");
    const first = await open(dir);
    await first.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
    await Promise.all([0, 1, 2].map((n) => first.append({ t: "enqueue", id: `c-${n}`, to: "a", payload: {} })));
    await first.close();
    cpSync(dir, older, { recursive: true });
    const j = await Journal.open(SqliteDriver.open(dir), { ack: new FileAckMark(join(dir, "journal.ack")), unawaitedMs: 5, compactOnClose: Infinity });
    const last = await j.append({ t: "enqueue", id: "c-last", to: "a", payload: {} });
    const read = (): ReturnType<FileAckMark["read"]> => new FileAckMark(join(dir, "journal.ack")).read();
    // The mark written beside the commit covered the batch ahead of it; once idle, a mark of the
    // committed point follows within unawaitedMs (polled: nobody awaits it).
    for (let i = 0; i < 400 && !confirmed(read(), last); i++) await new Promise((r) => setTimeout(r, 5));
    expect(read()).toEqual({ state: "ok", point: { seq: last, chain: expect.any(Number) } });
    await j.close();
    // The attacker puts back the store as it was before that last acknowledged record.
    for (const f of ["aios.db", "aios.db-wal", "aios.db-shm"]) rmSync(join(dir, f), { force: true });
    for (const f of ["aios.db", "aios.db-wal"]) if (existsSync(join(older, f))) cpSync(join(older, f), join(dir, f));
    const refused = await open(dir).then(
      async (x) => {
        await x.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(isAiosError(refused, "E_CORRUPT")).toBe(true);
    expect((refused as Error).message).toContain(`seq ${last}..${last}`);
  }, 60_000);

  it("reads an ACK2 slot back with its committed point; a torn one leaves the other slot", () => {
    const dir = join(root, "slots");
    mkdirSync(dir, { recursive: true });
    const m = new FileAckMark(join(dir, "x.ack"));
    m.write({ seq: 7, chain: 0xdeadbeef });
    expect(m.read()).toEqual({ state: "ok", point: { seq: 7, chain: 0xdeadbeef } });
    m.write({ seq: 12, chain: 0x1234, from: { seq: 7, chain: 0xdeadbeef } });
    m.close();
    expect(new FileAckMark(join(dir, "x.ack")).read()).toEqual({ state: "ok", point: { seq: 12, chain: 0x1234, from: { seq: 7, chain: 0xdeadbeef } } });
    // Another store's mark (another kind tag) is not read as this one's.
    expect(new FileAckMark(join(dir, "x.ack"), 2).read().state).toBe("damaged");
    const raw = readFileSync(join(dir, "x.ack"));
    expect(raw.length).toBe(64);
    const at = raw.indexOf("ACK2");
    expect(at === 0 || at === 32).toBe(true);
    raw[at + 30] = (raw[at + 30] ?? 0) ^ 0x01;
    writeFileSync(join(dir, "x.ack"), raw);
    expect(new FileAckMark(join(dir, "x.ack")).read()).toEqual({ state: "ok", point: { seq: 7, chain: 0xdeadbeef } });
  });
});

function confirmed(r: ReturnType<FileAckMark["read"]>, seq: number): boolean {
  return r.state === "ok" && r.point.from === undefined && r.point.seq === seq;
}
