/**
 * Attacker's side of issue 15 item 8: an attacker who can write the whole data dir (audit.db,
 * audit.checkpoints, audit.pub, even read the key store) against `verifyAudit` / `aios audit verify`
 * given the operator's pins from outside the data dir: the public key(s) and the head the writer
 * keeps at `headPath`. Every case runs on a real audit dir written by the real AuditLog, and every
 * one is detected. Plus key rotation through boot(): genuine checkpoints of both keys verify.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { auditPaths, auditVerifyCommand, chainHash, leafHash, verifyAudit, type AuditLogOptions } from "../../src/audit/index.js";
import { silentLogger, SimulatedClock } from "../../src/core/index.js";
import { boot } from "../../src/index.js";
import { keys, openLog, tempDir } from "./audit-helpers.js";

function pem(k: KeyObject): string {
  return (k.type === "public" ? k : createPublicKey(k)).export({ type: "spki", format: "pem" }).toString();
}

/** A closed log of n entries whose head is also kept in a witness dir outside the data dir. */
function witnessedLog(n: number, privateKey: KeyObject, content: (i: number) => string = (i) => `call ${i}`, extra: Partial<AuditLogOptions> = {}): { dataDir: string; headPath: string } {
  const dataDir = tempDir();
  const headPath = join(tempDir(), "audit.head");
  const { log, clock } = openLog(dataDir, privateKey, { headPath, ...extra });
  for (let i = 1; i <= n; i++) {
    clock.advance(1);
    log.append({ kind: "syscall", agent: `ag_${i % 5}`, data: { syscall: "ToolCall", decision: "allowed", what: content(i) } });
  }
  log.close();
  return { dataDir, headPath };
}

