/**
 * The data-directory lock (issue #11.8): held by the OS for a live process, dropped with a dead one.
 * A real child process takes the lock; the test refuses while it lives, takes over the moment it is
 * killed with SIGKILL (no stale-pid check to fool), and is not refused by a pid file naming a live
 * process that holds nothing (pid reuse in a container).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { acquireDirLock } from "../../src/store/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-lock-"));
  dirs.push(d);
  return d;
}

/** Starts a process that holds `d`'s lock; resolves with it once it says so. */
function holder(d: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", join(HERE, "fixtures", "lock-holder.ts"), d], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (b: Buffer) => (err += b.toString()));
    child.stdout?.on("data", (b: Buffer) => {
      if (b.toString().startsWith("held")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`lock holder exited ${code}: ${err}`)));
  });
}

function conflict(d: string): AiosError {
  try {
    acquireDirLock(d).release();
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    return e as AiosError;
  }
  throw new Error("the lock was taken while another holder had it");
}

describe("the data-directory lock", () => {
  it("refuses while another process holds it and names that process; takes over right after kill -9", async () => {
    const d = dir();
    const child = await holder(d);
    const e = conflict(d);
    expect(e.code).toBe("E_CONFLICT");
    expect(e.message).toContain(`process ${child.pid}`);
    expect(e.details).toMatchObject({ holderPid: child.pid });
    // Refused attempts of this process must not drop the other's lock (fcntl locks are per process).
    expect(conflict(d).code).toBe("E_CONFLICT");
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const lock = acquireDirLock(d);
    lock.release();
  }, 20_000);

  it("is not fooled by a pid file naming a live process (pid reuse)", () => {
    const d = dir();
    writeFileSync(join(d, "aios.lock"), `${process.ppid}\n`);
    const lock = acquireDirLock(d);
    lock.release();
  });

  it("refuses a second holder in the same process, and a refused attempt leaves the lock held", async () => {
    const d = dir();
    const lock = acquireDirLock(d);
    expect(conflict(d).details).toMatchObject({ holderPid: process.pid });
    // Another process still finds it held after this process's refused attempt closed its handle.
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", join(HERE, "fixtures", "lock-holder.ts"), d], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).not.toBe(0);
    lock.release();
    const again = acquireDirLock(d);
    again.release();
  }, 20_000);
});
