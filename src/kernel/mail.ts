/**
 * Mail: delivery into mailboxes, the kernel's one way a message reaches an agent. A plain send to a
 * running agent goes into its mailbox as it is (nothing allocated); a request or a traced message
 * travels as a letter; a durable recipient's letter is journaled first (durable-delivery.ts), so an
 * acknowledged send survives a crash. A full mailbox refuses (onFull: "fail") or parks the sender.
 * Mail of a supervised agent that exited and may come back is kept for its next incarnation
 * (orphan-mail.ts). Collaborators by constructor: the process table (lookup only), the recovery's
 * wake for a dormant recipient, the run queue, the door's stages and the kernel's limits.
 */
import { AiosError, type AgentId, type Clock, type EventBus, type IdGenerator, type MessageId } from "../core/index.js";
import { isTerminal, type PlainMailGate, type SendOptions, type StoredMessage, type TraceSpan } from "../abi/index.js";
import type { Guards } from "./guards.js";
import { DurableDelivery } from "./durable-delivery.js";
import type { KernelFlags } from "./kernel-port.js";
import { checkPayloadSize, type KernelLimits } from "./limits.js";
import { isLetter, newLetter, type Letter, type Mailbox } from "./mailbox.js";
import type { OrphanMail } from "./orphan-mail.js";
import type { Proc } from "./proc.js";
import { requestReply } from "./request.js";

export interface MailDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: EventBus;
  readonly guards: Guards;
  readonly limits: KernelLimits;
  readonly flags: KernelFlags;
  /** The process table (lookup only): a method call, as the hot path had it. */
  readonly procs: { find(id: string): Proc | undefined };
  /** Restores a dormant recipient (recovery.ts); rejects when it cannot come back. */
  readonly wake: (p: Proc) => Promise<void>;
  /** The run queue: puts a running agent with mail on it. */
  readonly runQueue: { schedule(p: Proc): void };
  /** Mail of supervised agents that exited and may be restarted. */
  readonly orphans: OrphanMail;
  /** A letter handed to `p` before its record committed, and the journal refused the record (ADR 0052). */
  readonly lost: (p: Proc, e: unknown) => void;
  /** `p`'s tree left for another cluster node (Kernel.evict): its journal, not this table, has its letters. */
  readonly evicted: (p: Proc) => boolean;
}

/** The journaled letter a durable agent is handling, if any (its sends are then replayable). */
function letterId(p: Proc): MessageId | undefined {
  const cur = p.current;
  return isLetter(cur) && cur.id !== undefined ? (cur.id as MessageId) : undefined;
}

/** How long a request that reached another node through `deliver` (not `request`) waits for its reply. */
const DEFAULT_REPLY_MS = 30_000;

export class Mail {
  private letterSeq = 0;
  private readonly durable: DurableDelivery;

  constructor(private readonly d: MailDeps) {
    this.durable = new DurableDelivery({
      ids: d.ids, guards: d.guards, flags: d.flags, schedule: (p) => d.runQueue.schedule(p),
      enqueue: (p, l, onFull) => this.enqueue(p, l, onFull),
      refuseOrPark: (p, l, onFull) => this.refuseOrPark(p, l, onFull),
      lost: d.lost,
      evicted: d.evicted,
    });
  }

