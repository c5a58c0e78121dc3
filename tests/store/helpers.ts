/** Shared helpers for the store tests: temp data directories and a write-counting driver wrapper. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileAckMark, Journal, PgDriver, SqliteDriver, type JournalOptions, type JournalRow, type SqliteDriverOptions, type StorageDriver, type WriteBatch, type WriteOptions } from "../../src/store/index.js";

const dirs: string[] = [];

export function tempDir(prefix = "aios-journal-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Wraps a real driver and counts its write transactions (group-commit assertions). */
export class CountingDriver implements StorageDriver {
  writes = 0;
  rowsWritten = 0;
  constructor(private readonly inner: StorageDriver) {}
  get name(): string {
    return this.inner.name;
  }
  get location(): string {
    return this.inner.location;
  }
  get schemaVersion(): number {
    return this.inner.schemaVersion;
  }
  async write(b: WriteBatch, o?: WriteOptions): Promise<void> {
    await this.inner.write(b, o);
    this.writes++;
    this.rowsWritten += b.append?.length ?? 0;
  }
  read(from: number, limit: number): Promise<JournalRow[]> {
    return this.inner.read(from, limit);
  }
  bounds() {
    return this.inner.bounds();
  }
  getMeta(key: string) {
    return this.inner.getMeta(key);
  }
  replaceAll(rows: readonly JournalRow[], meta: Readonly<Record<string, string>>, aside: string) {
    return this.inner.replaceAll(rows, meta, aside);
  }
  close() {
    return this.inner.close();
  }
}

/** Opens the journal in `dir` with its acknowledgement mark `journal.ack`, as the kernel does. */
export async function openJournal(dir: string, options: JournalOptions = {}, sqlite: SqliteDriverOptions = {}): Promise<{ journal: Journal; driver: CountingDriver }> {
  const driver = new CountingDriver(SqliteDriver.open(dir, sqlite));
  return { journal: await Journal.open(driver, { ack: new FileAckMark(join(dir, "journal.ack")), ...options }), driver };
}

/** Opens the journal in a PostgreSQL schema, as the kernel does (no file mark: the commit is the acknowledgement). */
export async function openPgJournal(url: string, schema: string, options: JournalOptions = {}): Promise<{ journal: Journal; driver: CountingDriver }> {
  const driver = new CountingDriver(await PgDriver.open({ url, schema }));
  return { journal: await Journal.open(driver, options), driver };
}
