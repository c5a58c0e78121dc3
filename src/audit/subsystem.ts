/**
 * auditSubsystem: the audit log as a factory (abi/subsystem.ts). It opens the log in the data dir,
 * provides the door's audit stage (a LogAuditSink: every dispatcher decision), records lifecycle
 * events from the bus, and at shutdown drains the bus, flushes, signs a final checkpoint and closes.
 * Its service (`audit`) is the open log and the sink.
 */
import type { Subsystem } from "../abi/index.js";
import { AuditLog, type AuditLogOptions } from "./log.js";
import { LifecycleRecorder, LogAuditSink } from "./sink.js";
import { AGGREGATE_META, Aggregator, parseMark } from "./aggregate.js";

export interface AuditSubsystemOptions extends Omit<AuditLogOptions, "clock" | "logger"> {
  /** Event types recorded as lifecycle entries (default: DEFAULT_LIFECYCLE_EVENTS). */
  readonly eventTypes?: readonly string[];
  /**
   * Allowed sends under a verified grant are written as one packed aggregate batch this often
   * (default 10 s, as ADR 0019 decided; the factories' rewrite had made it 1 s by mistake).
   */
  readonly aggregateMs?: number;
  /** Agents per packed aggregate entry (default 1000; ADR 0034). */
  readonly aggregateRows?: number;
}

export interface AuditService {
  readonly log: AuditLog;
  readonly sink: LogAuditSink;
}

export function auditSubsystem(options: AuditSubsystemOptions): Subsystem<"audit", AuditService> {
  return {
    name: "audit",
    needs: [],
    build(host) {
      const logger = host.logger.child({ module: "audit" });
      const log = new AuditLog({ ...options, clock: host.clock, logger });
      const aggregator = new Aggregator(
        {
          appendAll: (cs) => log.appendAll(cs),
          note: (k, v) => log.note(k, v),
          // The interval's aggregates and the mark that ends them commit together, now.
          commit: () => {
            try {
              log.flush();
            } catch (e) {
              logger.warn({ err: e instanceof Error ? e.message : String(e) }, "audit: aggregates stay buffered until the log can write");
            }
          },
        },
        host.clock,
        options.aggregateMs ?? 10_000,
        parseMark(log.meta(AGGREGATE_META)),
        { events: host.events, ...(options.aggregateRows === undefined ? {} : { rowsPerEntry: options.aggregateRows }) },
      );
      const sink = new LogAuditSink(log, logger, aggregator);
      log.aggregates = () => void aggregator.flush();
      const lifecycle = new LifecycleRecorder(host.events, log, options.eventTypes);
      return {
        service: { log, sink },
        stages: { audit: sink },
        stop: async () => {
          // The bus delivers on setImmediate: one turn lets events emitted before shutdown arrive.
          await new Promise<void>((resolve) => setImmediate(resolve));
          lifecycle.stop();
          aggregator.flush();
          log.close();
        },
      };
    },
  };
}
