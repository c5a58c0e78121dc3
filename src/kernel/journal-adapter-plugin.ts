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

declare module "../core/index.js" {
  interface EventDataMap {
    /**
     * The journal was opened and verified. `lost`: the last loss an operator accepted
     * (`aios recover --accept-loss`); `findings`: damage repaired at this open that cost nothing.
     */
    "store.recovered": {
      records: number;
      durationMs: number;
      lost?: { fromSeq: number; toSeq: number; count: number; reason: string; aside?: string; acceptedAt: number };
      findings?: string[];
    };
  }
}

export interface DurableStorePluginOptions extends DurableJournalOptions {
  readonly dataDir: string;
  /** Receives the opened journal (tests, the CLI's `audit verify`, benchmarks). */
  readonly onOpen?: (journal: DurableJournal) => void;
}

export function durableStorePlugin(options: DurableStorePluginOptions): Plugin {
  return {
    name: "store",
    async install(kernel: Kernel): Promise<void> {
      const { dataDir, onOpen, ...journalOptions } = options;
      const journal = createSqliteJournal(dataDir, journalOptions);
      const state = await journal.recover();
      const report = journal.report;
      const damaged = report !== undefined && (report.findings.length > 0 || report.loss !== undefined);
      if (report !== undefined) {
        const severity: Severity = report.loss !== undefined ? "critical" : damaged ? "error" : "info";
        const l = report.acceptedLoss;
        const lost = l === undefined ? {} : { lost: { fromSeq: l.fromSeq, toSeq: l.toSeq, count: l.count, reason: l.summary, acceptedAt: l.acceptedAt, ...(l.aside === undefined ? {} : { aside: l.aside }) } };
        kernel.events.emit("store.recovered", { records: report.records, durationMs: report.durationMs, ...lost, ...(report.findings.length > 0 ? { findings: [...report.findings] } : {}) }, undefined, severity);
      }
      // Damage is an error-level line (the default level shows it); a clean open is info.
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
