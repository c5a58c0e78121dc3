/**
 * The audit log as a writer: batching on the injected clock, dense seq and the hash chain,
 * signed checkpoints every N entries mirrored to the checkpoint file, reopening, redaction before
 * hashing, bad content recorded instead of thrown, and Merkle proofs against signed tree heads.
 */
import { readFileSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { isAiosError } from "../../src/core/index.js";
import {
  AuditLog,
  AuditReader,
  GENESIS,
  auditPaths,
  canonicalize,
  chainHash,
  checkpointVerifies,
  ed25519Verifier,
  leafHash,
  verifyAudit,
  verifyConsistency,
  verifyInclusion,
} from "../../src/audit/index.js";
import { keys, openLog, tempDir, writeLog } from "./audit-helpers.js";

describe("appending", () => {
  it("buffers, then writes a batch when the flush interval passes on the injected clock", () => {
    const dir = tempDir();
    const { log, clock } = openLog(dir, keys().privateKey, { flushIntervalMs: 50 });
    log.append({ kind: "syscall", agent: "ag_1", data: { syscall: "Noop", decision: "allowed", by: "spec" } });
    log.append({ kind: "lifecycle", agent: "ag_1", data: { event: "agent.transition", from: "pending", to: "running" } });
    expect(log.size).toBe(0);
    expect(log.buffered).toBe(2);
    clock.advance(49);
    expect(log.size).toBe(0);
    clock.advance(1);
    expect(log.size).toBe(2);
    expect(log.buffered).toBe(0);
    const [a, b] = log.entries();
    expect(a).toMatchObject({ v: 1, seq: 1, kind: "syscall", agent: "ag_1", data: { syscall: "Noop", decision: "allowed", by: "spec" } });
    expect(b).toMatchObject({ seq: 2, kind: "lifecycle", data: { to: "running" } });
    log.close();
  });

  it("writes synchronously when a batch fills, with dense seqs and the chain SHA-256(prev || leaf)", () => {
    const dir = tempDir();
    const { log } = openLog(dir, keys().privateKey, { maxBatch: 10 });
    for (let i = 0; i < 25; i++) log.append({ kind: "audit", agent: null, data: { i } });
    expect(log.size).toBe(20);
    log.flush();
    expect(log.size).toBe(25);
    log.close();
    const db = new Database(auditPaths(dir).db, { readonly: true });
    const rows = db.prepare("SELECT seq, body, hash FROM audit_entries ORDER BY seq").all() as { seq: number; body: string; hash: Buffer }[];
    db.close();
    let prev = GENESIS;
    rows.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      // The stored body is the canonical encoding of the entry it holds.
      expect(canonicalize(JSON.parse(r.body))).toBe(r.body);
      prev = chainHash(prev, leafHash(r.body));
      expect(r.hash.equals(prev)).toBe(true);
    });
  });

  it("stores bodies that are the canonical encoding whatever the content (property)", () => {
    const dir = tempDir();
    const { log } = openLog(dir, keys().privateKey);
    const db = new Database(auditPaths(dir).db, { readonly: true });
    const last = db.prepare("SELECT seq, ts, body FROM audit_entries ORDER BY seq DESC LIMIT 1");
    const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !Object.is(v, -0));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.option(fc.string(), { nil: null }), (data, agent) => {
        log.append({ kind: "audit", agent, data });
        log.flush();
        const row = last.get() as { seq: number; ts: number; body: string };
        expect(row.body).toBe(`{"agent":${JSON.stringify(agent)},"data":${canonicalize(data)},"kind":"audit","seq":${row.seq},"ts":${row.ts},"v":1}`);
        expect(canonicalize(JSON.parse(row.body))).toBe(row.body);
      }),
      { numRuns: 100 },
    );
    db.close();
    log.close();
    expect(verifyAudit({ dataDir: dir }).ok).toBe(true);
  });

  it("keeps entries buffered while the database refuses writes and retries on the clock with backoff", () => {
    const dir = tempDir();
    const { log, clock } = openLog(dir, keys().privateKey, { flushIntervalMs: 20 });
    const blocker = new Database(auditPaths(dir).db);
    blocker.exec("BEGIN IMMEDIATE"); // holds the write lock, as a stuck process would
    for (let i = 0; i < 3; i++) log.append({ kind: "audit", agent: null, data: { i } });
    clock.advance(20);
    expect(log.size).toBe(0);
    expect(log.buffered).toBe(3);
    blocker.exec("COMMIT");
    blocker.close();
    clock.advance(39);
    expect(log.size).toBe(0); // backoff: the retry is due 40 ms after the failure
    clock.advance(1);
    expect(log.size).toBe(3);
    log.close();
    expect(verifyAudit({ dataDir: dir }).ok).toBe(true);
  });

  it("when the buffer overflows, the entries that could not be kept are recorded as a gap", () => {
    const dir = tempDir();
    const { log } = openLog(dir, keys().privateKey, { maxBuffered: 5 });
    const blocker = new Database(auditPaths(dir).db);
    blocker.exec("BEGIN IMMEDIATE");
    for (let i = 0; i < 8; i++) log.append({ kind: "audit", agent: null, data: { i } });
    expect(log.buffered).toBe(5);
    expect(log.dropped).toBe(3);
    blocker.exec("COMMIT");
    blocker.close();
    log.flush();
    expect(log.entries().map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }, { event: "gap", dropped: 3 }]);
    log.close();
  });

  it("a second writer on the same log is refused instead of forking the chain", () => {
    const dir = tempDir();
    const { privateKey } = keys();
    const a = openLog(dir, privateKey).log;
    const b = openLog(dir, privateKey).log;
    a.append({ kind: "audit", agent: null, data: { from: "a" } });
    a.flush();
    b.append({ kind: "audit", agent: null, data: { from: "b" } });
    let caught: unknown;
    try {
      b.flush();
    } catch (e) {
      caught = e;
    }
    expect(isAiosError(caught, "E_CONFLICT")).toBe(true);
    expect(b.buffered).toBe(1); // kept, not lost
    expect(() => b.close()).toThrow(/another writer/);
    a.close();
    expect(verifyAudit({ dataDir: dir }).ok).toBe(true);
  });

  it("refuses bad options with the field named", () => {
    const dir = tempDir();
    const k = keys().privateKey;
    expect(() => new AuditLog({ dataDir: dir, signer: k, checkpointEvery: 0 })).toThrow(/checkpointEvery/);
    expect(() => new AuditLog({ dataDir: dir, signer: keys().publicKey })).toThrow(/Ed25519 private KeyObject/);
  });
});

