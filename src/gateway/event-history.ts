/**
 * A bounded in-memory history of the kernel's lifecycle-level events, so `aios logs <id>` can show
 * what already happened and `logs -f` can start with it. It listens only to the low-volume types
 * (lifecycle, supervision, denials, approvals, kernel, security, store): subscribing to everything
 * would make the bus build a `syscall.completed` event on every syscall. `follow` subscribes to the
 * live bus with the caller's own filter and de-duplicates against the history by the bus sequence.
 */
import type { AnyKernelEvent, EventBus, EventFilter, Subscription } from "../core/index.js";
import type { EventsFilter } from "./api.js";

export const HISTORY_TYPES = ["agent.*", "supervisor.*", "syscall.denied", "approval.*", "kernel.*", "security.*", "store.*", "mailbox.*", "memory.quota*"];

const RANK = { debug: 0, info: 1, warn: 2, error: 3, critical: 4 } as const;

export function matchesFilter(e: AnyKernelEvent, f: EventFilter): boolean {
  if (f.agent !== undefined && e.agent !== f.agent) return false;
  if (f.minSeverity !== undefined && RANK[e.severity] < RANK[f.minSeverity]) return false;
  if (f.types === undefined || f.types.length === 0) return true;
  return f.types.some((t) => (t.endsWith("*") ? e.type.startsWith(t.slice(0, -1)) : e.type === t));
}

export class EventHistory {
  private readonly buf: AnyKernelEvent[] = [];
  private readonly sub: Subscription;

  constructor(
    private readonly bus: EventBus,
    private readonly capacity = 5_000,
  ) {
    this.sub = bus.subscribe({ types: HISTORY_TYPES }, (e) => {
      this.buf.push(e);
      if (this.buf.length > this.capacity) this.buf.splice(0, this.buf.length - this.capacity);
    });
  }

  /** The last `limit` (default 200) remembered events matching the filter, oldest first. */
  recent(f: EventsFilter = {}): AnyKernelEvent[] {
    const hits = this.buf.filter((e) => matchesFilter(e, f));
    return hits.slice(Math.max(0, hits.length - (f.limit ?? 200)));
  }

  /** Recent events, then live ones, each once and in order, until `signal` aborts. */
  follow(f: EventsFilter, onEvent: (e: AnyKernelEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let last = 0;
      const pending: AnyKernelEvent[] = [];
      let replaying = true;
      const deliver = (e: AnyKernelEvent): void => {
        if (e.seq <= last) return;
        last = e.seq;
        onEvent(e);
      };
      // Live first, so nothing falls between the replay and the subscription.
      const live = this.bus.subscribe({ ...(f.types ? { types: f.types } : {}), ...(f.agent ? { agent: f.agent } : {}), ...(f.minSeverity ? { minSeverity: f.minSeverity } : {}) }, (e) => {
        if (replaying) pending.push(e);
        else deliver(e);
      });
      for (const e of this.recent(f)) deliver(e);
      replaying = false;
      for (const e of pending.sort((a, b) => a.seq - b.seq)) deliver(e);
      const end = (): void => {
        live.unsubscribe();
        resolve();
      };
      if (signal.aborted) end();
      else signal.addEventListener("abort", end, { once: true });
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }
}
