/**
 * Senders parked on this node for an agent on another node (docs/adr/0069). When the rows waiting for
 * a recipient in cluster_mail are at their bound (ADR 0046), a letter that may wait (`onFull` other
 * than "fail", as a full mailbox on one node parks its sender) waits here instead of being refused:
 * in order per recipient, behind any letter already waiting for it, so a sender's letters are stored
 * in the order it sent them. Letters sent while none waits try PostgreSQL at once, side by side; one
 * of them refused parks at its place in send order, and the loop tries no parked letter while a letter
 * sent before it is still on its first try (refused, it parks in front). One loop per recipient
 * stores the first letter again after a backoff (RETRY_FIRST_MS, doubling up to RETRY_MAX_MS) until
 * PostgreSQL takes it — which is the sender's acknowledgement — or a request's caller gave up (its
 * timeout passed) or the node stops; then the next. At most `limit` letters wait per recipient: the
 * next is refused E_MAILBOX_FULL, as when too many senders wait on one node's full mailbox.
 */
import { AiosError, isAiosError } from "../core/index.js";

/** The first retry of a parked letter, and the longest wait between two (PostgreSQL statements per recipient). */
export const RETRY_FIRST_MS = 10;
export const RETRY_MAX_MS = 250;

interface Parked {
  /** Its place in send order on this node. */
  readonly seq: number;
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

/** A letter on its first try, not parked (yet): `settled` resolves once it was stored, parked or failed. */
interface Flight {
  readonly seq: number;
  readonly settled: Promise<void>;
}

export class ParkedMail {
  private readonly queues = new Map<string, Parked[]>();
  /** Letters on their first try, by recipient, in send order. */
  private readonly flights = new Map<string, Flight[]>();
  private seq = 0;
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
   * Stores a letter for `to`: behind the letters waiting for it when it `mayWait` and some do, else at
   * once; refused E_MAILBOX_FULL and `mayWait`, parked at its place in send order (see park).
   */
  async send(to: string, store: () => Promise<void>, mayWait: boolean, until?: number): Promise<void> {
    const seq = ++this.seq;
    if (mayWait && this.queues.has(to)) return this.park(to, store, until, seq);
    let settle!: () => void;
    const flight: Flight = { seq, settled: new Promise<void>((r) => (settle = r)) };
    const flying = this.flights.get(to);
    if (flying === undefined) this.flights.set(to, [flight]);
    else flying.push(flight);
    let refused: unknown;
    try {
      await store();
    } catch (e) {
      refused = e;
    }
    // Parked (synchronously) before its first try counts as over: the loop always sees one of them.
    const parked = refused !== undefined && mayWait && isAiosError(refused, "E_MAILBOX_FULL") ? this.park(to, store, until, seq) : undefined;
    this.land(to, flight);
    settle();
    if (parked !== undefined) return parked;
    if (refused !== undefined) throw refused;
  }

  /**
   * Parks a letter for `to` until `store` succeeds (resolves then), at its place in send order (`seq`;
   * by default after every letter so far). Rejects with `store`'s error when it fails otherwise than
   * E_MAILBOX_FULL, E_TIMEOUT after `until`, E_UNAVAILABLE when the node stops.
   */
  park(to: string, store: () => Promise<void>, until?: number, seq = ++this.seq): Promise<void> {
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
      const p: Parked = { seq, store, until, resolve, reject };
      if (q !== undefined) {
        // Sent before letters already parked (refused later than they were): goes in front of them.
        let i = q.length;
        while (i > 0 && (q[i - 1] as Parked).seq > seq) i--;
        q.splice(i, 0, p);
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
      // A letter sent before the first parked one is still on its first try: it is stored first, or
      // parks in front (then that one is the first).
      const earlier = this.flights.get(to)?.filter((f) => f.seq < head.seq);
      if (earlier !== undefined && earlier.length > 0) {
        await Promise.all(earlier.map((f) => f.settled));
        continue;
      }
      if (head.until !== undefined && this.o.now() >= head.until) {
        drop(q, head);
        head.reject(new AiosError("E_TIMEOUT", `a request to ${to} waited for room in its mailbox until its timeout`, { details: { agent: to } }));
        continue;
      }
      try {
        await head.store();
        drop(q, head);
        head.resolve();
        delay = RETRY_FIRST_MS;
        continue;
      } catch (e) {
        if (!isAiosError(e, "E_MAILBOX_FULL")) {
          drop(q, head);
          head.reject(e);
          continue;
        }
      }
      await this.o.sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
    // Synchronously after the last letter left: a letter parked from now on starts a new loop.
    if (this.queues.get(to) === q) this.queues.delete(to);
  }

  private land(to: string, flight: Flight): void {
    const flying = this.flights.get(to);
    if (flying === undefined) return;
    const i = flying.indexOf(flight);
    if (i >= 0) flying.splice(i, 1);
    if (flying.length === 0) this.flights.delete(to);
  }
}

/** Takes `p` out of its queue (by identity: a letter sent earlier may have parked in front meanwhile). */
function drop(q: Parked[], p: Parked): void {
  const i = q.indexOf(p);
  if (i >= 0) q.splice(i, 1);
}

function stopping(to: string): AiosError {
  return new AiosError("E_UNAVAILABLE", `a letter for ${to} waited for room in its mailbox and this node stopped`, { retryable: true, details: { agent: to } });
}
