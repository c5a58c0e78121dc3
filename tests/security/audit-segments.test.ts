/**
 * Rotation in segments and retention (issue #17 item 2): the live log moves into segments/NNNNNN/
 * at `segmentEntries`, each new segment's first entry links the previous one's signed seal, the
 * oldest beyond `keepSegments` are retired (recorded, then deleted), and `verifyAudit` walks the
 * links — finding a segment deleted, two swapped, an aggregate edited inside an archived one, or
 * the link removed from the live log.
 */
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { AuditLog, auditPaths, chainHash, GENESIS, leafHash, verifyAudit } from "../../src/audit/index.js";
import { Aggregator, AGGREGATE_META, parseMark } from "../../src/audit/aggregate.js";
import { keys, tempDir } from "./audit-helpers.js";

/** 600 decisions and 20 intervals of aggregated sends, rotating every 50 entries, keeping 3 segments. */
function writeSegmented(keep = 3): { dataDir: string; publicKey: ReturnType<typeof keys>["publicKey"] } {
  const dataDir = tempDir();
  const k = keys();
  const clock = new SimulatedClock(1_000_000);
  const log = new AuditLog({ dataDir, signer: k.privateKey, clock, checkpointEvery: 10, segmentEntries: 50, keepSegments: keep });
  const agg = new Aggregator({ appendAll: (cs) => log.appendAll(cs), note: (a, b) => log.note(a, b), commit: () => void log.flush() }, clock, 1000, parseMark(log.meta(AGGREGATE_META)));
  const t = agg.tally("ag_a", "SemanticSend", "token:cap_x agent:*#send");
  for (let i = 0; i < 600; i++) {
    log.append({ kind: "syscall", agent: `ag_${i % 5}`, data: { syscall: "ToolCall", decision: i % 3 === 0 ? "denied" : "allowed", n: i } });
    t.hit(`ag_t${i % 7}`);
    if (i % 30 === 29) {
      clock.advance(1000);
      agg.flush();
    }
  }
  log.close();
  return { dataDir, publicKey: k.publicKey };
}

const segRoot = (dataDir: string): string => join(dataDir, "segments");
const segs = (dataDir: string): string[] => readdirSync(segRoot(dataDir)).sort();

/** Rewrites one log's rows as an attacker without the key would (every later hash recomputed). */
function rewrite(dbPath: string, change: (body: string, kind: string) => string | null): void {
  const db = new Database(dbPath);
  try {
    const rows = db.prepare("SELECT seq, ts, kind, agent, body FROM audit_entries ORDER BY seq").all() as { seq: number; ts: number; kind: string; agent: string | null; body: string }[];
    db.prepare("DELETE FROM audit_entries").run();
    const ins = db.prepare("INSERT INTO audit_entries(seq, ts, kind, agent, body, hash) VALUES (?, ?, ?, ?, ?, ?)");
    let chain = GENESIS;
    let seq = 0;
    for (const r of rows) {
      const b = change(r.body, r.kind);
      if (b === null) continue;
      seq++;
      const body = b.replace(/"seq":\d+/, `"seq":${seq}`);
      chain = chainHash(chain, leafHash(body));
      ins.run(seq, r.ts, r.kind, r.agent, body, chain);
    }
  } finally {
    db.close();
  }
}

describe("audit segments", () => {
  it("rotate at segmentEntries, keep the newest segments, retire the rest, and verify clean", () => {
    const { dataDir, publicKey } = writeSegmented();
    const kept = segs(dataDir);
    expect(kept.length).toBe(3);
    expect(Number(kept[0])).toBeGreaterThan(1); // older ones retired
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    const live = new Database(auditPaths(dataDir).db, { readonly: true });
    const first = JSON.parse(live.prepare("SELECT body FROM audit_entries WHERE seq = 1").pluck().get() as string) as { data: { event: string; segment: number } };
    live.close();
    expect(first.data.event).toBe("segment");
    expect(first.data.segment).toBe(Number(kept[kept.length - 1]) + 1);
  });

  it("a deleted segment (not retired) is found", () => {
    const { dataDir, publicKey } = writeSegmented();
    const victim = segs(dataDir)[1] as string;
    rmSync(join(segRoot(dataDir), victim), { recursive: true });
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.ok).toBe(false);
    expect(r.problems.find((p) => p.kind === "segment")?.message).toMatch(new RegExp(`${victim} is missing`));
  });

  it("two segments swapped are found", () => {
    const { dataDir, publicKey } = writeSegmented();
    const [a, b] = segs(dataDir) as [string, string];
    renameSync(join(segRoot(dataDir), a), join(segRoot(dataDir), "tmp"));
    renameSync(join(segRoot(dataDir), b), join(segRoot(dataDir), a));
    renameSync(join(segRoot(dataDir), "tmp"), join(segRoot(dataDir), b));
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.ok).toBe(false);
    expect(r.problems.filter((p) => p.kind === "segment").map((p) => p.message).join("\n")).toMatch(/replaced|reordered/);
  });

  it("an aggregate edited inside an archived segment (its chain rewritten) is found and named", () => {
    const { dataDir, publicKey } = writeSegmented();
    const victim = segs(dataDir)[0] as string;
    let edited = false;
    rewrite(join(segRoot(dataDir), victim, "audit.db"), (body, kind) => {
      if (kind !== "aggregate" || edited) return body;
      edited = true;
      return body.replace(/"count":(\d+)/, (_m, n: string) => `"count":${Number(n) + 5}`);
    });
    expect(edited).toBe(true);
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.ok).toBe(false);
    const inSeg = r.problems.filter((p) => p.message.startsWith(`segment ${victim}:`));
    expect(inSeg.map((p) => p.kind)).toContain("checkpoint-mismatch");
  });

  it("the link removed from the live log (chain rewritten) is found", () => {
    const { dataDir, publicKey } = writeSegmented();
    rewrite(auditPaths(dataDir).db, (body, kind) => (kind === "audit" && body.includes('"event":"segment"') ? null : body));
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain("segment");
  });

  it("a log that never rotated has no segments directory and verifies as before", () => {
    const dataDir = tempDir();
    const k = keys();
    const log = new AuditLog({ dataDir, signer: k.privateKey, clock: new SimulatedClock(), checkpointEvery: 10 });
    for (let i = 0; i < 100; i++) log.append({ kind: "syscall", agent: "ag", data: { n: i } });
    log.close();
    expect(existsSync(segRoot(dataDir))).toBe(false);
    expect(verifyAudit({ dataDir, publicKey: k.publicKey }).ok).toBe(true);
  });
});
