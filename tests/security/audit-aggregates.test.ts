/**
 * Aggregates of allowed sends (issue #17 item 2, ADR 0034): what the aggregator writes — one packed
 * entry per interval (per `rowsPerEntry` agents) with a row per agent — that it continues its
 * numbering across a reopen, that an agent's history shows its rows, and that `verifyAudit` finds a
 * packed entry tampered with from the attacker's side: a count flipped, an agent's row dropped, rows
 * swapped between intervals, a part dropped or moved, a batch dropped or swapped — including by an
 * attacker who rewrites every chain hash after the change (no key: the signed checkpoints disagree;
 * the accounting check names the aggregate itself). Logs holding entries of the older per-agent
 * form (ADR 0019) still verify, and the two forms continue each other's numbering.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { countTarget, type AuditTally, type TallyCounts } from "../../src/abi/index.js";
import { AuditLog, AuditReader, auditPaths, chainHash, GENESIS, leafHash, verifyAudit, type AuditContent } from "../../src/audit/index.js";
import { Aggregator, AGGREGATE_META, parseMark } from "../../src/audit/aggregate.js";
import { keys, tempDir } from "./audit-helpers.js";

interface Written {
  readonly dataDir: string;
  readonly publicKey: ReturnType<typeof keys>["publicKey"];
  readonly privateKey: ReturnType<typeof keys>["privateKey"];
}

function aggregatorOn(log: AuditLog, clock: SimulatedClock, rowsPerEntry = 1000): Aggregator {
  return new Aggregator({ appendAll: (cs) => log.appendAll(cs), note: (k, v) => log.note(k, v), commit: () => void log.flush() }, clock, 1000, parseMark(log.meta(AGGREGATE_META)), { rowsPerEntry });
}

const AGENTS = ["ag_a", "ag_b", "ag_c", "ag_d", "ag_e"];

/** Three intervals of sends by five agents, packed two agents per entry, with denials between them, then close. */
function writeAggregates(dataDir = tempDir(), k = keys()): Written {
  const clock = new SimulatedClock(1_000_000);
  const log = new AuditLog({ dataDir, signer: k.privateKey, clock, checkpointEvery: 4 });
  const agg = aggregatorOn(log, clock, 2);
  const tallies = AGENTS.map((a) => agg.tally(a, "SemanticSend", `token:cap_${a} agent:*#send`));
  for (let interval = 0; interval < 3; interval++) {
    for (let i = 0; i < 50; i++) tallies[i % 5]?.hit(`ag_t${i % 7}`);
    log.append({ kind: "syscall", agent: "ag_a", data: { syscall: "SemanticSend", decision: "denied", reason: "no" } });
    clock.advance(1000);
    agg.flush();
  }
  log.close();
  return { dataDir, ...k };
}

type Row = { seq: number; ts: number; kind: string; agent: string | null; body: string };
type PackedRowT = [string, number, number, number, number, string];
type Packed = { batch: number; count: number; part: number; parts: number; firstSeq: number; lastSeq: number; rows: PackedRowT[]; grants: [string, string][] };

/** Rewrites the log as an attacker without the key would: rows changed, every later hash recomputed. */
function rewrite(dataDir: string, change: (rows: Row[]) => Row[]): void {
  const db = new Database(auditPaths(dataDir).db);
  try {
    const rows = db.prepare("SELECT seq, ts, kind, agent, body FROM audit_entries ORDER BY seq").all() as Row[];
    const out = change(rows);
    db.prepare("DELETE FROM audit_entries").run();
    const ins = db.prepare("INSERT INTO audit_entries(seq, ts, kind, agent, body, hash) VALUES (?, ?, ?, ?, ?, ?)");
    let chain = GENESIS;
    out.forEach((r, i) => {
      const seq = i + 1;
      const body = r.body.replace(/"seq":\d+,"ts"/, `"seq":${seq},"ts"`);
      chain = chainHash(chain, leafHash(body));
      ins.run(seq, r.ts, r.kind, r.agent, body, chain);
    });
  } finally {
    db.close();
  }
}

