/**
 * The cluster journal's mail intake against scripted stand-ins for PostgreSQL's two tables, so the
 * interleavings that a real database makes rare happen every time (docs/adr/0036, 0073):
 *
 * - a pull whose read of cluster_mail was sent before an earlier pull's move committed sees that row
 *   still waiting, and must not move it a second time;
 * - a batch holding a local letter for an agent that cluster_mail holds a letter for is not written;
 *   the waiting letter is moved and goes first, then the batch, without being held again.
 */
import { describe, expect, it } from "vitest";
import { ClusterJournal, type ClusterJournalHooks, type FencedJournal, type Mailroom, type NewEntry, type WaitingLetter } from "../../src/cluster/index.js";
import type { AgentId, MessageId } from "../../src/core/index.js";
import type { StoredSpec } from "../../src/abi/index.js";
import { enqueueRecord, type EnqueueRecord } from "../../src/store/index.js";

interface Append {
  readonly kinds: string[];
  readonly bodies: string[];
  readonly taken: readonly number[];
  readonly mailFirst: readonly string[];
}

/** Resolves when `ok` holds, checked after each turn of the event loop (at most 2 s). */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (ok()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never: ${what}`);
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A cluster journal on scripted tables: `answer` decides each append, `reads` each read of cluster_mail. */
function rig(answer: (a: Append) => Promise<boolean>, reads: (agents: readonly string[]) => Promise<WaitingLetter[]>) {
  const appends: Append[] = [];
  const delivered: string[] = [];
  const journal = {
    cluster: "t",
    append: (_lease: unknown, _from: number, entries: readonly NewEntry[], extra: { taken?: readonly number[]; mailFirst?: readonly string[] } = {}) => {
      const a = { kinds: entries.map((e) => e.kind), bodies: entries.map((e) => e.body), taken: extra.taken ?? [], mailFirst: extra.mailFirst ?? [] };
      appends.push(a);
      return answer(a);
    },
    read: () => Promise.resolve([]),
  } as unknown as FencedJournal;
  const mail = {
    node: "n",
    waiting: reads,
    markTaken: () => Promise.resolve(),
    refuse: () => Promise.resolve(),
  } as unknown as Mailroom;
  const hooks: ClusterJournalHooks = {
    acquire: (root) => Promise.resolve({ agent: root, epoch: 1 }),
    onFenced: () => undefined,
    wake: () => undefined,
    parkLimit: 16,
    deliver: (_to, letters) => {
      for (const l of letters) delivered.push(String(l.payload));
      return Promise.resolve(true);
    },
  };
  return { j: new ClusterJournal(journal, mail, hooks), appends, delivered };
}

const X = "x" as AgentId;

/** cluster_mail as the journal's statement sees it: a batch with a local letter for X is not written while a row waits for X. */
class Table {
  constructor(readonly rows: WaitingLetter[]) {}
  private readonly taken = new Set<number>();
  read(): Promise<WaitingLetter[]> {
    return Promise.resolve(this.rows.filter((r) => !this.taken.has(r.n)));
  }
  answer(a: Append): Promise<boolean> {
    const open = this.rows.some((r) => !this.taken.has(r.n) && !a.taken.includes(r.n) && a.mailFirst.includes(r.agent));
    if (!open) for (const n of a.taken) this.taken.add(n);
    return Promise.resolve(!open);
  }
}

function letter(n: number, payload: string): WaitingLetter {
  const rec: EnqueueRecord = enqueueRecord({ id: `m${n}` as MessageId, to: X, payload });
  return { n, agent: X, origin: "other", rec, keys: [] };
}

async function spawnX(j: ClusterJournal): Promise<void> {
  await j.spawned({ id: X, spec: { name: "x" } as unknown as StoredSpec, status: "running", callSeq: 0 });
}

describe("mail intake", () => {
  it("a pull whose read predates an earlier pull's commit does not move that row again", async () => {
    const commit = deferred<boolean>();
    const stale = deferred<WaitingLetter[]>();
    let readsSent = 0;
    const { j, appends, delivered } = rig(
      (a) => (a.taken.length > 0 ? commit.promise : Promise.resolve(true)),
      () => (++readsSent === 1 ? Promise.resolve([letter(1, "one")]) : stale.promise),
    );
    await spawnX(j);
    const first = j.pullMail();
    await until("the first pull queued its move", () => appends.some((a) => a.taken.includes(1)));
    const second = j.pullMail();
    await until("the second pull's read is sent", () => readsSent === 2);
    // The move commits while the second read is on its way; the read still shows the row waiting.
    commit.resolve(true);
    await first;
    stale.resolve([letter(1, "one")]);
    await second;
    expect(appends.filter((a) => a.taken.includes(1))).toHaveLength(1);
    expect(delivered).toEqual(["one"]);
  });

  it("a local letter for an agent with a letter waiting in cluster_mail is written after it, held back once", async () => {
    const table = new Table([letter(7, "stored-first")]);
    const { j, appends, delivered } = rig((a) => table.answer(a), () => table.read());
    await spawnX(j);
    await j.enqueue({ id: "local" as MessageId, to: X, payload: "sent-after" });
    const [, held, written, ...rest] = appends;
    expect(held?.mailFirst).toEqual([X]);
    // The moved letter first, then the local one, in one statement that takes the row.
    expect(written?.taken).toEqual([7]);
    expect(written?.bodies.map((b) => (JSON.parse(b) as { payload: string }).payload)).toEqual(["stored-first", "sent-after"]);
    expect(written?.mailFirst).toEqual([]);
    expect(rest).toEqual([]);
    expect(delivered).toEqual(["stored-first"]);
  });

  it("a row the pull leaves waiting holds the local letter back once, then lets it through", async () => {
    const table = new Table([]);
    const { j, appends, delivered } = rig((a) => table.answer(a), () => table.read());
    await j.spawned({ id: X, spec: { name: "x", mailbox: { capacity: 1 } } as unknown as StoredSpec, status: "running", callSeq: 0 });
    await j.enqueue({ id: "a" as MessageId, to: X, payload: "fills-it" });
    // Stored now: the agent's mailbox is full in the fold's view, so a pull leaves it waiting.
    table.rows.push(letter(9, "left"));
    const before = appends.length;
    await j.enqueue({ id: "b" as MessageId, to: X, payload: "over" });
    const after = appends.slice(before);
    expect(after.map((a) => a.mailFirst)).toEqual([[X], []]);
    expect(after.every((a) => a.taken.length === 0)).toBe(true);
    expect(delivered).toEqual([]);
    await expect(table.read()).resolves.toHaveLength(1);
  });
});
