/**
 * The journal: group commit, dense seqs, recovery into state, compaction — on both drivers (DESIGN
 * invariant 3): real SQLite files, and a real PostgreSQL server with a schema per test.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import type { Journal, JournalOptions, JournalRecord } from "../../src/store/index.js";
import { usePostgres } from "../helpers/postgres.js";
import { cleanupDirs, openJournal, openPgJournal, tempDir, type CountingDriver } from "./helpers.js";

afterEach(cleanupDirs);

const pg = usePostgres();
let pgUrl: string | undefined;

/** A store location (a directory, or a schema) and how to open the journal in it. */
interface Target {
  readonly name: string;
  place(): Promise<string>;
  open(place: string, options?: JournalOptions): Promise<{ journal: Journal; driver: CountingDriver }>;
}
const targets: Target[] = [
  { name: "sqlite", place: async () => tempDir(), open: (dir, o) => openJournal(dir, o) },
  {
    name: "postgres",
    place: async () => {
      pgUrl ??= await pg().createDatabase("journal");
      return pg().uniqueName("j");
    },
    open: (schema, o) => openPgJournal(pgUrl as string, schema, o),
  },
];

const spawnRec = (agent: string): JournalRecord => ({ t: "spawn", agent, spec: { name: agent, kind: "code", logic: "echo" }, status: "running", callSeq: 0 });
const msg = (id: string, to: string, payload: unknown = id): JournalRecord => ({ t: "enqueue", id, to, payload });

