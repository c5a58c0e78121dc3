/**
 * Tampering with a closed log, the way an attacker with file access would (SQL on audit.db, edits
 * to audit.checkpoints, another key), and what `verifyAudit` / `aios audit verify` say about it:
 * every case is detected, exits 1, and names the first bad entry and what is wrong with it.
 */
import { readFileSync, rmSync, writeFileSync, truncateSync, statSync, appendFileSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  GENESIS,
  auditPaths,
  auditVerifyCommand,
  chainHash,
  ed25519Signer,
  leafHash,
  verifyAudit,
  type AuditVerifyResult,
} from "../../src/audit/index.js";
import { keys, tempDir, writeLog } from "./audit-helpers.js";

function sql(dataDir: string, fn: (db: Database.Database) => void): void {
  const db = new Database(auditPaths(dataDir).db);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

function expectTampered(r: AuditVerifyResult, seq: number, kind: string): void {
  expect(r.ok).toBe(false);
  expect(r.firstBad?.seq).toBe(seq);
  expect(r.firstBad?.kind).toBe(kind);
}

describe("an intact log", () => {
  it("verifies, with every checkpoint checked, and exits 0", () => {
    const { dataDir, publicKey } = writeLog(1000);
    const r = verifyAudit({ dataDir, publicKey });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, entries: 1000, lastSeq: 1000, wrongKey: false, firstBad: null });
    // the head at the first flush (size 20), one per 100 entries, the seal at close (size 1000 again)
    expect(r.checkpoints).toEqual({ total: 12, verified: 12, lastSignedSize: 1000 });
    const cmd = auditVerifyCommand(dataDir);
    expect(cmd.exitCode).toBe(0);
    expect(cmd.report).toMatch(/OK: intact/);
  });
});