const data = (r: Row): Packed => (JSON.parse(r.body) as { data: Packed }).data;
/** The row's body with its data replaced (canonical JSON keeps the key order of the data given). */
const withData = (r: Row, d: Packed): Row => {
  const body = JSON.parse(r.body) as { data: Packed };
  const ordered = Object.fromEntries(Object.entries({ ...body.data, ...d }).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { ...r, body: JSON.stringify({ ...body, data: ordered }) };
};
const kinds = (dataDir: string, publicKey: Written["publicKey"]): string[] => verifyAudit({ dataDir, publicKey }).problems.map((p) => p.kind);
const aggregateMessages = (dataDir: string, publicKey: Written["publicKey"]): string => verifyAudit({ dataDir, publicKey }).problems.filter((p) => p.kind === "aggregate").map((p) => p.message).join("\n");

function packedRows(dataDir: string): Row[] {
  const reader = new Database(auditPaths(dataDir).db, { readonly: true });
  try {
    return reader.prepare("SELECT seq, ts, kind, agent, body FROM audit_entries WHERE kind = 'aggregate' ORDER BY seq").all() as Row[];
  } finally {
    reader.close();
  }
}

/** A caller's own counts (what the kernel's Proc holds), zero. */
function counts(): TallyCounts {
  return { tallyCount: 0, tallySum: 0, tallyMix: 0 };
}

/** One send counted as the kernel's send path counts it: in the caller's counts, the tally enlisted at the interval's first. */
function send(agg: Aggregator, tally: AuditTally, c: TallyCounts, target: string): void {
  if (countTarget(c, target)) agg.enlist(tally, c);
}

describe("packed aggregates of allowed sends", () => {
  it("pack every agent's interval into a few entries with dense ranges, digests, and verify clean", () => {
    const { dataDir, publicKey } = writeAggregates();
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.problems).toEqual([]);
    const rows = packedRows(dataDir);
    expect(rows).toHaveLength(9); // three intervals, five agents two to an entry: three parts each
    for (const r of rows) expect(r.agent).toBeNull();
    const ds = rows.map(data);
    expect(ds.map((d) => [d.batch, d.part, d.parts])).toEqual([[1, 0, 3], [1, 1, 3], [1, 2, 3], [2, 0, 3], [2, 1, 3], [2, 2, 3], [3, 0, 3], [3, 1, 3], [3, 2, 3]]);
    expect(ds.reduce((n, d) => n + d.count, 0)).toBe(150);
    expect(ds.map((d) => [d.firstSeq, d.lastSeq])).toEqual([[1, 50], [1, 50], [1, 50], [51, 100], [51, 100], [51, 100], [101, 150], [101, 150], [101, 150]]);
    for (const d of ds) {
      for (const row of d.rows) {
        expect(row[5]).toMatch(/^[0-9a-f]{16}$/);
        expect(d.grants[row[1]]).toEqual(["SemanticSend", `token:cap_${row[0]} agent:*#send`]);
      }
    }
  });

  it("show each agent its own rows, in the per-agent form, at the packed entry's seq", () => {
    const { dataDir } = writeAggregates();
    const reader = AuditReader.open(dataDir);
    try {
      for (const agent of AGENTS) {
        const mine = reader.entries({ agent }).filter((e) => e.kind === "aggregate");
        expect(mine).toHaveLength(3);
        expect(mine.reduce((n, e) => n + Number(e.data["count"]), 0)).toBe(30);
        for (const e of mine) expect(e).toMatchObject({ agent, data: { syscall: "SemanticSend", decision: "allowed", by: `token:cap_${agent} agent:*#send` } });
      }
      // Denials stay entries of their own, in the agent's history in order with its rows.
      expect(reader.entries({ agent: "ag_a" }).map((e) => e.kind)).toEqual(["syscall", "aggregate", "syscall", "aggregate", "syscall", "aggregate"]);
      // A limit counts the agent's entries, not the packed entries scanned.
      expect(reader.entries({ agent: "ag_b", limit: 2 })).toHaveLength(2);
      expect(reader.entries({ agent: "ag_none" })).toEqual([]);
    } finally {
      reader.close();
    }
  });

  it("the digest depends on the multiset of targets, not their order", () => {
    const clock = new SimulatedClock();
    const got: string[] = [];
    const sink = (cs: readonly AuditContent[]): void => {
      for (const c of cs) for (const row of (c.data as unknown as Packed).rows) got.push(row[5]);
    };
    const agg = new Aggregator({ appendAll: sink, note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
    const a = agg.tally("ag_a", "SemanticSend", "x");
    for (const t of ["ag_1", "ag_2", "ag_2", "ag_3"]) a.hit(t);
    agg.flush();
    for (const t of ["ag_2", "ag_3", "ag_1", "ag_2"]) a.hit(t);
    agg.flush();
    for (const t of ["ag_2", "ag_3", "ag_1", "ag_1"]) a.hit(t);
    agg.flush();
    expect(got[0]).toBe(got[1]);
    expect(got[2]).not.toBe(got[0]);
  });

  it("one row per agent and grant per interval, however often the tally is asked for", () => {
    const clock = new SimulatedClock();
    const out: Packed[] = [];
    const agg = new Aggregator({ appendAll: (cs) => out.push(...cs.map((c) => c.data as unknown as Packed)), note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
    // The per-target path asks for the tally on every send; a renewed lease asks again.
    for (let i = 0; i < 10; i++) agg.tally("ag_a", "SemanticSend", "spec:agent:ag_b#send").hit("ag_b");
    agg.tally("ag_b", "SemanticSend", "spec:agent:ag_a#send").hit("ag_a");
    agg.flush();
    expect(out).toHaveLength(1);
    expect(out[0]?.rows.map((r) => [r[0], r[2]])).toEqual([["ag_a", 10], ["ag_b", 1]]);
  });

  it("past its bound drops idle tallies; a holder of a dropped one is still counted under its own agent", () => {
    const clock = new SimulatedClock();
    const out: Packed[] = [];
    const agg = new Aggregator({ appendAll: (cs) => out.push(...cs.map((c) => c.data as unknown as Packed)), note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
    // A send path keeps its tally, and counts its calls in its own object (the kernel's Proc), across intervals.
    const proc = counts();
    const held = agg.tally("ag_held", "SemanticSend", "x");
    send(agg, held, proc, "ag_b");
    agg.flush();
    // 40,000 other agents in the next interval: past the bound, the idle `held` is forgotten.
    for (let i = 0; i < 40_000; i++) agg.tally(`ag_${i}`, "SemanticSend", "x").hit("ag_b");
    agg.flush();
    const other = agg.tally("ag_new", "SemanticSend", "x");
    send(agg, held, proc, "ag_b");
    send(agg, held, proc, "ag_c");
    other.hit("ag_b");
    agg.flush();
    const last = out[out.length - 1] as Packed;
    expect(last.rows.map((r) => [r[0], r[2], r[3], r[4]]).sort()).toEqual([["ag_held", 2, 2 + 40_000, 3 + 40_000], ["ag_new", 1, 4 + 40_000, 4 + 40_000]].sort());
    expect([last.firstSeq, last.lastSeq, last.count]).toEqual([40_002, 40_004, 3]);
    // Kept again: the key finds the same tally.
    expect(agg.tally("ag_held", "SemanticSend", "x")).toBe(held);
  });

  it("an ended agent's tallies are forgotten once the interval counting their calls is written, not before", () => {
    const clock = new SimulatedClock();
    const out: Packed[] = [];
    const agg = new Aggregator({ appendAll: (cs) => out.push(...cs.map((c) => c.data as unknown as Packed)), note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
    const rows = (): [string, number][] => (out[out.length - 1] as Packed).rows.map((r) => [r[0], r[2]]);
    // A door tally with calls in the open interval: retired, it stays until the flush writes them.
    const door = agg.tally("ag_door", "LlmInvoke", "spec:llm:m#invoke", true);
    door.hit("llm:m");
    door.hit("llm:m");
    // A send tally whose counts the agent's process keeps: released into the tally, then retired.
    const proc = counts();
    const sendT = agg.tally("ag_send", "SemanticSend", "spec:agent:*#send");
    send(agg, sendT, proc, "ag_x");
    send(agg, sendT, proc, "ag_y");
    agg.release(sendT, proc);
    expect(sendT.holder).toBe(sendT);
    agg.retire(sendT);
    agg.retire(door);
    // An idle tally is forgotten at once.
    const idle = agg.tally("ag_idle", "LlmInvoke", "spec:llm:m#invoke", true);
    expect(agg.kept).toBe(3);
    agg.retire(idle);
    expect(agg.kept).toBe(2);
    agg.flush();
    expect(rows().sort()).toEqual([["ag_door", 2], ["ag_send", 2]]);
    expect(agg.kept).toBe(0);
    // A call of the ended agent that was still in flight: counted in the next interval, then forgotten again.
    door.hit("llm:m");
    expect(agg.kept).toBe(1);
    agg.flush();
    expect(rows()).toEqual([["ag_door", 1]]);
    expect(agg.kept).toBe(0);
    // Asked for again before the flush (its agent restarted under the same id): the same row, kept.
    const again = agg.tally("ag_back", "LlmInvoke", "spec:llm:m#invoke", true);
    again.hit("llm:m");
    agg.retire(again);
    expect(agg.tally("ag_back", "LlmInvoke", "spec:llm:m#invoke", true)).toBe(again);
    again.hit("llm:m");
    agg.flush();
    expect(rows()).toEqual([["ag_back", 2]]);
    expect(agg.kept).toBe(1);
  });

  it("counts kept by a caller: read and cleared at each flush, moved when the agent restarts or takes another tally", () => {
    const clock = new SimulatedClock();
    const out: Packed[] = [];
    const agg = new Aggregator({ appendAll: (cs) => out.push(...cs.map((c) => c.data as unknown as Packed)), note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
    const rows = (): [string, string, number][] => {
      const p = out[out.length - 1] as Packed;
      return p.rows.map((r) => [r[0], p.grants[r[1]]?.[1] ?? "?", r[2]]);
    };
    const t1 = agg.tally("ag_a", "SemanticSend", "grant-1");
    const first = counts();
    for (let i = 0; i < 3; i++) send(agg, t1, first, "ag_b");
    t1.hit("ag_c"); // the slow path counts in the tally's own fields, the same row
    expect(agg.flush()).toBe(1);
    expect(rows()).toEqual([["ag_a", "grant-1", 4]]);
    expect(first).toEqual({ tallyCount: 0, tallySum: 0, tallyMix: 0 });
    // The agent restarts: a new process counts for the same tally in the same interval.
    send(agg, t1, first, "ag_b");
    const second = counts();
    send(agg, t1, second, "ag_b");
    send(agg, t1, second, "ag_c");
    // Its grant changes: what it counted under t1 stays t1's; new calls are t2's.
    const t2 = agg.tally("ag_a", "SemanticSend", "grant-2");
    agg.release(t1, second);
    send(agg, t2, second, "ag_d");
    expect(agg.flush()).toBe(2);
    expect(rows()).toEqual([["ag_a", "grant-1", 3], ["ag_a", "grant-2", 1]]);
    // Each row's digest is the multiset's, wherever its calls were counted.
    const alone = new Aggregator({ appendAll: (cs) => out.push(...cs.map((c) => c.data as unknown as Packed)), note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
    const t = alone.tally("ag_a", "SemanticSend", "grant-1");
    for (const x of ["ag_c", "ag_b", "ag_b"]) t.hit(x);
    alone.flush();
    const digestOf = (p: Packed | undefined): unknown => p?.rows[0]?.[5];
    expect(digestOf(out[out.length - 1])).toBe(digestOf(out[out.length - 2]));
  });

  it("continue their numbering when the log is reopened", () => {
    const k = keys();
    const first = writeAggregates(tempDir(), k);
    writeAggregates(first.dataDir, k);
    const r = verifyAudit({ dataDir: first.dataDir, publicKey: k.publicKey });
    expect(r.problems).toEqual([]);
  });

  it("entries of the older per-agent form still verify, and the packed batches continue their numbering", () => {
    const dataDir = tempDir();
    const k = keys();
    const clock = new SimulatedClock(1_000_000);
    const log = new AuditLog({ dataDir, signer: k.privateKey, clock, checkpointEvery: 4 });
    // What a log written before ADR 0034 holds: batch 1, calls 1..7, one entry per agent.
    log.append({ kind: "aggregate", agent: "ag_a", data: { batch: 1, by: "x", count: 4, decision: "allowed", digest: "0".repeat(16), firstSeq: 1, from: 0, lastSeq: 7, syscall: "SemanticSend", to: 1 } });
    log.append({ kind: "aggregate", agent: "ag_b", data: { batch: 1, by: "x", count: 3, decision: "allowed", digest: "0".repeat(16), firstSeq: 2, from: 0, lastSeq: 6, syscall: "SemanticSend", to: 1 } });
    log.note(AGGREGATE_META, JSON.stringify({ seq: 7, batch: 1 }));
    log.flush();
    const agg = aggregatorOn(log, clock);
    for (let i = 0; i < 5; i++) agg.tally("ag_a", "SemanticSend", "x").hit("ag_b");
    agg.flush();
    log.close();
    expect(verifyAudit({ dataDir, publicKey: k.publicKey }).problems).toEqual([]);
    const reader = AuditReader.open(dataDir);
    expect(reader.entries({ agent: "ag_a" }).map((e) => [e.data["batch"], e.data["count"]])).toEqual([[1, 4], [2, 5]]);
    reader.close();
  });
});

describe("a packed aggregate tampered with is found (attacker rewrites every later chain hash, has no key)", () => {
  /** The packed entries of batch `b`. */
  const ofBatch = (rows: Row[], b: number): Row[] => rows.filter((r) => r.kind === "aggregate" && data(r).batch === b);

  it("a count flipped inside a row (entry count left alone)", () => {
    const { dataDir, publicKey } = writeAggregates();
    rewrite(dataDir, (rows) => rows.map((r) => {
      if (r !== ofBatch(rows, 2)[1]) return r;
      const d = data(r);
      const [first, ...rest] = d.rows;
      return withData(r, { ...d, rows: [[first?.[0] ?? "", first?.[1] ?? 0, (first?.[2] ?? 0) - 1, first?.[3] ?? 0, first?.[4] ?? 0, first?.[5] ?? ""], ...rest] });
    }));
    expect(kinds(dataDir, publicKey)).toEqual(expect.arrayContaining(["aggregate", "checkpoint-mismatch"]));
    expect(aggregateMessages(dataDir, publicKey)).toMatch(/rows count \d+ calls but the entry says/);
  });

  /** Batch 2's first row and its entry's count both moved by `delta`, every later hash rewritten. */
  const countMoved = (delta: number): Written => {
    const w = writeAggregates();
    rewrite(w.dataDir, (rows) => rows.map((r) => {
      if (r !== ofBatch(rows, 2)[0]) return r;
      const d = data(r);
      const row = d.rows[0] as PackedRowT;
      return withData(r, { ...d, count: d.count + delta, rows: [[row[0], row[1], row[2] + delta, row[3], row[4], row[5]], ...d.rows.slice(1)] });
    }));
    return w;
  };

  it("a count flipped in a row and in its entry's count (the part adds up; the batch does not)", () => {
    // Lowered: each row's range holds exactly its count, so a raised one is already out of its range.
    const { dataDir, publicKey } = countMoved(-1);
    expect(kinds(dataDir, publicKey)).toEqual(expect.arrayContaining(["aggregate", "checkpoint-mismatch"]));
    expect(aggregateMessages(dataDir, publicKey)).toMatch(/batch 2 .* count 49 calls but cover calls 51\.\.100/);
  });

  it("a count raised in a row and in its entry's count is outside the row's own range", () => {
    const { dataDir, publicKey } = countMoved(1);
    expect(aggregateMessages(dataDir, publicKey)).toMatch(/row 0 \(ag_\w+\) counts \d+ calls in \d+\.\.\d+/);
  });

  it("an agent's row dropped (with its entry's count lowered to match)", () => {
    const { dataDir, publicKey } = writeAggregates();
    rewrite(dataDir, (rows) => rows.map((r) => {
      if (r !== ofBatch(rows, 3)[1]) return r;
      const d = data(r);
      const [dropped, ...rest] = d.rows;
      return withData(r, { ...d, count: d.count - (dropped?.[2] ?? 0), rows: rest });
    }));
    expect(kinds(dataDir, publicKey)).toEqual(expect.arrayContaining(["aggregate", "checkpoint-mismatch"]));
    expect(aggregateMessages(dataDir, publicKey)).toMatch(/batch 3 .* count 40 calls but cover calls 101\.\.150/);
  });

  it("rows swapped between two intervals", () => {
    const { dataDir, publicKey } = writeAggregates();
    rewrite(dataDir, (rows) => {
      const a = ofBatch(rows, 1)[0] as Row;
      const b = ofBatch(rows, 2)[0] as Row;
      const da = data(a);
      const db = data(b);
      const swapA = withData(a, { ...da, rows: [db.rows[0] as PackedRowT, ...da.rows.slice(1)] });
      const swapB = withData(b, { ...db, rows: [da.rows[0] as PackedRowT, ...db.rows.slice(1)] });
      return rows.map((r) => (r === a ? swapA : r === b ? swapB : r));
    });
    expect(kinds(dataDir, publicKey)).toEqual(expect.arrayContaining(["aggregate", "checkpoint-mismatch"]));
    expect(aggregateMessages(dataDir, publicKey)).toMatch(/outside its batch's 1\.\.50 \(a row moved from another interval\)/);
  });

  it("a part dropped, or two parts of a batch reordered", () => {
    for (const attack of ["drop", "reorder"] as const) {
      const { dataDir, publicKey } = writeAggregates();
      rewrite(dataDir, (rows) => {
        const [p0, p1, p2] = ofBatch(rows, 2) as [Row, Row, Row];
        const rest = rows.filter((r) => r !== p0 && r !== p1 && r !== p2);
        const at = rows.indexOf(p0);
        const batch = attack === "drop" ? [p0, p2] : [p0, p2, p1];
        return [...rest.slice(0, at), ...batch, ...rest.slice(at)];
      });
      expect(kinds(dataDir, publicKey)).toContain("aggregate");
      expect(aggregateMessages(dataDir, publicKey)).toMatch(/part 1 was expected/);
    }
  });

  it("a whole batch removed, or two batches swapped", () => {
    for (const attack of ["drop", "swap"] as const) {
      const { dataDir, publicKey } = writeAggregates();
      rewrite(dataDir, (rows) => {
        const rest = rows.filter((r) => r.kind !== "aggregate");
        return attack === "drop" ? [...ofBatch(rows, 1), ...ofBatch(rows, 3), ...rest] : [...ofBatch(rows, 2), ...ofBatch(rows, 1), ...ofBatch(rows, 3), ...rest];
      });
      expect(kinds(dataDir, publicKey)).toContain("aggregate");
      expect(aggregateMessages(dataDir, publicKey)).toMatch(/does not continue/);
    }
  });

  it("a forged packed entry inserted (a batch that was never written)", () => {
    const { dataDir, publicKey } = writeAggregates();
    rewrite(dataDir, (rows) => {
      const last = ofBatch(rows, 3)[2] as Row;
      const d = data(last);
      const forged = withData(last, { ...d, batch: 4, part: 0, parts: 1, firstSeq: 151, lastSeq: 160, count: 10, rows: [["ag_x", 0, 10, 151, 160, "0".repeat(16)]] });
      return [...rows, forged];
    });
    // The accounting adds up (the forger did the sums); the chain past the last signed head is not
    // signed by the key, and the seal at close signed fewer entries.
    const found = kinds(dataDir, publicKey);
    expect(found.length).toBeGreaterThan(0);
    expect(found).toEqual(expect.arrayContaining(["appended"]));
  });
});
