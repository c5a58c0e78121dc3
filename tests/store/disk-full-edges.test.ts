/**
 * The edges of a full disk (issue #19.6), on a real 512 KiB tmpfs filled to the last block: taking
 * the data directory's lock and opening the grants database answer E_STORAGE_FULL (retryable, the
 * file named), not E_STORAGE — and leave no empty lock file behind; both work once space returns.
 * Needs root to mount; skipped with a message otherwise.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { GrantStore } from "../../src/security/grant-store.js";
import { acquireDirLock } from "../../src/store/index.js";
import { cleanupDirs, tempDir } from "./helpers.js";

let mnt = "";
let mounted = false;
let whyNot = "";

beforeAll(() => {
  mnt = join(tempDir("aios-full-edges-"), "mnt");
  mkdirSync(mnt);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt], { stdio: "pipe" });
    mounted = true;
  } catch (e) {
    whyNot = `cannot mount a tmpfs (${(e as Error).message.split("\n")[0]}); the disk-full test needs root`;
    console.warn(`SKIPPED disk-full edges test: ${whyNot}`);
  }
});

afterAll(() => {
  if (mounted) {
    try {
      execFileSync("umount", [mnt]);
    } catch {
      execFileSync("umount", ["-l", mnt]);
    }
  }
  cleanupDirs();
});

/** Fills the file system to its last block. */
function fill(path: string): void {
  let size = 1024 * 1024;
  writeFileSync(path, "");
  for (let i = 0; size >= 1; i++) {
    try {
      writeFileSync(path, Buffer.alloc(size, 1), { flag: "a" });
    } catch {
      size = Math.floor(size / 2);
    }
  }
}

function caught(fn: () => unknown): AiosError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    return e as AiosError;
  }
  throw new Error("expected an error");
}

describe("a full disk at the edges", () => {
  it("answers E_STORAGE_FULL for the lock file and the grants database, and recovers", (ctx) => {
    if (!mounted) ctx.skip(whyNot);
    const data = join(mnt, "data");
    mkdirSync(data);
    const filler = join(mnt, "filler");
    fill(filler);

    const lock = caught(() => acquireDirLock(data));
    expect(lock.code).toBe("E_STORAGE_FULL");
    expect(lock.retryable).toBe(true);
    expect(lock.message).toContain(join(data, "aios.lock"));
    expect(existsSync(join(data, "aios.lock"))).toBe(false);

    const grants = caught(() => new GrantStore(join(data, "grants.db")));
    expect(grants.code).toBe("E_STORAGE_FULL");
    expect(grants.message).toContain(join(data, "grants.db"));

    unlinkSync(filler);
    const held = acquireDirLock(data);
    held.release();
    const store = new GrantStore(join(data, "grants.db"));
    store.close();
  });
});