function sql(dataDir: string, fn: (db: Database.Database) => void): void {
  const db = new Database(auditPaths(dataDir).db);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

function dropCheckpointLines(dataDir: string, drop: (size: number) => boolean): void {
  const path = auditPaths(dataDir).checkpoints;
  const kept = readFileSync(path, "utf8").trimEnd().split("\n").filter((l) => !drop((JSON.parse(l) as { size: number }).size));
  writeFileSync(path, kept.length === 0 ? "" : kept.join("\n") + "\n");
}

/** The attacker's rewrite: a whole new log with other content, signed with `signingKey`, copied over the victim's files. */
function rewriteHistory(victim: string, n: number, signingKey: KeyObject, alsoPub: boolean): void {
  const forged = witnessedLog(n, signingKey, (i) => (i === 7 ? "nothing happened here" : `call ${i}`));
  const from = auditPaths(forged.dataDir);
  const to = auditPaths(victim);
  copyFileSync(from.db, to.db);
  copyFileSync(from.checkpoints, to.checkpoints);
  if (alsoPub) copyFileSync(from.publicKey, to.publicKey);
}

describe("audit tampering an attacker with the data dir tries, against pins kept outside it", () => {
  it("a tail cut past the last checkpoint with the close-time seal dropped is caught by the pinned head", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir, headPath } = witnessedLog(1037, privateKey);
    sql(dataDir, (db) => {
      db.prepare("DELETE FROM audit_entries WHERE seq > 1000").run();
      db.prepare("DELETE FROM audit_checkpoints WHERE size > 1000").run();
    });
    dropCheckpointLines(dataDir, (size) => size > 1000);
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey), head: readFileSync(headPath, "utf8") });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 1001, kind: "truncated" });
  });

  it("a forged entry appended after the seal (chain hash recomputed) is caught", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir } = witnessedLog(250, privateKey);
    sql(dataDir, (db) => {
      const [prev] = db.prepare("SELECT hash FROM audit_entries WHERE seq = 250").raw().get() as [Buffer];
      const body = `{"agent":"ag_1","data":{"decision":"allowed","syscall":"ToolCall","what":"the attacker's alibi"},"kind":"syscall","seq":251,"ts":999,"v":1}`;
      db.prepare("INSERT INTO audit_entries(seq, ts, kind, agent, body, hash) VALUES (251, 999, 'syscall', 'ag_1', ?, ?)").run(body, chainHash(prev, leafHash(body)));
    });
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey) });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 251, kind: "appended" });
  });

  it("every checkpoint deleted and checkpointEvery raised in the metadata is caught", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir } = witnessedLog(500, privateKey);
    sql(dataDir, (db) => {
      db.prepare("DELETE FROM audit_checkpoints").run();
      db.prepare("UPDATE audit_meta SET value = '1000000000' WHERE key = 'checkpointEvery'").run();
    });
    writeFileSync(auditPaths(dataDir).checkpoints, "");
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey) });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain("unsigned");
  });

  it("some checkpoints deleted and checkpointEvery raised is caught by the interval the checkpoints signed", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir } = witnessedLog(500, privateKey);
    sql(dataDir, (db) => {
      db.prepare("DELETE FROM audit_checkpoints WHERE size BETWEEN 200 AND 400").run();
      db.prepare("UPDATE audit_meta SET value = '500' WHERE key = 'checkpointEvery'").run();
    });
    dropCheckpointLines(dataDir, (size) => size >= 200 && size <= 400);
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey) });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toEqual(expect.arrayContaining(["metadata", "checkpoint-file"]));
    expect(r.problems.find((p) => p.kind === "checkpoint-file")?.message).toMatch(/no checkpoint at size 200/);
  });

  it("history rewritten and re-signed with the attacker's key written into audit.pub is caught by the pinned key", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir } = witnessedLog(300, privateKey);
    rewriteHistory(dataDir, 300, keys().privateKey, true);
    // Trusting the data dir (audit.pub) it looks consistent, and the report says it is unpinned.
    const unpinned = auditVerifyCommand(dataDir);
    expect(unpinned.result?.pinned).toBe(false);
    expect(unpinned.report).toMatch(/^UNPINNED/);
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey) });
    expect(r.ok).toBe(false);
    expect(r.wrongKey).toBe(true);
    expect(r.pinned).toBe(true);
  });

  it("history rewritten and re-signed with the log's own key (stolen from the key store) is caught by the pinned head", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir, headPath } = witnessedLog(300, privateKey);
    rewriteHistory(dataDir, 300, privateKey, false);
    expect(verifyAudit({ dataDir, publicKey: pem(publicKey) }).ok).toBe(true); // the key alone cannot tell
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey), head: readFileSync(headPath, "utf8") });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain("checkpoint-mismatch");
  });

  it("a head that is not the log's (forged, no valid signature) is refused, not trusted", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir, headPath } = witnessedLog(120, privateKey);
    const head = JSON.parse(readFileSync(headPath, "utf8")) as { size: number };
    head.size = 5;
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey), head: JSON.stringify(head) });
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.kind === "signature" && /pinned head/.test(p.message))).toBe(true);
  });

  it("an untouched log verifies with both pins", () => {
    const { privateKey, publicKey } = keys();
    const { dataDir, headPath } = witnessedLog(1037, privateKey);
    const r = verifyAudit({ dataDir, publicKey: pem(publicKey), head: readFileSync(headPath, "utf8") });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

describe("key rotation through boot()", () => {
  it("after the audit key is rotated, the genuine checkpoints of both keys verify against both pinned keys", async () => {
    const dataDir = tempDir();
    const clock = new SimulatedClock();
    const run = async (rotate: boolean): Promise<void> => {
      const os = await boot({ dataDir, clock, logger: silentLogger, subsystems: { embedder: false, memory: false, audit: { checkpointEvery: 3 } } });
      if (rotate) os.subsystems.security?.identities.rotate("kernel.audit");
      for (let i = 0; i < 4; i++) {
        const a = await os.spawn({ name: `a${i}`, kind: "code", logic: { receive: (s: null) => s } });
        await os.kill(a);
      }
      await os.shutdown();
    };
    await run(false);
    await run(true);
    const pub = readFileSync(join(dataDir, "audit", "audit.pub"), "utf8");
    expect(pub.match(/BEGIN PUBLIC KEY/g)).toHaveLength(2);
    const pubkeyFile = join(tempDir(), "pinned.pub");
    writeFileSync(pubkeyFile, pub); // the operator's copy, outside the data dir
    const r = verifyAudit({ dataDir: join(dataDir, "audit"), publicKey: readFileSync(pubkeyFile, "utf8") });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checkpoints.verified).toBe(r.checkpoints.total);
  });
});
