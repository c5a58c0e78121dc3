/**
 * Salvage helpers for a damaged SQLite store. They read as little of the damage as possible: a file
 * cut short gets its header's page count corrected (after a copy of the original is kept), and the
 * verified prefix of a damaged journal is copied out with exact LIMITs so no cursor steps onto a
 * damaged page. Nothing here decides what was lost; recovery.ts does, from what is readable.
 */
import Database from "better-sqlite3";
import { closeSync, copyFileSync, fsyncSync, openSync, readSync, statSync, writeSync } from "node:fs";
import type { JournalRow } from "./driver.js";

/** The meta rows of a damaged store, or none when its meta table is unreadable too. */
function readMeta(db: Database.Database): { key: string; value: string }[] {
  try {
    return db.prepare<[], { key: string; value: string }>("SELECT key, value FROM meta").all();
  } catch {
    return [];
  }
}

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

/**
 * Copies rows with seq < keepBelow (and the meta table, when readable) out of the damaged database
 * file `from`, in batches handed to `write`; the last call carries the meta.
 */
export function copyPrefix(from: string, keepBelow: number, write: (rows: JournalRow[], meta?: Record<string, string>) => void): void {
  const old = new Database(from, { readonly: true, fileMustExist: true });
  try {
    const rows = old.prepare<[number, number], JournalRow>("SELECT seq, kind, body, crc FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?");
    const first = old.prepare<[], { first: number | null }>("SELECT min(seq) AS first FROM journal").get()?.first ?? keepBelow;
    for (let at = first; at < keepBelow; ) {
      const batch = rows.all(at, Math.min(10_000, keepBelow - at)).filter((r) => r.seq < keepBelow);
      if (batch.length === 0) break;
      write(batch);
      at = (batch.at(-1)?.seq ?? keepBelow) + 1;
    }
    write([], Object.fromEntries(readMeta(old).map((m) => [m.key, m.value])));
  } finally {
    old.close();
  }
}
