/**
 * Senders parked on this node for an agent on another node (docs/adr/0069). When the rows waiting for
 * a recipient in cluster_mail are at their bound (ADR 0046), a letter that may wait (`onFull` other
 * than "fail", as a full mailbox on one node parks its sender) waits here instead of being refused:
 * in order per recipient, behind any letter already waiting for it, so a sender's letters are stored
 * in the order it sent them. One loop per recipient stores the first letter again after a backoff
 * (RETRY_FIRST_MS, doubling up to RETRY_MAX_MS) until PostgreSQL takes it — which is the sender's
 * acknowledgement — or a request's caller gave up (its timeout passed) or the node stops; then the
 * next. At most `limit` letters wait per recipient: the next is refused E_MAILBOX_FULL, as when too
 * many senders wait on one node's full mailbox.
 */
import { AiosError, isAiosError } from "../core/index.js";

/** The first retry of a parked letter, and the longest wait between two (PostgreSQL statements per recipient). */
export const RETRY_FIRST_MS = 10;
export const RETRY_MAX_MS = 250;

interface Parked {
  readonly store: () => Promise<void>;
  /** A request's deadline (its caller's timer answered by then); none for a plain send. */
  readonly until: number | undefined;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export interface ParkedMailOptions {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Letters that may wait here for one recipient. */
  readonly limit: number;
}

export class ParkedMail {
  private readonly queues = new Map<string, Parked[]>();
  private closed = false;

  constructor(private readonly o: ParkedMailOptions) {}

  /** Letters parked here now, for every recipient. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Whether letters for `to` wait here: a letter for it that may wait goes behind them. */
  waiting(to: string): boolean {
    return this.queues.has(to);
  }

  /**
   * Parks a letter for `to` until `store` succeeds (resolves then). Rejects with `store`'s error when
   * it fails otherwise than E_MAILBOX_FULL, E_TIMEOUT after `until`, E_UNAVAILABLE when the node stops.
   */
  park(to: string, store: () => Promise<void>, until?: number): Promise<void> {
    if (this.closed) return Promise.reject(stopping(to));
    const q = this.queues.get(to);
    if (q !== undefined && q.length >= this.o.limit) {
      return Promise.reject(
        new AiosError("E_MAILBOX_FULL", `the mailbox of ${to} is full and ${q.length} letters of this node already wait for room (limit ${this.o.limit})`, {
          retryable: true,
          details: { agent: to, parked: q.length, limit: this.o.limit },
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const p: Parked = { store, until, resolve, reject };
      if (q !== undefined) {
        q.push(p);
        return;
      }
      const fresh = [p];
      this.queues.set(to, fresh);
      void this.drain(to, fresh);
    });
  }

  /** Refuses every parked letter (E_UNAVAILABLE): the node stops. */
  close(): void {
    this.closed = true;
    for (const [to, q] of this.queues) for (const p of q.splice(0)) p.reject(stopping(to));
    this.queues.clear();
  }

  private async drain(to: string, q: Parked[]): Promise<void> {
    let delay = RETRY_FIRST_MS;
    // The first letter was just refused: room comes once the owner moved some rows.
    await this.o.sleep(delay);
    while (q.length > 0) {
      const head = q[0] as Parked;
      if (head.until !== undefined && this.o.now() >= head.until) {
        q.shift();
        head.reject(new AiosError("E_TIMEOUT", `a request to ${to} waited for room in its mailbox until its timeout`, { details: { agent: to } }));
        continue;
      }
      try {
        await head.store();
        q.shift();
        head.resolve();
        delay = RETRY_FIRST_MS;
        continue;
      } catch (e) {
        if (!isAiosError(e, "E_MAILBOX_FULL")) {
          q.shift();
          head.reject(e);
          continue;
        }
      }
      await this.o.sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
    // Synchronously after the last shift: a letter parked from now on starts a new loop.
    if (this.queues.get(to) === q) this.queues.delete(to);
  }
}

function stopping(to: string): AiosError {
  return new AiosError("E_UNAVAILABLE", `a letter for ${to} waited for room in its mailbox and this node stopped`, { retryable: true, details: { agent: to } });
}
