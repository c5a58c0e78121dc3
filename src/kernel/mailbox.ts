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
  // The queue is an inline power-of-two ring (not a Ring object): one less pointer to chase per message.
  private buf: (Letter | undefined)[] = new Array<Letter | undefined>(4);
  private head = 0;
  private n = 0;
  private parked: Ring<Parked> | null = null;

  constructor(
    readonly capacity: number,
    readonly onFull: "wait" | "fail",
  ) {}

  get length(): number {
    return this.n;
  }
  get waiting(): number {
    return this.parked === null ? 0 : this.parked.length;
  }

  /** True when the letter went in; false when the mailbox is full. */
  offer(letter: Letter): boolean {
    if (this.n >= this.capacity) return false;
    this.push(letter);
    return true;
  }

  /** Puts a letter in the mailbox regardless of capacity (recovery, moves between agents). */
  force(letter: Letter): void {
    this.push(letter);
  }

  private push(letter: Letter): void {
    const buf = this.buf;
    if (this.n === buf.length) {
      const next = new Array<Letter | undefined>(buf.length * 2);
      for (let i = 0; i < this.n; i++) next[i] = buf[(this.head + i) & (buf.length - 1)];
      this.buf = next;
      this.head = 0;
      next[this.n++] = letter;
      return;
    }
    buf[(this.head + this.n) & (buf.length - 1)] = letter;
    this.n++;
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
    if (this.n === 0) return undefined;
    const buf = this.buf;
    const l = buf[this.head];
    buf[this.head] = undefined;
    this.head = (this.head + 1) & (buf.length - 1);
    this.n--;
    if (this.parked !== null && this.parked.length > 0 && this.n < this.capacity) {
      const p = this.parked.shift() as Parked;
      this.push(p.letter);
      p.admit();
    }
    return l;
  }

  /** Queued letters in order (a copy), for status and durable moves. */
  peekAll(): Letter[] {
    const out: Letter[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.buf[(this.head + i) & (this.buf.length - 1)] as Letter);
    return out;
  }

  private clear(): Letter[] {
    const out = this.peekAll();
    this.buf = new Array<Letter | undefined>(4);
    this.head = 0;
    this.n = 0;
    return out;
  }

  /** Empties the mailbox and refuses every parked sender; returns what was queued and parked. */
  drainAll(reason: Error): Letter[] {
    const out = this.clear();
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
    const out = this.clear();
    if (this.parked !== null) {
      for (const p of this.parked.toArray()) {
        out.push(p.letter);
        p.admit();
      }
      this.parked = null;
    }
    return out;
  }
}
