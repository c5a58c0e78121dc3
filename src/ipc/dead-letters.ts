/**
 * The dead-letter queue: messages that could not be delivered, each with why. Bounded (oldest
 * entries fall out first, counted in `dropped`), listable by reason, and replayable: replay hands the
 * original envelope back to the sender path and removes the entry only when that succeeds, so a
 * replay that fails again keeps the letter with its new reason.
 */
import { AiosError, type Clock } from "../core/index.js";
import type { Envelope } from "./envelope.js";

export const DEAD_LETTER_REASONS = ["unknown_agent", "agent_ended", "schema", "bad_signature", "unsigned", "mailbox_full", "no_route", "too_large"] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DeadLetter {
  readonly id: string;
  readonly envelope: Envelope;
  /** The intended recipient when known (the address, or the subscriber for topic fan-out). */
  readonly recipient?: string;
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly at: number;
  readonly attempts: number;
}

export class DeadLetterQueue {
  private readonly entries = new Map<string, DeadLetter>();
  private n = 0;
  dropped = 0;

  constructor(
    private readonly clock: Clock,
    readonly capacity = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(envelope: Envelope, reason: DeadLetterReason, detail: string, recipient?: string, attempts = 1): DeadLetter {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
      this.dropped++;
    }
    const dl: DeadLetter = { id: `dl_${(++this.n).toString(36)}`, envelope, reason, detail, at: this.clock.now(), attempts, ...(recipient === undefined ? {} : { recipient }) };
    this.entries.set(dl.id, dl);
    return dl;
  }

  list(filter: { reason?: DeadLetterReason; recipient?: string; limit?: number } = {}): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const e of this.entries.values()) {
      if (filter.reason !== undefined && e.reason !== filter.reason) continue;
      if (filter.recipient !== undefined && e.recipient !== filter.recipient) continue;
      out.push(e);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  get(id: string): DeadLetter {
    const e = this.entries.get(id);
    if (e === undefined) throw new AiosError("E_NOT_FOUND", `no dead letter ${id}`, { details: { path: "id" } });
    return e;
  }

  /** Re-sends the letter with `send`; on success it leaves the queue, on failure it stays (attempts+1). */
  async replay(id: string, send: (e: DeadLetter) => Promise<void>): Promise<void> {
    const e = this.get(id);
    this.entries.delete(id);
    try {
      await send(e);
    } catch (err) {
      // The send path dead-lettered it again under a new id when the cause was a delivery failure;
      // if it did not (e.g. a capability denial), keep the original so nothing is lost.
      if (!this.list({}).some((x) => x.envelope.id === e.envelope.id)) this.entries.set(id, { ...e, attempts: e.attempts + 1 });
      throw err;
    }
  }

  remove(id: string): boolean {
    return this.entries.delete(id);
  }
}
