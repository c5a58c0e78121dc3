/**
 * A bounded mailbox. Letters beyond `capacity` are refused (onFull: "fail" -> E_MAILBOX_FULL) or
 * parked with their sender, who awaits room (onFull: "wait"): that is the backpressure of DESIGN's
 * agent step. Parked senders are admitted in FIFO order as the agent drains its mailbox. Two
 * messages wait inside the object; a ring is allocated only when a third waits beside them, so an
 * idle agent's mailbox is a few fields of its Proc.
 */
import { Ring, type AgentId } from "../core/index.js";

/** A message with more than a payload and a sender: a request (reply), or a journaled one (id). */
export interface Letter {
  readonly payload: unknown;
  readonly from: AgentId | undefined;
  readonly seq: number;
  reply: ((err: Error | null, value?: unknown) => void) | undefined;
  /** Set on letters that were journaled (durable recipient). */
  id: string | undefined;
  /** An envelope ipc/ admitted (host.deliver with its key), not a plain letter (ctx.enveloped). */
  readonly enveloped?: true;
  /** The sender's W3C traceparent (only while tracing is on): the recipient's handling span is its child. */
  readonly trace?: string;
  /**
   * Set when the recipient's checkpoint after this letter could not be journaled (run-loop.ts): a
   * reply given to it and still waiting for the journal is replaced by this error.
   */
  withheld?: Error;
}

/**
 * What rides beside a payload in the mailbox: a Letter, or for a plain send just the sender's id
 * (undefined from outside the kernel). Plain sends, the hot path, allocate nothing of their own.
 */
export type Meta = Letter | AgentId | undefined;

/** A letter for the mailbox; `trace` and `enveloped` only where set, so most letters share one shape. */
export function newLetter(payload: unknown, from: AgentId | undefined, seq: number, reply: Letter["reply"], trace: string | undefined, enveloped: boolean): Letter {
  if (enveloped) return trace === undefined ? { payload, from, seq, reply, id: undefined, enveloped } : { payload, from, seq, reply, id: undefined, enveloped, trace };
  return trace === undefined ? { payload, from, seq, reply, id: undefined } : { payload, from, seq, reply, id: undefined, trace };
}

export function isLetter(m: Meta): m is Letter {
  return typeof m === "object";
}

export function senderOf(m: Meta): AgentId | undefined {
  return typeof m === "object" ? m.from : m;
}

/**
 * Where take() puts the message it took, for its caller to read at once and clear: one slot for the
 * whole kernel (takes are synchronous), not two fields in every process, idle ones included.
 */
export const taken: { payload: unknown; meta: Meta } = { payload: undefined, meta: undefined };

interface Parked {
  readonly letter: Letter;
  readonly admit: () => void;
  readonly refuse: (err: Error) => void;
}

