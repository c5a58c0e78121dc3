/** The SQLite driver: the shared contract plus what only an embedded file store has. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { LATEST_SCHEMA, MIGRATIONS, SqliteDriver } from "../../src/store/index.js";
import { driverContract } from "./driver-contract.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-store-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

driverContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "aios-contract-"));
  return {
    open: async () => SqliteDriver.open(dir),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

function caught(fn: () => unknown): AiosError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AiosError) return e;
    throw e;
  }
  throw new Error("expected an AiosError");
}

describe("SqliteDriver", () => {
  it("runs in WAL mode with synchronous=FULL", async () => {
    const dir = tempDir();
    const d = SqliteDriver.open(dir);
    await d.close();
    const db = new Database(join(dir, "aios.db"));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    // synchronous is a per-connection setting: ask the driver's own connection.
    const d2 = SqliteDriver.open(dir);
    expect(d2.pragmas()).toEqual({ journal_mode: "wal", synchronous: 2 });
    await d2.close();
  });

  it("refuses a data directory written by a newer schema, naming both versions", async () => {
    const dir = tempDir();
    const newer = [...MIGRATIONS, { version: 99, description: "future", sql: "CREATE TABLE future (x)" }];
    const d = SqliteDriver.open(dir, { migrations: newer });
    expect(d.schemaVersion).toBe(99);
    await d.close();
    const e = caught(() => SqliteDriver.open(dir));
    expect(e.code).toBe("E_SCHEMA_VERSION");
    expect(e.message).toContain("v99");
    expect(e.details).toMatchObject({ found: 99 });
    // The refusal released the lock: the newer build can still open it.
    const again = SqliteDriver.open(dir, { migrations: newer });
    await again.close();
  });

  it("migrates an older store forward in place, keeping its rows", async () => {
    const dir = tempDir();
    const d = SqliteDriver.open(dir);
    await d.write({ meta: { keep: "me" } });
    await d.close();
    const newer = [...MIGRATIONS, { version: LATEST_SCHEMA + 1, description: "add a table", sql: "CREATE TABLE extra (x)" }];
    const d2 = SqliteDriver.open(dir, { migrations: newer });
    expect(d2.schemaVersion).toBe(LATEST_SCHEMA + 1);
    expect(await d2.getMeta("keep")).toBe("me");
    await d2.close();
  });

  it("lets one owner hold a data directory and names the holder's pid", async () => {
    const dir = tempDir();
    const d = SqliteDriver.open(dir);
    const e = caught(() => SqliteDriver.open(dir));
    expect(e.code).toBe("E_CONFLICT");
    expect(e.message).toContain(String(process.pid));
    expect(e.details).toMatchObject({ holderPid: process.pid });
    await d.close();
    const d2 = SqliteDriver.open(dir);
    await d2.close();
  });

  it("is not held by a pid file alone: the OS lock decides (tests/store/dir-lock.test.ts)", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      // A live process named in the pid file but holding no lock (pid reuse, a leftover file).
      writeFileSync(join(dir, "aios.lock"), `${child.pid}\n`);
      const d = SqliteDriver.open(dir);
      await d.close();
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
    expect(existsSync(join(dir, "aios.lock"))).toBe(false);
  });

  it("refuses to start empty when the database file vanished from an initialised directory", async () => {
    const dir = tempDir();
    const d = SqliteDriver.open(dir);
    await d.close();
    for (const f of ["aios.db", "aios.db-wal", "aios.db-shm"]) if (existsSync(join(dir, f))) unlinkSync(join(dir, f));
    const e = caught(() => SqliteDriver.open(dir));
    expect(e.code).toBe("E_CORRUPT");
    expect(e.message).toContain("refusing to start empty");
  });

  it("reports a file that is not a database as E_CORRUPT", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "aios.db"), Buffer.alloc(8192, 0x41));
    const e = caught(() => SqliteDriver.open(dir));
    expect(e.code).toBe("E_CORRUPT");
  });
});
