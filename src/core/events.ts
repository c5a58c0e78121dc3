/**
 * The kernel event bus (DESIGN invariant 4). Every lifecycle change, syscall, decision and error is a
 * typed event. Subscribers filter by type (exact or `prefix.*`), agent and minimum severity; each has
 * a bounded buffer drained asynchronously, so a slow subscriber only loses its own events (counted in
 * `dropped`) and never blocks the kernel. Emitting with no interested subscriber costs one map
 * look-up: callers ask `wants(type)` before building an event on hot paths. A tap (`tap`) is told
 * an event's type, data and agent synchronously, inside `emit`, with no event object, buffer or
 * drain: for in-process counters that take a few increments per event (observe/'s metrics); when
 * only taps want a type, no event object is built at all.
 *
 * Modules add their own event types by augmenting EventDataMap:
 *   declare module "../core/index.js" { interface EventDataMap { "model.token": { text: string } } }
 */
import type { AgentId } from "./ids.js";
import type { SerializedError } from "./errors.js";

export type Severity = "debug" | "info" | "warn" | "error" | "critical";
const SEVERITY_RANK: Record<Severity, number> = { debug: 0, info: 1, warn: 2, error: 3, critical: 4 };

export type AgentStatus = "pending" | "running" | "paused" | "completed" | "failed" | "killed";

 
export interface EventDataMap {
  "agent.spawned": { name: string; kind: string; parent?: AgentId; ephemeral: boolean; version: string };
  "agent.transition": { op: string; from: AgentStatus | "none"; to: AgentStatus; reason?: string };
  "agent.crashed": { error: SerializedError };
  /** A new incarnation under the same id: by its supervisor after an exit, or by the operator (then `reason`; `supervisor` when supervised). */
  "agent.restarted": { supervisor?: AgentId; attempt: number; newId: AgentId; by?: "supervisor" | "operator" | "takeover"; reason?: string; node?: string; previous?: AgentId };
  "agent.upgraded": { fromVersion: string; toVersion: string };
  "agent.hog": { elapsedMs: number; thresholdMs: number };
  "agent.op.vetoed": { op: string; reason: string };
  "mailbox.full": { to: AgentId; capacity: number };
  /** A plain letter refused by a recipient that takes signed envelopes only (docs/adr/0083). */
  "mailbox.refused": { to: AgentId; reason: string };
  "supervisor.escalated": { strategy: string; restarts: number; periodMs: number; reason: string };
  "supervisor.gave_up": { approvalId: string; reason: string };
  "syscall.completed": { name: string; ok: boolean; durationUs: number; handle?: string; error?: SerializedError };
  "syscall.denied": { name: string; reason: string; code: string };
  /** Calls of one agent allowed on a fast path in one interval, counted instead of one event each. */
  "syscall.batch": { name: string; count: number };
  /** A side effect was in flight at a crash and was not retried: a person should check it. */
  "syscall.effect_unknown": { name: string; callSeq: number };
  /** `phases`: boot's steps with their wall and CPU milliseconds (kernel/boot-phases.ts). */
  "kernel.booted": { durable: boolean; dataDir?: string; phases?: readonly { readonly name: string; readonly wallMs: number; readonly cpuMs: number }[] };
  "kernel.shutdown": { reason: string };
  /** `restored`: agents back in the table; `dormant`: of those, still to be restored on first use. */
  "kernel.recovered": { restored: number; dormant: number; failed: number; messages: number };
  "kernel.error": { error: SerializedError; where: string };
}

export type EventType = keyof EventDataMap;

export interface KernelEvent<T extends EventType = EventType> {
  readonly seq: number;
  readonly ts: number;
  readonly type: T;
  readonly severity: Severity;
  /** The agent the event is about; undefined for kernel-wide events. */
  readonly agent: AgentId | undefined;
  readonly data: EventDataMap[T];
}

/** One fixed shape for every event, so emitting stays monomorphic and allocation-light. */
class Ev {
  constructor(
    readonly seq: number,
    readonly ts: number,
    readonly type: string,
    readonly severity: Severity,
    readonly agent: AgentId | undefined,
    readonly data: unknown,
  ) {}
}

