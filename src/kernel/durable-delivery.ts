/**
 * Delivery to a durable recipient: the letter is journaled before it enters the mailbox, so an
 * acknowledged send survives a crash. A fail-fast sender must never see E_MAILBOX_FULL for a letter
 * the journal already holds (a restart would deliver it), so its place is reserved before the write:
 * refused up front when the mailbox and the writes in flight fill it; once journaled it goes in (over
 * capacity only if a move between agents raced in meanwhile). Waiting senders are journaled, then
 * parked until there is room, as for any mailbox. At a kernel shutdown a journaled letter is accepted,
 * never refused: it is handled after the restart (exits.ts).
 *
 * Output commit (docs/adr/0052), on a journal that offers `durable()`: the letter enters the mailbox
 * as soon as its record is appended, so the agent computes while the record commits; the sender is
 * still acknowledged only once it is on disk, and a request's reply waits until every record appended
 * before it (the letter, the agent's results and checkpoints) is durable. The agent's own effects wait
 * at the door (an intent is on disk before its call runs, and carries every earlier record). A letter
 * whose record the journal refused is answered with that error and its agent is ended (`lost`).
 * A durable sender's plain send goes on while the letter commits too, unless the journal is
 * backlogged (docs/adr/0053); it is ended with the recipient if the letter is refused.
 */
import { AiosError, Counts, toAiosError, type IdGenerator, type MessageId } from "../core/index.js";
import type { SendOptions, StoredMessage } from "../abi/index.js";
import { isTerminal } from "../abi/index.js";
import { BatchWatch } from "./batch-watch.js";
import { deferred } from "./exits.js";
import type { Guards } from "./guards.js";
import type { KernelFlags } from "./kernel-port.js";
import type { Letter } from "./mailbox.js";
import type { Proc } from "./proc.js";

/** What durable delivery uses of the mail (mail.ts) and the kernel. */
export interface DurableDeliveryDeps {
  readonly ids: IdGenerator;
  readonly guards: Guards;
  readonly flags: KernelFlags;
  readonly schedule: (p: Proc) => void;
  readonly enqueue: (p: Proc, letter: Letter, onFull: SendOptions["onFull"]) => void | Promise<void>;
  readonly refuseOrPark: (p: Proc, letter: Letter, onFull: SendOptions["onFull"]) => Promise<void>;
  /** A letter already in `p`'s mailbox whose record the journal refused: `p` must not go on with it. */
  readonly lost: (p: Proc, e: unknown) => void;
  /** `p`'s tree left for another cluster node while a letter to it was journaled (Kernel.evict). */
  readonly evicted: (p: Proc) => boolean;
}

const ignore = (): void => undefined;
const NO_WAIT = { wait: false } as const;

export class DurableDelivery {
  /** Letters being journaled for fail-fast senders, per recipient: mailbox places they hold. */
  private readonly reserved = new Counts<Proc>();

  constructor(private readonly k: DurableDeliveryDeps) {}

  /**
   * `origin`: a replayable send's letter being handled and place in it (ADR 0016), journaled with the
   * copy. `sender`: the agent sending, if any.
   */
  deliver(p: Proc, letter: Letter, onFull: SendOptions["onFull"], key: string | undefined, origin?: { cause: MessageId; nth: number }, sender?: Proc): Promise<void> | undefined {
    const j = this.k.guards.journal;
    // At a shutdown the letter is journaled and deferred, as on a journal without durable().
    if (j?.durable === undefined || this.k.flags.closing) return this.afterCommit(p, letter, onFull, key, origin);
    // Ended: refused before anything is journaled.
    if (isTerminal(p.status)) return Promise.reject(new AiosError("E_NO_AGENT", `agent ${p.id} is ${p.status}`, { details: { agent: p.id } }));
    // The spec's setting is read only when the mailbox is full (Proc.onFull: the spec is a cold line
    // per message); with room, a letter that may wait and one that fails fast go in alike.
    if (p.length >= p.capacity && (onFull ?? p.onFull) === "fail") return this.k.refuseOrPark(p, letter, "fail");
    // A request's record starts no commit of its own: its sender waits for the reply, which waits for it.
    let stored: Promise<void>;
    try {
      stored = j.enqueue(this.record(p, letter, key, origin), letter.reply === undefined ? undefined : NO_WAIT);
    } catch (e) {
      // A payload the journal cannot hold: refused to its sender, before anything was journaled or
      // delivered (it once entered the mailbox and its failed batch ended recipient and sender).
      return Promise.reject(toAiosError(e, "E_INVALID_ARG"));
    }
    const reply = letter.reply;
    if (reply !== undefined) {
      const durable = j.durable.bind(j);
      // The reply leaves once the letter and everything the agent journaled before it are durable;
      // withheld when the agent's state after it could not be journaled (run-loop.ts).
      letter.reply = (err, value) => {
        Promise.all([stored, durable()]).then(
          () => (letter.withheld === undefined ? reply(err, value) : reply(letter.withheld)),
          (e: unknown) => reply(toAiosError(e, "E_STORAGE")),
        );
      };
    }
    // A durable agent's plain send is computation, not an output (ADR 0053): the sender goes on
    // while the letter commits, as the recipient does. Whatever the sender journals next follows the
    // letter in the one ordered queue, and its outputs wait for durable(), which covers the letter.
    // Only while the journal is backlogged does the sender wait for the commit (backpressure).
    const onward = sender !== undefined && sender.durable && letter.reply === undefined && j.backlogged?.() === false;
    this.watch(stored, p, onward ? sender : undefined);
    const acked = onward ? undefined : stored;
    // A fail-fast letter had room (a full mailbox refused it above): journaled, it is never refused now.
    if (onFull === "fail") {
      if (!p.offer(letter.payload, letter)) p.force(letter);
      if (!p.queued) this.k.schedule(p);
      return acked;
    }
    const room = this.k.enqueue(p, letter, onFull);
    if (room === undefined) return acked;
    return acked === undefined ? room : Promise.all([acked, room]).then(ignore);
  }