describe("checkpoints", () => {
  it("signs one every N entries, in the database and the file, and one over the tail on close", () => {
    const { dataDir, publicKey } = writeLog(250);
    const lines = readFileSync(auditPaths(dataDir).checkpoints, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { size: number });
    // 20: the first flush of a new log signs a head at once; 250 twice: the head at the last flush
    // and the seal at close.
    expect(lines.map((c) => c.size)).toEqual([20, 100, 200, 250]);
    const v = ed25519Verifier(publicKey);
    const reader = AuditReader.open(dataDir);
    for (const cp of lines as Parameters<typeof checkpointVerifies>[1][]) {
      expect(checkpointVerifies(v, cp)).toBe(true);
      expect(cp.root).toBe(reader.treeHead(cp.size).root.toString("hex"));
    }
    reader.close();
  });

  it("commits plain batches without an fsync and every batch carrying a checkpoint with synchronous=FULL", () => {
    const dir = tempDir();
    const { log, clock } = openLog(dir, keys().privateKey, { checkpointEvery: 100, headEveryMs: 5000 });
    const pragmas = vi.spyOn(Database.prototype, "pragma");
    const flushed = (n: number): unknown[] => {
      pragmas.mockClear();
      for (let i = 0; i < n; i++) log.append({ kind: "syscall", agent: "ag_1", data: { syscall: "Noop", decision: "allowed" } });
      log.flush();
      return pragmas.mock.calls.map((c) => c[0]);
    };
    const durable = ["synchronous = FULL", "synchronous = NORMAL"];
    try {
      expect(flushed(60)).toEqual(durable); // a new log's first flush signs a head
      expect(flushed(30)).toEqual([]); // 61..90: no checkpoint, no fsync
      expect(flushed(30)).toEqual(durable); // 91..120 crosses 100
      expect(log.latestCheckpoint?.size).toBe(100);
      expect(flushed(5)).toEqual([]);
      clock.advance(5000);
      expect(flushed(5)).toEqual(durable); // a signed head due by time
      expect(log.latestCheckpoint?.size).toBe(130);
      pragmas.mockClear();
      log.close(); // the seal over the tail is written durably too
      expect(pragmas.mock.calls.map((c) => c[0])).toEqual(durable);
    } finally {
      pragmas.mockRestore();
    }
    const db = new Database(auditPaths(dir).db, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) FROM audit_entries").pluck().get()).toBe(130);
    db.close();
  });

  it("reopens and continues the same chain and tree", () => {
    const dir = tempDir();
    const { privateKey } = keys();
    const first = openLog(dir, privateKey);
    for (let i = 0; i < 150; i++) first.log.append({ kind: "audit", agent: null, data: { i } });
    first.log.close();
    const second = openLog(dir, privateKey);
    expect(second.log.size).toBe(150);
    for (let i = 150; i < 320; i++) second.log.append({ kind: "audit", agent: null, data: { i } });
    second.log.close();
    const r = verifyAudit({ dataDir: dir });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.lastSeq).toBe(320);
    // 100, 150 (seal), 150 (open), 200, 300, 320 (seal)
    expect(r.checkpoints.verified).toBe(6);
  });

  it("verifies while the writer is still open, the unsigned tail reported as such", () => {
    const dir = tempDir();
    const { log } = openLog(dir, keys().privateKey);
    for (let i = 0; i < 250; i++) log.append({ kind: "audit", agent: null, data: { i } });
    log.flush();
    const mid = verifyAudit({ dataDir: dir });
    expect(mid.problems).toEqual([]);
    expect(mid.checkpoints.lastSignedSize).toBe(200);
    for (let i = 250; i < 420; i++) log.append({ kind: "audit", agent: null, data: { i } });
    log.flush();
    expect(verifyAudit({ dataDir: dir })).toMatchObject({ ok: true, lastSeq: 420, checkpoints: { lastSignedSize: 400 } });
    log.close();
  });

  it("survives a key rotation: both keys are pinned and each checkpoint is checked with its own key", () => {
    const dir = tempDir();
    const [a, b] = [keys(), keys()];
    const first = openLog(dir, a.privateKey);
    for (let i = 0; i < 150; i++) first.log.append({ kind: "audit", agent: null, data: { i } });
    first.log.close();
    const second = openLog(dir, b.privateKey);
    for (let i = 150; i < 300; i++) second.log.append({ kind: "audit", agent: null, data: { i } });
    second.log.close();
    expect(verifyAudit({ dataDir: dir }).ok).toBe(true);
    expect(verifyAudit({ dataDir: dir, publicKey: [a.publicKey, b.publicKey] }).ok).toBe(true);
    const onlyOld = verifyAudit({ dataDir: dir, publicKey: a.publicKey });
    expect(onlyOld.ok).toBe(false);
    expect(onlyOld.wrongKey).toBe(false);
    // The first checkpoint b signed is the "open" at size 150, covering 101..150.
    expect(onlyOld.firstBad).toMatchObject({ seq: 101, kind: "signature" });
  });

  it("brings a checkpoint file that fell behind level again when reopened", () => {
    const dir = tempDir();
    const { privateKey } = keys();
    const { log } = openLog(dir, privateKey);
    for (let i = 0; i < 230; i++) log.append({ kind: "audit", agent: null, data: { i } });
    log.close();
    const path = auditPaths(dir).checkpoints;
    const lines = readFileSync(path, "utf8").split("\n");
    // Simulate a crash between the batch commit and the file append: the last checkpoint is missing.
    writeFileSync(path, lines.slice(0, 2).join("\n") + "\n");
    expect(verifyAudit({ dataDir: dir }).ok).toBe(false);
    openLog(dir, privateKey).log.close();
    expect(verifyAudit({ dataDir: dir }).ok).toBe(true);
  });

  it("refuses to reopen a database that is behind its checkpoint file", () => {
    const { dataDir, privateKey } = writeLog(120);
    const db = new Database(auditPaths(dataDir).db);
    db.prepare("DELETE FROM audit_entries WHERE seq > 110").run();
    db.close();
    let caught: unknown;
    try {
      openLog(dataDir, privateKey);
    } catch (e) {
      caught = e;
    }
    expect(isAiosError(caught, "E_CORRUPT")).toBe(true);
  });
});