export type AnyKernelEvent = { [K in EventType]: KernelEvent<K> }[EventType];

export interface EventFilter {
  /** Exact types or `prefix.*` patterns; all types when absent. */
  readonly types?: readonly string[];
  readonly agent?: AgentId;
  readonly minSeverity?: Severity;
}

export interface SubscribeOptions {
  /** Events buffered for this subscriber before new ones are dropped (default 10,000). */
  readonly bufferSize?: number;
}

export interface Subscription {
  readonly dropped: number;
  readonly delivered: number;
  unsubscribe(): void;
}

type Listener = (e: AnyKernelEvent) => void | Promise<void>;

/** A tap's listener: an event's type, data and agent, told synchronously (see EventBus.tap). */
export type TapListener = <T extends EventType>(type: T, data: EventDataMap[T], agent: AgentId | undefined) => void;

/** Exact types and `prefix.*` patterns; null: every type. */
class TypeMatcher {
  private readonly exact: Set<string> | null;
  private readonly prefixes: string[];
  constructor(types: readonly string[]) {
    this.exact = types.length === 0 ? null : new Set(types.filter((t) => !t.endsWith("*")));
    this.prefixes = types.filter((t) => t.endsWith("*")).map((t) => t.slice(0, -1));
  }
  matches(type: string): boolean {
    if (this.exact === null) return true;
    if (this.exact.has(type)) return true;
    for (const p of this.prefixes) if (type.startsWith(p)) return true;
    return false;
  }
}

class Tap implements Subscription {
  readonly dropped = 0;
  delivered = 0;
  constructor(
    private readonly bus: EventBus,
    readonly types: TypeMatcher,
    readonly fn: TapListener,
  ) {}
  unsubscribe(): void {
    this.bus.removeTap(this);
  }
}

class Subscriber implements Subscription {
  dropped = 0;
  delivered = 0;
  /** Buffered events from `head` on; slots already delivered are cleared, and the array is reused. */
  private readonly buf: (AnyKernelEvent | undefined)[] = [];
  private head = 0;
  private flushing = false;
  private closed = false;
  private readonly types: TypeMatcher;
  private readonly minRank: number;

  constructor(
    private readonly bus: EventBus,
    private readonly filter: EventFilter,
    private readonly fn: Listener,
    private readonly capacity: number,
  ) {
    this.types = new TypeMatcher(filter.types ?? []);
    this.minRank = SEVERITY_RANK[filter.minSeverity ?? "debug"];
  }

  matchesType(type: string): boolean {
    return this.types.matches(type);
  }

  offer(e: AnyKernelEvent): void {
    if (this.closed) return;
    if (SEVERITY_RANK[e.severity] < this.minRank) return;
    if (this.filter.agent !== undefined && e.agent !== this.filter.agent) return;
    if (!this.matchesType(e.type)) return;
    if (this.buf.length - this.head >= this.capacity) {
      this.dropped++;
      return;
    }
    this.buf.push(e);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Delivers the buffered events in order, synchronously while the listener returns no promise; a
   * promise is waited for (`resume`) before the next event. Made once per subscriber, with its
   * continuations: a drain allocates no closure and no promise of its own.
   */
  private readonly flush = (): void => {
    const buf = this.buf;
    while (this.head < buf.length && !this.closed) {
      const e = buf[this.head] as AnyKernelEvent;
      buf[this.head++] = undefined;
      let r: void | Promise<void> = undefined;
      try {
        r = this.fn(e);
      } catch (err) {
        this.bus.reportListenerError(err);
      }
      if (r instanceof Promise) {
        r.then(this.resume, this.resumeFailed);
        return;
      }
      this.delivered++;
    }
    buf.length = 0;
    this.head = 0;
    this.flushing = false;
  };

  private readonly resume = (): void => {
    this.delivered++;
    this.flush();
  };

  private readonly resumeFailed = (err: unknown): void => {
    this.bus.reportListenerError(err);
    this.resume();
  };

  unsubscribe(): void {
    this.closed = true;
    this.bus.remove(this);
  }
}

/** Who wants a type (EventBus.wantCache): a subscriber (SUBSCRIBER), a tap (TAPPED), both or none (0). */
const SUBSCRIBER = 1;
const TAPPED = 2;

export class EventBus {
  private subs: Subscriber[] = [];
  private taps: Tap[] = [];
  private readonly wantCache = new Map<string, number>();
  private seq = 0;
  private listenerErrors = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** True when some subscriber or tap could receive events of this type. */
  wants(type: EventType): boolean {
    return this.subs.length + this.taps.length !== 0 && this.wanted(type) !== 0;
  }

