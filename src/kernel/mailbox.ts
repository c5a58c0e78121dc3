/**
 * A bounded mailbox. Letters beyond `capacity` are refused (onFull: "fail" -> E_MAILBOX_FULL) or
 * parked with their sender, who awaits room (onFull: "wait"): that is the backpressure of DESIGN's
 * agent step. Parked senders are admitted in FIFO order as the agent drains its mailbox. The ring
 * is allocated on the first letter, so an idle agent's mailbox costs one small object.
 */
import { Ring, type AgentId } from "../core/index.js";

/** One message in flight. `reply` is set for requests. */
export interface Letter {
  readonly payload: unknown;
  readonly from: AgentId | undefined;
  readonly seq: number;
  reply: ((err: Error | null, value?: unknown) => void) | undefined;
  /** Set on letters that were journaled (durable recipient). */
  id: string | undefined;
}

interface Parked {
  readonly letter: Letter;
  readonly admit: () => void;
  readonly refuse: (err: Error) => void;
}

export class Mailbox {
  private q: Ring<Letter> | null = null;
  private parked: Ring<Parked> | null = null;

  constructor(
    readonly capacity: number,
    readonly onFull: "wait" | "fail",
  ) {}

  get length(): number {
    return this.q === null ? 0 : this.q.length;
  }
  get waiting(): number {
    return this.parked === null ? 0 : this.parked.length;
  }

  /** True when the letter went in; false when the mailbox is full. */
  offer(letter: Letter): boolean {
    if (this.q === null) this.q = new Ring<Letter>(4);
    else if (this.q.length >= this.capacity) return false;
    this.q.push(letter);
    return true;
  }

  /** Puts a letter in the mailbox regardless of capacity (recovery, moves between agents). */
  force(letter: Letter): void {
    if (this.q === null) this.q = new Ring<Letter>(4);
    this.q.push(letter);
  }

  /** Parks a letter until there is room; the promise settles when it is admitted or refused. */
  park(letter: Letter): Promise<void> {
    if (this.parked === null) this.parked = new Ring<Parked>(4);
    const parked = this.parked;
    return new Promise<void>((admit, refuse) => {
      parked.push({ letter, admit, refuse });
    });
  }

  take(): Letter | undefined {
    if (this.q === null) return undefined;
    const l = this.q.shift();
    if (this.parked !== null && this.parked.length > 0 && this.q.length < this.capacity) {
      const p = this.parked.shift() as Parked;
      this.q.push(p.letter);
      p.admit();
    }
    return l;
  }

  /** Empties the mailbox and refuses every parked sender; returns what was queued and parked. */
  drainAll(reason: Error): Letter[] {
    const out = this.q === null ? [] : this.q.toArray();
    this.q = null;
    if (this.parked !== null) {
      for (const p of this.parked.toArray()) {
        out.push(p.letter);
        p.refuse(reason);
      }
      this.parked = null;
    }
    return out;
  }

  /** Takes every letter, queued then parked, admitting the parked senders: the letters move elsewhere. */
  moveAll(): Letter[] {
    const out = this.q === null ? [] : this.q.toArray();
    this.q = null;
    if (this.parked !== null) {
      for (const p of this.parked.toArray()) {
        out.push(p.letter);
        p.admit();
      }
      this.parked = null;
    }
    return out;
  }

  /** Queued letters in order (a copy), for status and durable moves. */
  peekAll(): Letter[] {
    return this.q === null ? [] : this.q.toArray();
  }
}