describe("tampering with entries", () => {
  it("an edited row's content is named by its seq", () => {
    const { dataDir } = writeLog(1000);
    sql(dataDir, (db) => db.prepare("UPDATE audit_entries SET body = replace(body, '\"denied\"', '\"allowed\"') WHERE seq = 438").run());
    const r = verifyAudit({ dataDir });
    expectTampered(r, 438, "edited");
    expect(r.firstBad?.message).toMatch(/content does not match its chain hash/);
    // The checkpoint over 401..500 no longer matches either; it points at the same entry.
    expect(r.problems.find((p) => p.kind === "checkpoint-mismatch")?.seq).toBe(438);
    const cmd = auditVerifyCommand(dataDir);
    expect(cmd.exitCode).toBe(1);
    expect(cmd.report).toMatch(/TAMPERED: first bad entry seq 438 \(edited\)/);
  });

  it("an edited query column (agent) is caught against the hashed body", () => {
    const { dataDir } = writeLog(300);
    sql(dataDir, (db) => db.prepare("UPDATE audit_entries SET agent = 'ag_innocent' WHERE seq = 77").run());
    const r = verifyAudit({ dataDir });
    expectTampered(r, 77, "edited");
    expect(r.firstBad?.message).toMatch(/agent column was changed/);
  });

  it("a deleted row is named", () => {
    const { dataDir } = writeLog(1000);
    sql(dataDir, (db) => db.prepare("DELETE FROM audit_entries WHERE seq = 500").run());
    const r = verifyAudit({ dataDir });
    expectTampered(r, 500, "deleted");
    expect(r.firstBad?.message).toBe("entry 500 was deleted");
    // The broken link at 501 is explained by the deletion, not reported as an edit of 501.
    expect(r.problems.filter((p) => p.kind !== "checkpoint-mismatch").map((p) => p.seq)).toEqual([500]);
  });

  it("a row inserted before entry 1 is named", () => {
    const { dataDir } = writeLog(200);
    sql(dataDir, (db) => db.prepare("INSERT INTO audit_entries(seq, ts, kind, agent, body, hash) VALUES (0, 0, 'audit', NULL, '{}', zeroblob(32))").run());
    const r = verifyAudit({ dataDir });
    expectTampered(r, 1, "edited");
    expect(r.firstBad?.message).toMatch(/row with seq 0 was inserted/);
    expect(r.problems).toHaveLength(1);
  });

  it("two swapped rows are named as reordered", () => {
    const { dataDir } = writeLog(1000);
    sql(dataDir, (db) => {
      const get = db.prepare("SELECT body, hash FROM audit_entries WHERE seq = ?");
      const a = get.get(300) as { body: string; hash: Buffer };
      const b = get.get(301) as { body: string; hash: Buffer };
      const put = db.prepare("UPDATE audit_entries SET body = ?, hash = ? WHERE seq = ?");
      db.transaction(() => {
        put.run(b.body, b.hash, 300);
        put.run(a.body, a.hash, 301);
      })();
    });
    const r = verifyAudit({ dataDir });
    expectTampered(r, 300, "reordered");
    expect(r.firstBad?.message).toBe("position 300 holds the entry written as seq 301");
  });

  it("a truncated tail (entries and their checkpoint rows deleted) is caught by the checkpoint file", () => {
    const { dataDir } = writeLog(1000);
    sql(dataDir, (db) => {
      db.prepare("DELETE FROM audit_entries WHERE seq > 950").run();
      db.prepare("DELETE FROM audit_checkpoints WHERE size > 950").run();
    });
    const r = verifyAudit({ dataDir });
    expectTampered(r, 951, "truncated");
    expect(r.firstBad?.message).toMatch(/entries 951\.\.1000 were deleted/);
  });

  it("a tail truncated to a checkpoint boundary is caught by the final checkpoint signed on close", () => {
    const { dataDir } = writeLog(1037);
    sql(dataDir, (db) => {
      db.prepare("DELETE FROM audit_entries WHERE seq > 1000").run();
      db.prepare("DELETE FROM audit_checkpoints WHERE size > 1000").run();
    });
    expectTampered(verifyAudit({ dataDir }), 1001, "truncated");
  });

  it("an entry rewritten together with every chain hash after it is caught by the signed Merkle root", () => {
    const { dataDir } = writeLog(1000);
    sql(dataDir, (db) => {
      const rows = db.prepare("SELECT seq, body FROM audit_entries ORDER BY seq").all() as { seq: number; body: string }[];
      const put = db.prepare("UPDATE audit_entries SET body = ?, hash = ? WHERE seq = ?");
      let prev = GENESIS;
      db.transaction(() => {
        for (const row of rows) {
          const body = row.seq === 612 ? row.body.replace('"denied"', '"allowed"') : row.body;
          prev = chainHash(prev, leafHash(body));
          put.run(body, prev, row.seq);
        }
      })();
    });
    const r = verifyAudit({ dataDir });
    // The chain is self-consistent now, so the row is not identifiable; the range signed over it is.
    expectTampered(r, 601, "checkpoint-mismatch");
    expect(r.firstBad?.message).toMatch(/entries 601\.\.700 do not match the checkpoint/);
  });
  it("a deleted database or a dropped table is tampering, named from entry 1", () => {
    const one = writeLog(300);
    rmSync(auditPaths(one.dataDir).db);
    const r1 = verifyAudit({ dataDir: one.dataDir });
    expectTampered(r1, 1, "truncated");
    expect(r1.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/entries 1\.\.300 were deleted/));
    expect(auditVerifyCommand(one.dataDir).exitCode).toBe(1);
    const two = writeLog(300);
    sql(two.dataDir, (db) => db.exec("DROP TABLE audit_entries"));
    const r2 = verifyAudit({ dataDir: two.dataDir });
    expectTampered(r2, 1, "truncated");
    expect(r2.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/lacks table\(s\) audit_entries/));
  });
});

