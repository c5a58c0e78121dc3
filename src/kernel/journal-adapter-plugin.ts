/**
 * The store as a kernel plugin: opens the SQLite journal in the data directory, waits for its
 * recovery (so syscall look-ups are answerable before any agent runs), installs it as the kernel's
 * KernelJournal and SyscallJournal, reports what recovery found as an event, and flushes and closes
 * it at shutdown. `boot({ dataDir, durable: true, plugins: [durableStorePlugin({ dataDir })] })`.
 */
import type { Severity } from "../core/index.js";
import { createSqliteJournal, type DurableJournal, type DurableJournalOptions } from "./journal-adapter.js";
import type { Kernel } from "./kernel.js";
import type { Plugin } from "./plugin.js";

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

export interface DurableStorePluginOptions extends DurableJournalOptions {
  readonly dataDir: string;
  /** Receives the opened journal (tests, the CLI's `audit verify`, benchmarks). */
  readonly onOpen?: (journal: DurableJournal) => void;
}

export interface StorePlugin extends Plugin {
  /** What opening the journal found; undefined before install. */
  readonly health: StoreHealth | undefined;
}

export function durableStorePlugin(options: DurableStorePluginOptions): StorePlugin {
  let health: StoreHealth | undefined;
  return {
    name: "store",
    get health() {
      return health;
    },
    async install(kernel: Kernel): Promise<void> {
      const { dataDir, onOpen, ...journalOptions } = options;
      const journal = createSqliteJournal(dataDir, journalOptions);
      const state = await journal.recover();
      const report = journal.report;
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
        kernel.events.emit("store.recovered", health, undefined, severity);
      }
      // Damage is an error-level line (the default level shows it); a clean open is info.
      const damaged = health !== undefined && (health.acceptedNow || health.findings.length > 0);
      for (const line of state.report) {
        if (damaged && !line.startsWith("journal: ")) kernel.logger.error({ dataDir }, line);
        else kernel.logger.info({ dataDir }, line);
      }
      kernel.guards.journal = journal;
      kernel.guards.syscallJournal = journal;
      kernel.onShutdown(() => journal.close());
      onOpen?.(journal);
    },
  };
}