export abstract class Mailbox {
  // Up to two messages wait inside the object itself (x0/y0 the oldest payload and meta, x1/y1 the
  // next): with 10,000 agents messaging at random most mailboxes hold one or two, and the ring
  // (a JSArray and its backing store, two more cold cache lines per delivery and per take) stays
  // untouched. A third message spills them into the ring, a power-of-two ring of (payload, meta)
  // pairs (slot 2i a payload, 2i+1 its meta), which holds every waiting message until it is empty
  // again; it is allocated on the first spill and kept. No Letter object per plain message; Proc
  // extends Mailbox, so delivery chases no pointer to a mailbox object. Fields are declared (not
  // constructor parameter properties, which come first in memory) in the order delivery and take
  // read them. What to do when full is read only then, from the owner (Proc: its spec), not kept here.
  private n = 0;
  private x0: unknown = undefined;
  private y0: Meta = undefined;
  private x1: unknown = undefined;
  private y1: Meta = undefined;
  /** The ring's slot of the oldest message; -1 while the waiting messages are in x0..y1, not the ring. */
  private head = -1;
  private buf: unknown[] | null = null;
  readonly capacity: number;
  private parked: Ring<Parked> | null = null;
  /** A full mailbox refuses a letter ("fail", E_MAILBOX_FULL) or parks its sender ("wait"). */
  abstract readonly onFull: "wait" | "fail";

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.n;
  }
  get waiting(): number {
    return this.parked === null ? 0 : this.parked.length;
  }

  /** True when the message went in; false when the mailbox is full. */
  offer(payload: unknown, meta: Meta): boolean {
    if (this.n >= this.capacity) return false;
    this.push(payload, meta);
    return true;
  }

  /** Puts a letter in the mailbox regardless of capacity (recovery, moves between agents). */
  force(letter: Letter): void {
    this.push(letter.payload, letter);
  }

  private push(payload: unknown, meta: Meta): void {
    if (this.head < 0) {
      if (this.n === 0) {
        this.x0 = payload;
        this.y0 = meta;
        this.n = 1;
        return;
      }
      if (this.n === 1) {
        this.x1 = payload;
        this.y1 = meta;
        this.n = 2;
        return;
      }
      this.spill();
    }
    let buf = this.buf as unknown[];
    const slots = buf.length >> 1;
    if (this.n === slots) {
      const next = new Array<unknown>(buf.length * 2);
      for (let i = 0; i < this.n; i++) {
        const at = ((this.head + i) & (slots - 1)) << 1;
        next[i << 1] = buf[at];
        next[(i << 1) + 1] = buf[at + 1];
      }
      this.buf = buf = next;
      this.head = 0;
    }
    const at = ((this.head + this.n) & ((buf.length >> 1) - 1)) << 1;
    buf[at] = payload;
    buf[at + 1] = meta;
    this.n++;
  }

  /** The two messages inside the object move into the (empty) ring, oldest first. */
  private spill(): void {
    const buf = this.buf ?? (this.buf = new Array<unknown>(8));
    buf[0] = this.x0;
    buf[1] = this.y0;
    buf[2] = this.x1;
    buf[3] = this.y1;
    this.x0 = this.x1 = this.y0 = this.y1 = undefined;
    this.head = 0;
  }

  /** Parks a letter until there is room; the promise settles when it is admitted or refused. */
  park(letter: Letter): Promise<void> {
    if (this.parked === null) this.parked = new Ring<Parked>(4);
    const parked = this.parked;
    return new Promise<void>((admit, refuse) => {
      parked.push({ letter, admit, refuse });
    });
  }

  /** Takes the oldest message into `taken`; false when empty. */
  take(): boolean {
    if (this.n === 0) return false;
    if (this.head < 0) {
      taken.payload = this.x0;
      taken.meta = this.y0;
      this.x0 = this.x1;
      this.y0 = this.y1;
      this.x1 = undefined;
      this.y1 = undefined;
      this.n--;
    } else {
      const buf = this.buf as unknown[];
      const at = this.head << 1;
      taken.payload = buf[at];
      taken.meta = buf[at + 1] as Meta;
      buf[at] = undefined;
      buf[at + 1] = undefined;
      // Empty again: the next messages wait inside the object.
      this.head = --this.n === 0 ? -1 : (this.head + 1) & ((buf.length >> 1) - 1);
    }
    if (this.parked !== null && this.parked.length > 0 && this.n < this.capacity) {
      const p = this.parked.shift() as Parked;
      this.push(p.letter.payload, p.letter);
      p.admit();
    }
    return true;
  }

  /** Queued messages in order, as letters (a copy), for status and moves. */
  peekAll(): Letter[] {
    const out: Letter[] = [];
    const add = (payload: unknown, meta: Meta): void => {
      out.push(isLetter(meta) ? meta : { payload, from: meta, seq: 0, reply: undefined, id: undefined });
    };
    if (this.head < 0) {
      if (this.n > 0) add(this.x0, this.y0);
      if (this.n > 1) add(this.x1, this.y1);
      return out;
    }
    const buf = this.buf as unknown[];
    const slots = buf.length >> 1;
    for (let i = 0; i < this.n; i++) {
      const at = ((this.head + i) & (slots - 1)) << 1;
      add(buf[at], buf[at + 1] as Meta);
    }
    return out;
  }

  private clear(): Letter[] {
    const out = this.peekAll();
    this.buf = null;
    this.head = -1;
    this.n = 0;
    this.x0 = this.x1 = this.y0 = this.y1 = undefined;
    return out;
  }

  /**
   * Empties the mailbox and refuses every parked sender — except those whose letter `accepted` says
   * is already safe elsewhere (journaled at a shutdown), who are admitted. Returns what was queued and parked.
   */
  drainAll(reason: Error, accepted?: (l: Letter) => boolean): Letter[] {
    const out = this.clear();
    if (this.parked !== null) {
      for (const p of this.parked.toArray()) {
        out.push(p.letter);
        if (accepted?.(p.letter) === true) p.admit();
        else p.refuse(reason);
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