describe("tampering with checkpoints and keys", () => {
  it("a truncated checkpoint file is detected and the unwitnessed range named", () => {
    const { dataDir } = writeLog(1000);
    const path = auditPaths(dataDir).checkpoints;
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    writeFileSync(path, lines.filter((l) => (JSON.parse(l) as { size: number }).size <= 700).join("\n") + "\n");
    const r = verifyAudit({ dataDir });
    expectTampered(r, 701, "checkpoint-file");
    expect(r.firstBad?.message).toMatch(/checkpoint at size 800 is in the database but missing from the checkpoint file/);
  });

  it("a checkpoint file cut mid-line is detected", () => {
    const { dataDir } = writeLog(1000);
    const path = auditPaths(dataDir).checkpoints;
    truncateSync(path, statSync(path).size - 40);
    const r = verifyAudit({ dataDir });
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.kind === "checkpoint-file" && /incomplete/.test(p.message))).toBe(true);
    // The cut line is the seal over 1000; the count checkpoint at 1000 before it still witnesses 1..1000.
    expect(r.firstBad?.seq).toBe(1001);
  });

  it("both copies of a due checkpoint deleted is detected", () => {
    const { dataDir } = writeLog(1000);
    const path = auditPaths(dataDir).checkpoints;
    const lines = readFileSync(path, "utf8").trimEnd().split("\n").filter((l) => !l.includes('"size":300,'));
    writeFileSync(path, lines.join("\n") + "\n");
    sql(dataDir, (db) => db.prepare("DELETE FROM audit_checkpoints WHERE size = 300").run());
    const r = verifyAudit({ dataDir });
    expectTampered(r, 201, "checkpoint-file");
    expect(r.firstBad?.message).toMatch(/no checkpoint at size 300/);
  });

  it("a checkpoint forged with another key is rejected", () => {
    const { dataDir } = writeLog(1000);
    const forger = ed25519Signer(keys().privateKey);
    const forged = { size: 1200, chain: "00".repeat(32), root: "11".repeat(32), ts: 0, keyId: forger.keyId };
    appendFileSync(auditPaths(dataDir).checkpoints, JSON.stringify({ ...forged, sig: Buffer.from(forger.sign(Buffer.from("x"))).toString("base64") }) + "\n");
    const r = verifyAudit({ dataDir });
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.kind === "signature" && /size 1200/.test(p.message))).toBe(true);
    // An unverifiable checkpoint is not trusted, so it cannot claim a truncation.
    expect(r.problems.some((p) => p.kind === "truncated")).toBe(false);
  });

  it("verifying with the wrong public key says so and names entry 1", () => {
    const { dataDir } = writeLog(500);
    const r = verifyAudit({ dataDir, publicKey: keys().publicKey });
    expect(r.wrongKey).toBe(true);
    expectTampered(r, 1, "signature");
    expect(r.firstBad?.message).toMatch(/does not verify with the given key .* \(wrong key\?\)/);
    const cmd = auditVerifyCommand(dataDir, { publicKey: keys().publicKey.export({ type: "spki", format: "pem" }).toString() });
    expect(cmd.exitCode).toBe(1);
    expect(cmd.report).toMatch(/WRONG KEY/);
  });
});

describe("when verification cannot run", () => {
  it("exits 2 with a clear message for a missing log or a missing key", () => {
    const empty = tempDir();
    const none = auditVerifyCommand(empty);
    expect(none.exitCode).toBe(2);
    expect(none.report).toMatch(/E_CONFIG no public key given/);
    const withKey = auditVerifyCommand(empty, { publicKey: keys().publicKey });
    expect(withKey.exitCode).toBe(2);
    expect(withKey.report).toMatch(/E_NOT_FOUND no audit database/);
    const { dataDir } = writeLog(10);
    rmSync(auditPaths(dataDir).publicKey);
    expect(auditVerifyCommand(dataDir).exitCode).toBe(2);
    expect(auditVerifyCommand(dataDir, { publicKey: "not a pem" }).report).toMatch(/E_INVALID_ARG .*public key could not be parsed/);
  });
});
