/**
 * The store as a subsystem: opens the journal — SQLite in the data directory, or PostgreSQL when
 * `storage` says so (store/storage-config.ts) — waits for its recovery
 * (so syscall look-ups are answerable before any agent runs), provides it as the door's KernelJournal
 * and SyscallJournal stages, reports what recovery found as an event, and flushes and closes it at
 * shutdown. Its service (`store`) is the journal and its health; ipc/ uses the recovered state.
 * `boot({ dataDir, durable: true, stack: "bare", add: [storeSubsystem({ dataDir })] })`.
 */
import type { Severity } from "../core/index.js";
import type { RecoveredState, Subsystem } from "../abi/index.js";
import { storageUrl, type StorageConfig } from "../store/index.js";
import { createPgJournal, createSqliteJournal, type DurableJournal, type DurableJournalOptions } from "./journal-adapter.js";

/** What opening the journal found, for `aios up`, `aios status` and `GET /v1/store`. */
export interface StoreHealth {
  readonly records: number;
  readonly durationMs: number;
  /** Damage repaired at this open that cost nothing acknowledged. */
  readonly findings: string[];
  /** The last loss an operator accepted (`aios recover --accept-loss`) on this store, if any. */
  readonly lost?: { fromSeq: number; toSeq: number; count: number; reason: string; aside?: string; acceptedAt: number };
  /** True when that loss was accepted by this very open. */
  readonly acceptedNow: boolean;
}

declare module "../core/index.js" {
  interface EventDataMap {
    /** The journal was opened and verified (see StoreHealth). */
    "store.recovered": StoreHealth;
  }
}

export interface StoreSubsystemOptions extends DurableJournalOptions {
  readonly dataDir: string;
  /** Where the journal lives (default: SQLite in `dataDir`). */
  readonly storage?: StorageConfig;
  /** Receives the opened journal (tests, the CLI's `audit verify`, benchmarks). */
  readonly onOpen?: (journal: DurableJournal) => void;
}

/** The store's service: the open journal, what it recovered, and what opening it found. */
export interface StoreService {
  readonly journal: DurableJournal;
  readonly recovered: RecoveredState;
  /** Undefined when the journal gives no report (a fresh in-memory one). */
  readonly health: StoreHealth | undefined;
}

export function storeSubsystem(options: StoreSubsystemOptions): Subsystem<"store", StoreService> {
  return {
    name: "store",
    needs: [],
    async build(host) {
      const { dataDir, onOpen, storage, ...journalOptions } = options;
      const journal = storage?.driver === "postgres"
        ? await createPgJournal({
            url: storageUrl(storage),
            ...(storage.schema === undefined ? {} : { schema: storage.schema }),
            ...(storage.poolSize === undefined ? {} : { max: storage.poolSize }),
            onError: (e) => host.logger.warn({ err: e.message }, "store: a PostgreSQL connection failed; the pool replaces it"),
          }, journalOptions)
        : createSqliteJournal(dataDir, journalOptions, storage?.writer === undefined ? {} : { writer: storage.writer });
      const state = await journal.recover();
      const report = journal.report;
      let health: StoreHealth | undefined;
      if (report !== undefined) {
        const l = report.acceptedLoss;
        health = {
          records: report.records,
          durationMs: report.durationMs,
          findings: [...report.findings],
          acceptedNow: report.loss !== undefined,
          ...(l === undefined ? {} : { lost: { fromSeq: l.fromSeq, toSeq: l.toSeq, count: l.count, reason: l.summary, acceptedAt: l.acceptedAt, ...(l.aside === undefined ? {} : { aside: l.aside }) } }),
        };
        const severity: Severity = health.acceptedNow ? "critical" : health.findings.length > 0 ? "error" : health.lost !== undefined ? "warn" : "info";
        host.events.emit("store.recovered", health, undefined, severity);
      }
      // Damage is an error-level line (the default level shows it); a clean open is info.
      const damaged = health !== undefined && (health.acceptedNow || health.findings.length > 0);
      for (const line of state.report) {
        if (damaged && !line.startsWith("journal: ")) host.logger.error({ dataDir }, line);
        else host.logger.info({ dataDir }, line);
      }
      onOpen?.(journal);
      return {
        service: { journal, recovered: state, health },
        stages: { journal, syscallJournal: journal },
        stop: () => journal.close(),
      };
    },
  };
}
