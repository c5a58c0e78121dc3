/**
 * store/: durable state below the kernel — the StorageDriver contract and its SQLite driver,
 * versioned migrations, the data-directory lock, and the checksummed, group-committed journal with
 * verified recovery and compaction. The store never imports kernel/; kernel/journal-adapter.ts
 * maps the kernel's KernelJournal / SyscallJournal onto it.
 */
export type { StorageDriver, JournalRow, WriteBatch, WriteOptions, JournalBounds, DriverFactory, DriverHarness } from "./driver.js";
export { SqliteDriver, type SqliteDriverOptions, type SqliteWriterMode } from "./sqlite-driver.js";
export { MIGRATIONS, LATEST_SCHEMA, migrate, type Migration } from "./migrations.js";
export { acquireDirLock, type DirLock } from "./dir-lock.js";
export { toStoreError, isCorruption, freeBytes } from "./sqlite-errors.js";
export { openWalDb, type WalDbOptions } from "./wal-db.js";
export { JournalRecordSchema, TERMINAL, enqueueRecord, spawnRecord, transitionRecord, handledRecord, intentRecord, resultRecord, journaledError, type EnqueueRecord, type JournalRecord, type RecordType, type RecordStatus } from "./records.js";
export { checkRecord, type Checked } from "./record-check.js";
export { checksum, decode, serialise, toRow, type Decoded } from "./codec.js";
export { JournalState, SEEN_WINDOW, type AgentEntry, type CallEntry, type CallLookup } from "./state.js";
export { recoveredAgent } from "./recovered.js";
export { scanJournal, describeLoss, type LostRange, type Loss, type ScanResult } from "./recovery.js";
export { META_BASE, META_HIGH, META_CHAIN, META_LOSS, encodeMeta, encodeMetas, decodeMeta } from "./meta.js";
export { FileAckMark, ACK_TAG, chainNext, type AckMark, type AckPoint, type AckRead } from "./ack-mark.js";
export { Journal } from "./journal.js";
export type { JournalOptions } from "./journal-options.js";
export type { RecoveryReport, AcceptedLoss } from "./journal-open.js";
export { PgDriver, type PgDriverOptions } from "./pg-driver.js";
export { PG_MIGRATIONS, PG_LATEST_SCHEMA, migratePg, type PgMigration } from "./pg-migrations.js";
export { createPgPool, pgClientConfig, guardClient, checkSchemaName, redactUrl, type PgPoolOptions } from "./pg-pool.js";
export { toPgStoreError, sqlState, isConnectionError } from "./pg-errors.js";
export { StorageConfigSchema, storageUrl, type StorageConfig } from "./storage-config.js";
