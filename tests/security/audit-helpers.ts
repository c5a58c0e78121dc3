/** Shared set-up for the audit tests: a temp data dir, a real Ed25519 key, a log with N entries. */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { AuditLog, type AuditLogOptions } from "../../src/audit/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-audit-"));
  dirs.push(d);
  return d;
}

export function keys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ed25519");
}

export function openLog(dataDir: string, privateKey: KeyObject, extra: Partial<AuditLogOptions> = {}): { log: AuditLog; clock: SimulatedClock } {
  const clock = new SimulatedClock();
  return { log: new AuditLog({ dataDir, signer: privateKey, clock, checkpointEvery: 100, ...extra }), clock };
}

/** Appends n syscall decisions, alternating allowed/denied, then closes (signing a final checkpoint). */
export function writeLog(n: number, extra: Partial<AuditLogOptions> = {}): { dataDir: string; privateKey: KeyObject; publicKey: KeyObject } {
  const dataDir = tempDir();
  const { privateKey, publicKey } = keys();
  const { log, clock } = openLog(dataDir, privateKey, extra);
  for (let i = 1; i <= n; i++) {
    clock.advance(1);
    log.append(
      i % 2 === 0
        ? { kind: "syscall", agent: `ag_${i % 7}`, data: { syscall: "ToolCall", decision: "denied", reason: "no token", n: i } }
        : { kind: "syscall", agent: `ag_${i % 7}`, data: { syscall: "ToolCall", decision: "allowed", by: `tok_${i % 3}`, n: i } },
    );
  }
  log.close();
  return { dataDir, privateKey, publicKey };
}
