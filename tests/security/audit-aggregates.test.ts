/**
 * Aggregates of allowed sends (issue #17 item 2): what the aggregator writes, that it continues its
 * numbering across a reopen, and that `verifyAudit` finds an aggregate edited, removed or moved —
 * including by an attacker who rewrites every chain hash after the change (no key: the signed
 * checkpoints disagree; the accounting check names the aggregate itself).
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { AuditLog, auditPaths, chainHash, GENESIS, leafHash, verifyAudit } from "../../src/audit/index.js";
import { Aggregator, AGGREGATE_META, parseMark } from "../../src/audit/aggregate.js";
import { keys, tempDir } from "./audit-helpers.js";

interface Written {
  readonly dataDir: string;
  readonly publicKey: ReturnType<typeof keys>["publicKey"];
  readonly privateKey: ReturnType<typeof keys>["privateKey"];
}

function aggregatorOn(log: AuditLog, clock: SimulatedClock): Aggregator {
  return new Aggregator({ append: (c) => log.append(c), note: (k, v) => log.note(k, v), commit: () => void log.flush() }, clock, 1000, parseMark(log.meta(AGGREGATE_META)));
}

/** Three intervals of sends by three agents, with denials between them, then close. */
function writeAggregates(dataDir = tempDir(), k = keys()): Written {
  const clock = new SimulatedClock(1_000_000);
  const log = new AuditLog({ dataDir, signer: k.privateKey, clock, checkpointEvery: 4 });
  const agg = aggregatorOn(log, clock);
  const tallies = ["ag_a", "ag_b", "ag_c"].map((a) => agg.tally(a, "SemanticSend", "token:cap_x agent:*#send"));
  for (let interval = 0; interval < 3; interval++) {
    for (let i = 0; i < 50; i++) tallies[i % 3]?.hit(`ag_t${i % 5}`);
    log.append({ kind: "syscall", agent: "ag_a", data: { syscall: "SemanticSend", decision: "denied", reason: "no" } });
    clock.advance(1000);
  }
  agg.flush();
  log.close();
  return { dataDir, ...k };
}

type Row = { seq: number; ts: number; kind: string; agent: string | null; body: string };

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
      const body = r.body.replace(/"seq":\d+/, `"seq":${seq}`);
      chain = chainHash(chain, leafHash(body));
      ins.run(seq, r.ts, r.kind, r.agent, body, chain);
    });
  } finally {
    db.close();
  }
}

const data = (r: Row): Record<string, unknown> => (JSON.parse(r.body) as { data: Record<string, unknown> }).data;

describe("aggregates of allowed sends", () => {
  it("count every call once, with dense sequence ranges, a digest of the targets, and verify clean", () => {
    const { dataDir, publicKey } = writeAggregates();
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.problems).toEqual([]);
    const reader = new Database(auditPaths(dataDir).db, { readonly: true });
    const rows = reader.prepare("SELECT seq, ts, kind, agent, body FROM audit_entries WHERE kind = 'aggregate' ORDER BY seq").all() as Row[];
    reader.close();
    expect(rows).toHaveLength(9); // three agents, three intervals
    const ds = rows.map(data);
    expect(ds.reduce((n, d) => n + Number(d["count"]), 0)).toBe(150);
    expect(Math.min(...ds.map((d) => Number(d["firstSeq"])))).toBe(1);
    expect(Math.max(...ds.map((d) => Number(d["lastSeq"])))).toBe(150);
    for (const d of ds) expect(d).toMatchObject({ syscall: "SemanticSend", decision: "allowed", by: "token:cap_x agent:*#send", digest: expect.stringMatching(/^[0-9a-f]{16}$/) as string });
  });

  it("the digest depends on the multiset of targets, not their order", () => {
    const clock = new SimulatedClock();
    const got: string[] = [];
    const agg = new Aggregator({ append: (c) => got.push(String(c.data["digest"])), note: () => undefined, commit: () => undefined }, clock, 1000, { seq: 0, batch: 0 });
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

  it("continue their numbering when the log is reopened", () => {
    const k = keys();
    const first = writeAggregates(tempDir(), k);
    writeAggregates(first.dataDir, k);
    const r = verifyAudit({ dataDir: first.dataDir, publicKey: k.publicKey });
    expect(r.problems).toEqual([]);
  });

  it("an edited count is found even with the chain rewritten after it", () => {
    const { dataDir, publicKey } = writeAggregates();
    rewrite(dataDir, (rows) => rows.map((r) => (r.kind === "aggregate" && data(r)["batch"] === 2 ? { ...r, body: r.body.replace(/"count":(\d+)/, (_m, n: string) => `"count":${Number(n) - 1}`) } : r)));
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain("aggregate");
    expect(r.problems.map((p) => p.kind)).toContain("checkpoint-mismatch");
  });

  it("a removed aggregate (later entries renumbered, chain rewritten) is found", () => {
    const { dataDir, publicKey } = writeAggregates();
    let removed = false;
    rewrite(dataDir, (rows) => rows.filter((r) => removed || r.kind !== "aggregate" || data(r)["batch"] !== 2 || !(removed = true)));
    expect(removed).toBe(true);
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.ok).toBe(false);
    expect(r.problems.find((p) => p.kind === "aggregate")?.message).toMatch(/removed|count/);
  });

  it("a whole batch removed, or two batches swapped, is found by the accounting alone", () => {
    for (const attack of ["drop", "swap"] as const) {
      const { dataDir, publicKey } = writeAggregates();
      rewrite(dataDir, (rows) => {
        const b = (n: number): Row[] => rows.filter((r) => r.kind === "aggregate" && data(r)["batch"] === n);
        const rest = rows.filter((r) => r.kind !== "aggregate");
        return attack === "drop" ? [...b(1), ...b(3), ...rest] : [...b(2), ...b(1), ...b(3), ...rest];
      });
      const r = verifyAudit({ dataDir, publicKey });
      expect(r.ok).toBe(false);
      const acct = r.problems.filter((p) => p.kind === "aggregate");
      expect(acct.length).toBeGreaterThan(0);
      expect(acct[0]?.message).toMatch(/does not continue/);
    }
  });
});
