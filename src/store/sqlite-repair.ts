/**
 * Repair helpers for a damaged SQLite store: a file cut short gets its header's page count
 * corrected (after a copy of the original is kept) so what remains can be read, and directory
 * fsync for the renames of a store swap. Nothing here decides what was lost; recovery.ts does.
 */
import { closeSync, copyFileSync, fsyncSync, openSync, readSync, statSync, writeSync } from "node:fs";

/**
 * A file cut short (lost tail pages) makes SQLite refuse the whole database, because the page count
 * in its header exceeds the file. Keep a copy of the file as it was, then set the header's page count
 * to what is really there, so recovery can read the intact prefix and report the rest as lost.
 * Returns the copy's path, or undefined when the damage is something else.
 */
export function repairTruncation(file: string): string | undefined {
  const size = statSync(file).size;
  if (size < 100) return undefined;
  const header = Buffer.alloc(100);
  const fd = openSync(file, "r+");
  try {
    readSync(fd, header, 0, 100, 0);
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    const pages = header.readUInt32BE(28);
    if (pageSize < 512 || size % pageSize !== 0 || pages * pageSize <= size) return undefined;
    const copy = `${file}.truncated-${Date.now()}`;
    copyFileSync(file, copy);
    const fixed = Buffer.alloc(4);
    fixed.writeUInt32BE(size / pageSize);
    writeSync(fd, fixed, 0, 4, 28);
    fsyncSync(fd);
    return copy;
  } finally {
    closeSync(fd);
  }
}

/** Makes renames and creations in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