  /**
   * Delivers a message. Returns synchronously when the mailbox had room; a promise when the sender
   * must wait for room or for the journal (durable recipient). `key` (ipc/'s message id) is
   * journaled with a durable recipient's copy, so its de-duplication window survives a restart.
   */
  deliver(from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], key?: string, span?: TraceSpan, replyWithinMs?: number): void | Promise<void> {
    // A durable agent's plain send while it handles a journaled letter is replayable (ADR 0016): it
    // is numbered before anything can refuse it or wait, so a second handling after a crash numbers
    // alike; one made out of turn (a callback of a receive that returned) belongs to no letter.
    const cause = from !== undefined && from.durable && from.handling && !from.outOfTurn && key === undefined && reply === undefined ? letterId(from) : undefined;
    const nth = cause === undefined ? 0 : ++(from as Proc).sends;
    const d = this.d;
    const p = d.procs.find(to);
    // A dormant recipient is restored first (recovery.ts): a failed restore refuses the message.
    if (p !== undefined && p.dormant !== null) return this.woken(from, to, p, payload, onFull, reply, key, span, replyWithinMs, cause, nth);
    return this.place(from, to, p, payload, onFull, reply, key, span, replyWithinMs, cause, nth);
  }

  /** `place` once a dormant recipient is restored; its own method for the reason `afterOutputs` is. */
  private woken(
    from: Proc | undefined, to: string, p: Proc, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"],
    key: string | undefined, span: TraceSpan | undefined, replyWithinMs: number | undefined, cause: MessageId | undefined, nth: number,
  ): Promise<void> {
    return this.d.wake(p).then(() => this.place(from, to, this.d.procs.find(to), payload, onFull, reply, key, span, replyWithinMs, cause, nth));
  }

  /** `deliver` once the recipient is awake, with the send's number taken. */
  private place(
    from: Proc | undefined, to: string, p: Proc | undefined, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"],
    key: string | undefined, span: TraceSpan | undefined, replyWithinMs: number | undefined, cause: MessageId | undefined, nth: number,
  ): void | Promise<void> {
    const d = this.d;
    // Not here: on a cluster node the agent may run on another node (its journal takes the letter).
    if (p === undefined && d.guards.journal?.enqueueRemote !== undefined) return this.remote(from, to, payload, onFull, reply, key, cause, nth, replyWithinMs);
    if (p === undefined || (p.status !== "running" && isTerminal(p.status))) {
      throw new AiosError("E_NO_AGENT", p === undefined ? `no agent ${to}` : `agent ${to} is ${p.status}`, { details: { agent: to } });
    }
    const g = d.guards;
    // ipc/ hands every envelope it admitted with its key: any other letter is plain, and an agent
    // that takes signed envelopes only refuses one from an agent (ADR 0083; the operator's claim no
    // agent). The gate is in the door only while some agent may refuse.
    const enveloped = key !== undefined;
    const gate = g.plainMail;
    if (gate !== undefined && !enveloped && from !== undefined) this.screenPlain(from, p, gate);
    checkPayloadSize(payload, d.limits.maxMessageBytes);
    if (from !== undefined && (from.taint.size > 0 || from.tenant !== p.tenant)) g.effects?.message?.(from, p);
    // Tracing on: the letter carries the sending call's trace context (off: one property read).
    const trace = g.trace?.context(from, span);
    const j = g.journal;
    if (p.durable && j !== undefined) {
      const letter = newLetter(payload, from?.id, ++this.letterSeq, reply, trace, enveloped);
      if (cause !== undefined) {
        // Journaled before a crash: the recipient has (or already handled) that copy.
        if (j.sent?.(from?.id as AgentId, cause, nth) === true) return;
        return this.durable.deliver(p, letter, onFull, key, { cause, nth }, from);
      }
      return this.durable.deliver(p, letter, onFull, key, undefined, from);
    }
    // Output commit (ADR 0052): what a durable agent sends where no journal keeps it (an ephemeral
    // agent) leaves once everything it journaled before is durable; in send order, as the waits
    // resolve in the order they were asked for.
    if (from !== undefined && from.durable && j?.durable !== undefined) return this.afterOutputs(j.durable(), from, p, payload, onFull, reply, trace, enveloped);
    return this.plain(from, p, payload, onFull, reply, trace, enveloped);
  }

  /**
   * `plain` once `durable` resolves (output commit). Its own method, as `woken` is: a closure in
   * `place` made every call of it allocate the variables it captures (~100 B per message on the
   * default stack's plain send) wherever V8 could not prove the closure unused.
   */
  private afterOutputs(durable: Promise<void>, from: Proc, p: Proc, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], trace: Letter["trace"], enveloped: boolean): Promise<void> {
    return durable.then(() => {
      if (isTerminal(p.status)) throw new AiosError("E_NO_AGENT", `agent ${p.id} is ${p.status}`, { details: { agent: p.id } });
      return this.plain(from, p, payload, onFull, reply, trace, enveloped);
    });
  }

  /** An agent's plain letter for an agent the gate says takes envelopes only: refused (E_AUTH) and emitted. */
  private screenPlain(from: Proc, p: Proc, gate: PlainMailGate): void {
    const why = gate.refuses(p);
    if (why === null) return;
    const events = this.d.events;
    if (events.wants("mailbox.refused")) events.emit("mailbox.refused", { to: p.id, reason: why }, from.id, "warn");
    throw new AiosError("E_AUTH", `${p.spec.name} (${p.id}) takes no plain letter: ${why}`, { details: { agent: p.id } });
  }

  /** Into the mailbox of an agent no journal keeps letters for. */
  private plain(from: Proc | undefined, p: Proc, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], trace: Letter["trace"], enveloped: boolean): void | Promise<void> {
    const d = this.d;
    if (trace !== undefined || reply !== undefined || enveloped) return this.enqueue(p, newLetter(payload, from?.id, ++this.letterSeq, reply, trace, enveloped), onFull);
    // A plain send: the payload and the sender's id go into the mailbox as they are, nothing allocated.
    const mb: Mailbox = p;
    if (mb.offer(payload, from?.id)) {
      if (!p.queued) d.runQueue.schedule(p);
      return;
    }
    return this.refuseOrPark(p, { payload, from: from?.id, seq: ++this.letterSeq, reply: undefined, id: undefined }, onFull);
  }

  /**
   * A letter for an agent on another cluster node: stored durably for it (acknowledged once
   * PostgreSQL committed it) and woken there; a full mailbox there parks it on this node unless
   * `onFull` is "fail" (docs/adr/0069). A request carries this node as its reply route; its
   * reply comes back through the journal (docs/adr/0040), its timeout is the caller's own timer.
   */
  private async remote(from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], key: string | undefined, cause: MessageId | undefined, nth: number, replyWithinMs = DEFAULT_REPLY_MS): Promise<void> {
    const j = this.d.guards.journal;
    if (j?.enqueueRemote === undefined) throw new AiosError("E_NO_AGENT", `no agent ${to}`, { details: { agent: to } });
    checkPayloadSize(payload, this.d.limits.maxMessageBytes);
    const base = { id: this.d.ids.message(), to: to as AgentId, payload, ...(from === undefined ? {} : { from: from.id }), ...(key === undefined ? {} : { key }) };
    if (reply !== undefined) {
      if (j.requestRemote === undefined) throw new AiosError("E_NO_AGENT", `no agent ${to} on this node (its journal cannot route a reply back)`, { details: { agent: to } });
      return j.requestRemote(base, reply, replyWithinMs, onFull);
    }
    if (cause !== undefined && j.sent?.(from?.id as AgentId, cause, nth) === true) return;
    await j.enqueueRemote({ ...base, ...(cause === undefined ? {} : { cause, nth }) }, onFull);
  }

  /**
   * A deterministic message id for an envelope a durable agent sends while it handles a journaled
   * letter (ADR 0016): the letter's id and the send's place in that handling, numbered with its
   * plain sends. Handled again after a crash, the agent sends the same id and the recipient's
   * de-duplication window drops the copy. Undefined for any other sender.
   */
  replayableSendId(agent: string): string | undefined {
    const p = this.d.procs.find(agent);
    if (p === undefined || !p.durable || !p.handling || p.outOfTurn) return undefined;
    const cause = letterId(p);
    return cause === undefined ? undefined : `${cause}.${++p.sends}`;
  }

  /** Puts a letter in the mailbox, or parks/refuses it when full. */
  enqueue(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): void | Promise<void> {
    const mb: Mailbox = p;
    if (mb.offer(letter.payload, letter)) {
      if (!p.queued) this.d.runQueue.schedule(p);
      return;
    }
    return this.refuseOrPark(p, letter, onFull);
  }

  /** A full mailbox: refuses the letter (E_MAILBOX_FULL) or parks its sender until there is room. */
  refuseOrPark(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): Promise<void> {
    const mb: Mailbox = p;
    const events = this.d.events;
    if ((onFull ?? mb.onFull) === "fail") {
      if (events.wants("mailbox.full")) events.emit("mailbox.full", { to: p.id, capacity: mb.capacity }, letter.from, "warn");
      throw new AiosError("E_MAILBOX_FULL", `the mailbox of ${p.spec.name} (${p.id}) is full (${mb.capacity} messages)`, { details: { agent: p.id, capacity: mb.capacity } });
    }
    const max = this.d.limits.maxParkedSenders;
    if (mb.waiting >= max) {
      throw new AiosError("E_MAILBOX_FULL", `the mailbox of ${p.spec.name} (${p.id}) is full and ${mb.waiting} senders already wait for room`, {
        details: { agent: p.id, capacity: mb.capacity, waiting: mb.waiting },
      });
    }
    return mb.park(letter);
  }

  /** Puts a recovered (already journaled) message back in a mailbox. */
  adoptLetter(p: Proc, m: StoredMessage): void {
    const seq = ++this.letterSeq;
    // A request from another cluster node: its reply goes back by the route it was journaled with.
    const reply = m.route === undefined ? undefined : this.d.guards.journal?.remoteReply?.(m.route, m.id, p.id);
    // Journaled with ipc/'s key: an envelope it admitted (ADR 0083).
    const letter = newLetter(m.payload, m.from, seq, reply, m.trace, m.key !== undefined);
    letter.id = m.id;
    p.mailbox.force(letter);
  }

  /**
   * Sends a request and resolves with the agent's reply (ctx.reply, or the result it stops with).
   * `span`: the call it is sent from (tracing on), whose context the letter carries.
   */
  request(from: Proc | undefined, to: string, payload: unknown, timeoutMs = 30_000, span?: TraceSpan): Promise<unknown> {
    return requestReply(this.d.clock, (f, t, pl, reply) => this.deliver(f, t, pl, undefined, reply, undefined, span, timeoutMs), from, to, payload, timeoutMs);
  }
}
