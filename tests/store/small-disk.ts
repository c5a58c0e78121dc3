/**
 * A real small disk for the disk-full tests: a tmpfs of the given size mounted for one test file and
 * unmounted after it (lazily if something still holds a file, so it is never left mounted). Mounting
 * needs root, which CI has: without it the test fails with the reason rather than being skipped.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { cleanupDirs, tempDir } from "./helpers.js";

export interface SmallDisk {
  /** The mount point (set once `beforeAll` has run). */
  readonly path: string;
}

/** Mounts a tmpfs of `size` (e.g. "2m") for this file; `beforeClose` runs before it is unmounted. */
export function useSmallDisk(size: string, beforeClose?: () => Promise<void>): SmallDisk {
  const disk = { path: "" };
  let mounted = false;
  beforeAll(() => {
    disk.path = join(tempDir("aios-small-disk-"), "mnt");
    mkdirSync(disk.path);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", disk.path], { stdio: "pipe" });
    } catch (e) {
      throw new Error(`cannot mount a ${size} tmpfs at ${disk.path} (${(e as Error).message.split("\n")[0]}): the disk-full tests need root`, { cause: e });
    }
    mounted = true;
  });
  afterAll(async () => {
    await beforeClose?.();
    if (mounted) {
      try {
        execFileSync("umount", [disk.path]);
      } catch {
        execFileSync("umount", ["-l", disk.path]);
      }
    }
    cleanupDirs();
  });
  return disk;
}

/**
 * Fills the file system holding `dir` to its last block with a file named `filler` (halving the
 * chunk on each ENOSPC down to one byte); returns its path: unlink it to give the space back.
 */
export function fillDisk(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  try {
    for (let size = 1024 * 1024; size >= 1; ) {
      try {
        writeSync(fd, Buffer.alloc(size, 1));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
