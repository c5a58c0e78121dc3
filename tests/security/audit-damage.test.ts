/**
 * Damage to the audit store at the edges (issue #19.6): whatever bytes of audit.db are flipped or a
 * page zeroed, `aios audit verify` reports (exit 1 or 2) instead of throwing, and reopening the log
 * either works or fails with an AiosError (E_CORRUPT naming the file) — never a bare SyntaxError,
 * RangeError or raw SQLITE_CORRUPT.
 */
import { readFileSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { auditVerifyCommand } from "../../src/audit/index.js";
import { openLog, tempDir, writeLog } from "./audit-helpers.js";

function reopen(dataDir: string, key: Parameters<typeof openLog>[1]): unknown {
  try {
    const { log } = openLog(dataDir, key);
    log.close();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe("a damaged audit store", () => {
  it("is reported by verify and refused by the writer with AiosErrors, for any flipped bits", () => {
    const { dataDir, privateKey } = writeLog(600);
    const db = join(dataDir, "audit.db");
    const size = readFileSync(db).length;
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(size - 1), bit: fc.nat(7) }), { minLength: 1, maxLength: 3 }), (flips) => {
        const dir = tempDir();
        cpSync(dataDir, dir, { recursive: true });
        const bytes = readFileSync(join(dir, "audit.db"));
        for (const f of flips) bytes[f.at] = (bytes[f.at] ?? 0) ^ (1 << f.bit);
        writeFileSync(join(dir, "audit.db"), bytes);
        const r = auditVerifyCommand(dir);
        expect([0, 1, 2]).toContain(r.exitCode);
        if (r.exitCode === 2) expect(r.report).toMatch(/E_CORRUPT|E_STORAGE|cannot verify/);
        const e = reopen(dir, privateKey);
        if (e !== undefined) {
          expect(e, e instanceof Error ? `${e.name}: ${e.message}` : "not an error").toBeInstanceOf(AiosError);
          expect((e as AiosError).message).toContain(dir);
        }
      }),
      { numRuns: Number(process.env["AIOS_FLIP_RUNS"] ?? 80) },
    );
  }, 120_000);

  it("reopens with an AiosError, not a SyntaxError, when a stored checkpoint row is damaged", () => {
    const { dataDir, privateKey } = writeLog(250);
    const raw = new Database(join(dataDir, "audit.db"));
    raw.prepare("UPDATE audit_checkpoints SET line = substr(line, 1, 20) WHERE size = (SELECT max(size) FROM audit_checkpoints)").run();
    raw.close();
    // The file is behind the database, so the writer re-appends the stored rows: the damaged one must be refused cleanly.
    writeFileSync(join(dataDir, "audit.checkpoints"), "");
    const e = reopen(dataDir, privateKey);
    expect(e).toBeInstanceOf(AiosError);
    expect((e as AiosError).code).toBe("E_CORRUPT");
    expect((e as AiosError).message).toContain("audit.db");
    const r = auditVerifyCommand(dataDir);
    expect(r.exitCode).not.toBe(0);
  });
});
