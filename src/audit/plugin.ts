/**
 * auditPlugin: joins the audit log to a kernel. install() opens the log in the data dir, sets
 * `kernel.guards.audit` to a LogAuditSink (every dispatcher decision), subscribes to lifecycle
 * events on `kernel.events`, and on shutdown drains the bus, flushes, signs a final checkpoint and
 * closes. It uses only the kernel's public API (events, clock, logger, guards, onShutdown).
 */
import type { Kernel, Plugin } from "../kernel/index.js";
import { AuditLog, type AuditLogOptions } from "./log.js";
import { LifecycleRecorder, LogAuditSink } from "./sink.js";
import { AGGREGATE_META, Aggregator, parseMark } from "./aggregate.js";

export interface AuditPluginOptions extends Omit<AuditLogOptions, "clock" | "logger"> {
  /** Event types recorded as lifecycle entries (default: DEFAULT_LIFECYCLE_EVENTS). */
  readonly eventTypes?: readonly string[];
  /** Allowed sends under a verified grant are written as one aggregate per agent this often (default 10 s). */
  readonly aggregateMs?: number;
}

export interface AuditPlugin extends Plugin {
  /** The open log after install() (for `os.audit`), null before. */
  readonly log: AuditLog | null;
  readonly sink: LogAuditSink | null;
}

export function auditPlugin(options: AuditPluginOptions): AuditPlugin {
  let log: AuditLog | null = null;
  let sink: LogAuditSink | null = null;
  return {
    name: "audit",
    get log() {
      return log;
    },
    get sink() {
      return sink;
    },
    install(kernel: Kernel): void {
      const logger = kernel.logger.child({ module: "audit" });
      const opened = new AuditLog({ ...options, clock: kernel.clock, logger });
      log = opened;
      const aggregator = new Aggregator(
        {
          append: (c) => opened.append(c),
          note: (k, v) => opened.note(k, v),
          // The interval's aggregates and the mark that ends them commit together, now.
          commit: () => {
            try {
              opened.flush();
            } catch (e) {
              logger.warn({ err: e instanceof Error ? e.message : String(e) }, "audit: aggregates stay buffered until the log can write");
            }
          },
        },
        kernel.clock,
        options.aggregateMs ?? 10_000,
        parseMark(opened.meta(AGGREGATE_META)),
        kernel.events,
      );
      sink = new LogAuditSink(opened, logger, aggregator);
      opened.aggregates = () => void aggregator.flush();
      kernel.guards.audit = sink;
      const lifecycle = new LifecycleRecorder(kernel.events, opened, options.eventTypes);
      kernel.onShutdown(async () => {
        // The bus delivers on setImmediate: one turn lets events emitted before shutdown arrive.
        await new Promise<void>((resolve) => setImmediate(resolve));
        lifecycle.stop();
        aggregator.flush();
        opened.close();
      });
    },
  };
}