describe("redaction and bad content", () => {
  it("redacts before hashing: the secret is in neither the database nor the checkpoint file", () => {
    const dir = tempDir();
    const secret = "sk-live-0123456789abcdef";
    const redact = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replaceAll(secret, "[REDACTED]"));
    const { log } = openLog(dir, keys().privateKey, { redact });
    log.append({ kind: "syscall", agent: "ag_1", data: { syscall: "ToolCall", decision: "denied", reason: `bad key ${secret}` } });
    log.close();
    expect(readFileSync(auditPaths(dir).db).includes(secret)).toBe(false);
    expect(readFileSync(auditPaths(dir).checkpoints, "utf8").includes(secret)).toBe(false);
    const reader = AuditReader.open(dir);
    expect(reader.entries()[0]?.data["reason"]).toBe("bad key [REDACTED]");
    reader.close();
    expect(verifyAudit({ dataDir: dir }).ok).toBe(true);
  });

  it("fails closed when the redactor throws, and records unencodable content instead of throwing", () => {
    const dir = tempDir();
    const { log } = openLog(dir, keys().privateKey, {
      redact: (v) => {
        const reason = (v as { data: Record<string, unknown> }).data["reason"];
        if (typeof reason === "string" && reason.includes("explode")) throw new Error("redactor broke");
        return v;
      },
    });
    log.append({ kind: "syscall", agent: "ag_1", data: { reason: "explode hunter2-secret" } });
    log.append({ kind: "syscall", agent: "ag_2", data: { n: Number.NaN } });
    log.append({ kind: "syscall", agent: "ag_3", data: { big: 10n } });
    log.close();
    const reader = AuditReader.open(dir);
    const [a, b, c] = reader.entries();
    reader.close();
    expect(a?.data).toEqual({ auditError: "redaction failed: redactor broke" });
    expect(b?.data["auditError"]).toMatch(/\$\.n: non-finite number NaN/);
    expect(c?.data["auditError"]).toMatch(/\$\.big: a bigint cannot be encoded/);
    expect(readFileSync(auditPaths(dir).db).includes("hunter2")).toBe(false);
  });
});

