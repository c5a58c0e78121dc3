/**
 * The kernel's side of the log: an AuditSink for dispatcher decisions and a subscription to
 * lifecycle events on the kernel bus. Both only buffer (the log batches the writes); neither ever
 * throws into the kernel — a failure is counted and logged, and an event the bus had to drop is
 * recorded as a gap entry so the log says it is incomplete rather than looking whole.
 */
import type { EventBus, Logger, Subscription } from "../core/index.js";
import { silentLogger, toAiosError } from "../core/index.js";
import type { AuditRecord, AuditSink, AuditTally, SyscallName, TallyCounts } from "../abi/index.js";
import type { Aggregator } from "./aggregate.js";
import { lifecycleContent, syscallContent } from "./entry.js";
import type { AuditLog } from "./log.js";
import { PackedTransitions, transitionRow } from "./transitions.js";

/** Lifecycle events audited by default: every transition and the operations around it. */
export const DEFAULT_LIFECYCLE_EVENTS: readonly string[] = ["agent.transition", "agent.upgraded", "agent.restarted", "agent.op.vetoed", "supervisor.escalated", "supervisor.gave_up"];

export class LogAuditSink implements AuditSink {
  /** record() calls that could not be buffered (log closed). */
  failures = 0;

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger = silentLogger,
    private readonly aggregator?: Aggregator,
  ) {
    if (aggregator !== undefined) {
      this.enlist = (tally, counts) => aggregator.enlist(tally, counts);
      this.release = (tally, counts) => aggregator.release(tally, counts);
      this.retire = (tally) => aggregator.retire(tally);
    }
  }

  /** Allowed calls under a verified grant, counted into per-interval aggregates (aggregate.ts). */
  tally(agent: string, syscall: SyscallName, by: string, door = false): AuditTally {
    if (this.aggregator !== undefined) return this.aggregator.tally(agent, syscall, by, door);
    // Without an aggregator every allowed call is its own entry, as through the door.
    return { hit: () => this.record({ agent, syscall, decision: "allowed", by }) };
  }

  /** Counts kept by the caller took the interval's first call (AuditSink.enlist); only with aggregates. */
  readonly enlist?: (tally: AuditTally, counts: TallyCounts) => void;
  /** The caller no longer counts `tally` in `counts` (AuditSink.release). */
  readonly release?: (tally: AuditTally, counts: TallyCounts) => void;
  /** The agent that kept `tally` ended (AuditSink.retire). */
  readonly retire?: (tally: AuditTally) => void;

  /** Tallies the aggregates remember (live agents' and those an unwritten interval counts); 0 without aggregates. */
  get keptTallies(): number {
    return this.aggregator?.kept ?? 0;
  }

  record(entry: AuditRecord): void {
    try {
      this.log.append(syscallContent(entry));
    } catch (e) {
      this.failures++;
      this.logger.warn({ err: toAiosError(e).toJSON(), syscall: entry.syscall }, "audit record lost");
    }
  }

  /** Writes buffered entries (and the aggregates of the interval so far) now; returns how many were committed. */
  flush(): number {
    this.aggregator?.flush();
    return this.log.flush();
  }
}

/**
 * Transitions a restart makes for every durable agent it brings back (op "recover"): recorded
 * as one entry per bus flush listing each (agent, from, to, event seq), not one entry each, so that
 * bringing 10,000 agents back writes one entry, not 20,000. Nothing is left out: every transition is
 * in the list, in order, under the log's hash chain.
 */
const BATCHED_OP = "recover";

type Transition = readonly [agent: string, from: unknown, to: unknown, eventSeq: number];

/**
 * Records lifecycle events. Every other agent transition of severity "info" (spawn, start, an end)
 * that one delivery of the bus brings is packed with the rest of that delivery into one entry
 * (transitions.ts, ADR 0054): three hashed entries per short-lived agent were an eighth of a busy
 * kernel's CPU. Failures and every other lifecycle event stay entries of their own, in order.
 */
export class LifecycleRecorder {
  private readonly sub: Subscription;
  private reportedDrops = 0;
  private batch: Transition[] = [];
  /** Rows of the packed entry being gathered (transitionRow texts, in bus order). */
  private rows: string[] = [];
  private batchScheduled = false;
  private readonly flushLater = (): void => this.flushBatch();

  constructor(
    events: EventBus,
    private readonly log: AuditLog,
    types: readonly string[] = DEFAULT_LIFECYCLE_EVENTS,
    bufferSize = 100_000,
  ) {
    this.sub = events.subscribe(
      { types },
      (e) => {
        if (e.type === "agent.transition" && e.agent !== undefined && e.severity === "info") {
          const d = e.data;
          if (d.op === BATCHED_OP) {
            if (this.rows.length > 0) this.flushBatch();
            this.batch.push([e.agent, d.from, d.to, e.seq]);
          } else {
            if (this.batch.length > 0) this.flushBatch();
            this.rows.push(transitionRow(e.agent, d.op, d.from, d.to, e.seq, e.ts, d.reason));
          }
          if (!this.batchScheduled) {
            this.batchScheduled = true;
            queueMicrotask(this.flushLater);
          }
        } else {
          this.flushBatch();
          this.log.append(lifecycleContent(e));
        }
        // The bus drops the newest events when our buffer is full, so a gap is noted after a
        // delivered event; its position among neighbouring entries is approximate, its count exact.
        this.noteDrops();
      },
      { bufferSize },
    );
  }

  /** Appends the pending transitions as one entry (before anything recorded after them). */
  private flushBatch(): void {
    this.batchScheduled = false;
    if (this.rows.length > 0) {
      const rows = this.rows;
      this.rows = [];
      this.log.append(new PackedTransitions(rows));
    }
    if (this.batch.length === 0) return;
    const transitions = this.batch;
    this.batch = [];
    this.log.append({ kind: "lifecycle", agent: null, data: { event: "agent.transition", op: BATCHED_OP, count: transitions.length, transitions } });
  }

  get delivered(): number {
    return this.sub.delivered;
  }

  /** Records any events the bus dropped for us since the last note, as one gap entry. */
  noteDrops(): void {
    const d = this.sub.dropped - this.reportedDrops;
    if (d <= 0) return;
    this.reportedDrops += d;
    this.log.append({ kind: "audit", agent: null, data: { event: "gap", source: "events", dropped: d } });
  }

  stop(): void {
    this.flushBatch();
    this.noteDrops();
    this.sub.unsubscribe();
  }
}
