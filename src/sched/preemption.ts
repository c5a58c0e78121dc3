/**
 * Preemption at token boundaries. A pool cannot stop a running request by force (it is a provider
 * call in flight); it asks. The provider's decode loop checks `token.requested` after each token
 * (one property read), and when set: snapshots its sequence, calls `lease.yield()` (which gives the
 * slot to the waiter that asked and re-queues this request with its original arrival time) and,
 * when that resolves, restores and continues. A provider that never checks is simply not preempted.
 *
 *   for await (const tok of generate()) {
 *     emit(tok);
 *     if (lease.preemption.requested) { const snap = save(); await lease.yield(); restore(snap); }
 *   }
 */

export interface PreemptionToken {
  /** True when a higher-ranked request waits for this slot. */
  readonly requested: boolean;
  /** The request id that asked, when requested. */
  readonly by: string | undefined;
  /** Calls `fn` when preemption is requested (push style, for providers that prefer it). */
  onRequested(fn: (by: string) => void): () => void;
}

export class PreemptionFlag implements PreemptionToken {
  private asker: string | undefined;
  /** Made at the first onRequested: a lease per slot grant, and most holders never listen. */
  private listeners: ((by: string) => void)[] | null = null;

  get requested(): boolean {
    return this.asker !== undefined;
  }
  get by(): string | undefined {
    return this.asker;
  }

  onRequested(fn: (by: string) => void): () => void {
    (this.listeners ??= []).push(fn);
    return () => {
      this.listeners = this.listeners?.filter((l) => l !== fn) ?? null;
    };
  }

  /** @internal the pool asks on behalf of waiter `by`. */
  request(by: string): void {
    if (this.asker !== undefined) return;
    this.asker = by;
    for (const l of this.listeners ?? []) {
      try {
        l(by);
      } catch {
        // a provider's listener failing must not break the pool's decision; the flag stays set
      }
    }
  }

  /** @internal cleared when the request is granted again. */
  reset(): void {
    this.asker = undefined;
  }
}