describe("proofs from the log", () => {
  it("inclusion proofs verify against a signed checkpoint's root; consistency holds between checkpoints", () => {
    const { dataDir, publicKey } = writeLog(333);
    const cps = readFileSync(auditPaths(dataDir).checkpoints, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { size: number; root: string; sig: string; chain: string; ts: number; keyId: string });
    const v = ed25519Verifier(publicKey);
    const reader = AuditReader.open(dataDir);
    for (const cp of cps) {
      expect(checkpointVerifies(v, cp)).toBe(true);
      for (const seq of [1, Math.ceil(cp.size / 2), cp.size]) {
        const p = reader.inclusionProof(seq, cp.size);
        expect(verifyInclusion(p.leaf, p.leafIndex, p.treeSize, p.path, Buffer.from(cp.root, "hex"))).toBe(true);
      }
    }
    for (let i = 0; i + 1 < cps.length; i++) {
      const [a, b] = [cps[i]!, cps[i + 1]!];
      const p = reader.consistencyProof(a.size, b.size);
      expect(verifyConsistency(a.size, b.size, Buffer.from(a.root, "hex"), Buffer.from(b.root, "hex"), p.path)).toBe(true);
    }
    expect(() => reader.inclusionProof(334)).toThrow(/not within/);
    reader.close();
  });
});