describe.each(targets)("Journal on $name", (t) => {
  it("batches the appends of one tick into one durable transaction and numbers them densely", async () => {
    const dir = await t.place();
    const { journal, driver } = await t.open(dir);
    const seqs = await Promise.all([spawnRec("a"), ...Array.from({ length: 500 }, (_, i) => msg(`m${i}`, "a"))].map((r) => journal.append(r)));
    expect(seqs).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(driver.writes).toBe(1);
    await journal.append(msg("late", "a"));
    expect(driver.writes).toBe(2);
    await journal.close();
  });

  it("an unawaited record starts no commit: it rides the next awaited one, goes alone within unawaitedMs, and is written at close", async () => {
    const dir = await t.place();
    const { journal, driver } = await t.open(dir, { unawaitedMs: 600_000 });
    await journal.append(spawnRec("a"));
    const before = driver.writes;
    const lazy = journal.append(msg("lazy", "a"), { wait: false });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(driver.writes).toBe(before); // turns went by, no commit started for it
    const seq = await journal.append(msg("awaited", "a"));
    expect(await lazy).toBe(seq - 1); // in order, in the same transaction
    expect(driver.writes).toBe(before + 1);
    // Nothing else comes: it is committed on its own after unawaitedMs (10 ms by default; 1 here).
    const { journal: j2, driver: d2 } = await t.open(await t.place(), { unawaitedMs: 1 });
    expect(await j2.append(msg("alone", "b"), { wait: false })).toBe(1);
    expect(d2.writes).toBe(1);
    await j2.close();
    // At close an unawaited record is written, not dropped with the timer.
    const last = journal.append(msg("at-close", "a"), { wait: false });
    await journal.close();
    expect(await last).toBe(seq + 1);
    const { journal: again } = await t.open(dir);
    expect([...(again.state.agents.get("a")?.mailbox.keys() ?? [])]).toEqual(["lazy", "awaited", "at-close"]);
    await again.close();
  });

  it("splits a batch larger than maxBatch into several transactions, keeping order", async () => {
    const { journal, driver } = await t.open(await t.place(), { maxBatch: 100 });
    const seqs = await Promise.all(Array.from({ length: 250 }, (_, i) => journal.append(msg(`m${i}`, "x"))));
    expect(seqs).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(driver.writes).toBe(3);
    await journal.close();
  });

  it("rejects only the record that cannot be serialised", async () => {
    const { journal } = await t.open(await t.place());
    const good = journal.append(spawnRec("a"));
    const bad = journal.append(msg("m1", "a", { n: 1n }));
    await expect(bad).rejects.toSatisfy((e) => isAiosError(e, "E_INVALID_ARG"));
    expect(await good).toBe(1);
    expect(await journal.append(msg("m2", "a"))).toBe(2);
    await journal.close();
  });

  it("recovers agents, checkpoints, callSeq and the unacknowledged mailbox in order", async () => {
    const dir = await t.place();
    const first = await t.open(dir);
    const j = first.journal;
    await j.append(spawnRec("a"));
    await j.append(spawnRec("b"));
    for (const id of ["m1", "m2", "m3", "m4"]) await j.append(msg(id, "a"));
    await j.append({ t: "handled", agent: "a", msg: "m2", checkpoint: { count: 1 }, callSeq: 3 });
    await j.append({ t: "intent", agent: "a", callSeq: 4, syscall: "ToolCall", args: { x: 1 } });
    await j.append({ t: "result", agent: "a", callSeq: 4, result: { ok: true } });
    await j.append({ t: "intent", agent: "a", callSeq: 5, syscall: "ToolCall", args: { x: 2 } });
    await j.append({ t: "transition", agent: "b", to: "completed", op: "exit" });
    await j.close();

    const { journal } = await t.open(dir);
    expect(journal.recovery.records).toBe(11);
    expect(journal.recovery.loss).toBeUndefined();
    expect([...journal.state.agents.keys()]).toEqual(["a"]);
    const a = journal.state.agents.get("a")!;
    expect(a.checkpoint).toEqual({ count: 1 });
    expect(a.callSeq).toBe(3);
    expect([...a.mailbox.keys()]).toEqual(["m1", "m3", "m4"]);
    expect(journal.state.lookup("a", 4)).toEqual({ found: true, result: { ok: true } });
    expect(journal.state.lookup("a", 5)).toEqual({ found: false, inFlight: true });
    expect(journal.state.lookup("a", 6)).toEqual({ found: false, inFlight: false });
    expect(await journal.append(msg("m5", "a"))).toBe(12);
    await journal.close();
  });

  it("compaction drops superseded records, keeps the state, and recovery after it agrees", async () => {
    const dir = await t.place();
    const { journal } = await t.open(dir, { compactMinRows: Number.MAX_SAFE_INTEGER });
    await journal.append(spawnRec("a"));
    for (let i = 0; i < 200; i++) {
      await Promise.all([journal.append(msg(`m${i}`, "a", { i })), journal.append({ t: "handled", agent: "a", msg: `m${i}`, checkpoint: { i }, callSeq: i })]);
    }
    await journal.append(msg("open", "a"));
    await journal.append({ t: "intent", agent: "a", callSeq: 200, syscall: "ToolCall", args: {} });
    const before = journal.storedRows();
    const r = await journal.compact();
    expect(r.removed).toBe(before);
    expect(r.written).toBe(3); // checkpoint, the open message, the in-flight intent
    expect(journal.storedRows()).toBe(3);
    await journal.append(msg("after", "a"));
    await journal.close();

    const again = await t.open(dir);
    expect(again.journal.recovery.records).toBe(4);
    const a = again.journal.state.agents.get("a")!;
    expect(a.checkpoint).toEqual({ i: 199 });
    expect(a.callSeq).toBe(199);
    expect([...a.mailbox.keys()]).toEqual(["open", "after"]);
    expect(again.journal.state.lookup("a", 200)).toEqual({ found: false, inFlight: true });
    await again.journal.close();
  });

  it("compacts on its own once the store holds far more rows than the live state needs", async () => {
    const { journal } = await t.open(await t.place(), { compactMinRows: 50, compactRatio: 4 });
    await journal.append(spawnRec("a"));
    for (let i = 0; i < 80; i++) await journal.append({ t: "handled", agent: "a", checkpoint: { i }, callSeq: i });
    await journal.flush();
    expect(journal.storedRows()).toBeLessThan(50);
    expect(journal.state.agents.get("a")?.checkpoint).toEqual({ i: 79 });
    await journal.close();
  });

  it("compacts at close when the history outgrows the live state, so the next open reads only what is alive", async () => {
    const dir = await t.place();
    const first = await t.open(dir, { compactOnClose: 100 });
    await first.journal.append(spawnRec("a"));
    for (let i = 0; i < 150; i++) await first.journal.append({ t: "handled", agent: "a", checkpoint: { i }, callSeq: i });
    await first.journal.append(msg("waiting", "a"));
    expect(first.journal.storedRows()).toBe(152);
    await first.journal.close();
    const again = await t.open(dir, { compactOnClose: 100 });
    expect(again.journal.recovery.loss).toBeUndefined();
    expect(again.journal.recovery.records).toBe(2); // the agent's checkpoint and its waiting message
    expect(again.journal.state.agents.get("a")?.checkpoint).toEqual({ i: 149 });
    expect([...again.journal.state.agents.get("a")!.mailbox.keys()]).toEqual(["waiting"]);
    // Below the threshold a close writes nothing: 2 live records plus 50 superseded ones stay.
    for (let i = 150; i < 200; i++) await again.journal.append({ t: "handled", agent: "a", checkpoint: { i }, callSeq: i });
    await again.journal.close();
    const third = await t.open(dir, { compactOnClose: 100 });
    expect(third.journal.recovery.records).toBe(52);
    expect(third.journal.state.agents.get("a")?.checkpoint).toEqual({ i: 199 });
    await third.journal.close();
  });

  it("keeps a message without payload and a call without args across a reopen (JSON drops undefined)", async () => {
    const dir = await t.place();
    const first = await t.open(dir);
    await first.journal.append(spawnRec("a"));
    await first.journal.append({ t: "enqueue", id: "m1", to: "a", payload: undefined });
    await first.journal.append({ t: "intent", agent: "a", callSeq: 1, syscall: "ToolCall", args: undefined });
    await first.journal.append(msg("m2", "a"));
    await first.journal.close();
    const { journal } = await t.open(dir);
    expect(journal.recovery.loss).toBeUndefined();
    expect(journal.recovery.records).toBe(4);
    expect([...journal.state.agents.get("a")!.mailbox.keys()]).toEqual(["m1", "m2"]);
    expect(journal.state.lookup("a", 1)).toEqual({ found: false, inFlight: true });
    await journal.close();
  });

  it("refuses appends after close", async () => {
    const { journal } = await t.open(await t.place());
    await journal.close();
    await expect(journal.append(spawnRec("a"))).rejects.toSatisfy((e) => isAiosError(e, "E_SHUTDOWN"));
  });
});
