/**
 * The edges of a full disk (issue #19.6), on a real 512 KiB tmpfs filled to the last block: taking
 * the data directory's lock and opening the grants database answer E_STORAGE_FULL (retryable, the
 * file named), not E_STORAGE — and leave no empty lock file behind; both work once space returns.
 * Needs root to mount (CI has it).
 */
import { existsSync, mkdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { GrantStore } from "../../src/security/grant-store.js";
import { acquireDirLock } from "../../src/store/index.js";
import { fillDisk, useSmallDisk } from "./small-disk.js";

const disk = useSmallDisk("512k");

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
  it("answers E_STORAGE_FULL for the lock file and the grants database, and recovers", () => {
    const data = join(disk.path, "data");
    mkdirSync(data);
    const filler = fillDisk(disk.path);

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