  private wanted(type: string): number {
    const w = this.wantCache.get(type);
    return w === undefined ? this.firstWanted(type) : w;
  }

  /**
   * A type not asked about since the last (un)subscribe. Apart from wanted(): a closure over `type`
   * there would make every call allocate a context for it, hit or miss (wants() runs several times
   * per syscall).
   */
  private firstWanted(type: string): number {
    const w = (this.subs.some((s) => s.matchesType(type)) ? SUBSCRIBER : 0) | (this.taps.some((t) => t.types.matches(type)) ? TAPPED : 0);
    this.wantCache.set(type, w);
    return w;
  }

  emit<T extends EventType>(type: T, data: EventDataMap[T], agent?: AgentId, severity: Severity = "info"): void {
    if (this.subs.length + this.taps.length === 0) return;
    const w = this.wanted(type);
    if ((w & TAPPED) !== 0) {
      const taps = this.taps;
      for (let i = 0; i < taps.length; i++) {
        const t = taps[i] as Tap;
        if (!t.types.matches(type)) continue;
        try {
          t.fn(type, data, agent);
          t.delivered++;
        } catch (err) {
          this.reportListenerError(err);
        }
      }
    }
    if ((w & SUBSCRIBER) === 0) return;
    const e = new Ev(++this.seq, this.now(), type, severity, agent, data) as AnyKernelEvent;
    const subs = this.subs;
    for (let i = 0; i < subs.length; i++) (subs[i] as Subscriber).offer(e);
  }

  subscribe(filter: EventFilter, fn: Listener, options: SubscribeOptions = {}): Subscription {
    const s = new Subscriber(this, filter, fn, options.bufferSize ?? 10_000);
    this.subs = [...this.subs, s];
    this.wantCache.clear();
    return s;
  }

  /**
   * Tells `fn` each event of `types` (exact or `prefix.*`; all when empty) synchronously, inside
   * `emit`: no event object, buffer or drain, nothing dropped. `fn` runs on the emitter's stack, so
   * it must be quick and must not emit or wait (an exception is counted in `errors`, never thrown to
   * the emitter). For in-process counters; anything else subscribes.
   */
  tap(types: readonly string[], fn: TapListener): Subscription {
    const t = new Tap(this, new TypeMatcher(types), fn);
    this.taps = [...this.taps, t];
    this.wantCache.clear();
    return t;
  }

  /** @internal */
  removeTap(t: Tap): void {
    this.taps = this.taps.filter((x) => x !== t);
    this.wantCache.clear();
  }

  /** Resolves with the next event matching the filter and predicate. */
  once<T extends EventType>(type: T, predicate: (e: KernelEvent<T>) => boolean = () => true): Promise<KernelEvent<T>> {
    return new Promise((resolve) => {
      const sub = this.subscribe({ types: [type] }, (e) => {
        const ev = e as KernelEvent<T>;
        if (predicate(ev)) {
          sub.unsubscribe();
          resolve(ev);
        }
      });
    });
  }

  /** @internal */
  remove(s: Subscriber): void {
    this.subs = this.subs.filter((x) => x !== s);
    this.wantCache.clear();
  }

  /** @internal */
  reportListenerError(_err: unknown): void {
    this.listenerErrors++;
  }

  get errors(): number {
    return this.listenerErrors;
  }
  get subscriberCount(): number {
    return this.subs.length + this.taps.length;
  }
}