  /** A failed batch of letters ends `p` (and `sender`, who went on) for each letter in it. */
  private watch(stored: Promise<void>, p: Proc, sender: Proc | undefined): void {
    const list = this.batches.of(stored);
    list.push(p);
    if (sender !== undefined) list.push(sender);
  }

  private readonly batches = new BatchWatch<Proc>((procs, e) => {
    for (const q of procs) this.k.lost(q, e);
  });

  /** The letter's record; `letter.id` is set to its id. */
  private record(p: Proc, letter: Letter, key: string | undefined, origin: { cause: MessageId; nth: number } | undefined): StoredMessage {
    const id = this.k.ids.message();
    letter.id = id;
    // By assignment, not conditional spreads (a temporary object and a generic copy each).
    const m: { -readonly [K in keyof StoredMessage]: StoredMessage[K] } = { id, to: p.id, payload: letter.payload };
    if (letter.from) m.from = letter.from;
    if (key !== undefined) m.key = key;
    if (origin !== undefined) {
      m.cause = origin.cause;
      m.nth = origin.nth;
    }
    if (letter.trace !== undefined) m.trace = letter.trace;
    // A request on a cluster node: the route its reply takes if the agent moves first (docs/adr/0050).
    if (letter.reply !== undefined) {
      const route = this.k.guards.journal?.replyRoute;
      if (route !== undefined) m.route = route;
    }
    return m;
  }

  /** The letter enters the mailbox once its record is on disk (a journal without durable(), a shutdown). */
  private async afterCommit(p: Proc, letter: Letter, onFull: SendOptions["onFull"], key: string | undefined, origin?: { cause: MessageId; nth: number }): Promise<void> {
    const k = this.k;
    const failFast = (onFull ?? p.onFull) === "fail";
    if (failFast) {
      if (p.length + this.reserved.get(p) >= p.capacity) return k.refuseOrPark(p, letter, "fail");
      this.reserved.add(p);
    }
    const m = this.record(p, letter, key, origin);
    const id = m.id;
    try {
      await k.guards.journal?.enqueue(m);
    } finally {
      if (failFast) this.reserved.remove(p);
    }
    // Journaled while a shutdown stopped the agent: the letter is handled after the restart (issue #19.3).
    if (k.flags.closing && isTerminal(p.status)) {
      letter.reply?.(deferred(p, id));
      return;
    }
    if (isTerminal(p.status)) {
      // Its tree's cluster lease moved while the letter was journaled: the letter is in the tree's
      // journal (committed before the move) or went to the new owner through cluster_mail (the write
      // came too late), and is handled there. Delivered: a refusal here crashed a durable sender whose
      // own lease was sound, and its `failed` was journaled for good (the fault suite: every later
      // letter of that sender lost).
      // A request's next owner answers it when the journal keeps its callback (docs/adr/0050).
      if (k.evicted(p) && (letter.reply === undefined || k.guards.journal?.keepReply?.(id, letter.reply) === true)) return;
      // Ended while the letter was journaled (a spawn that failed after a request was made from its
      // first turn, a kill): refused like any letter to an ended agent, never left in a dead mailbox.
      throw new AiosError("E_NO_AGENT", `agent ${p.id} is ${p.status}`, { details: { agent: p.id } });
    }
    if (!failFast) return k.enqueue(p, letter, onFull);
    if (!p.offer(letter.payload, letter)) p.force(letter);
    if (!p.queued) k.schedule(p);
  }
}
