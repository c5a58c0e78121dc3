/**
 * The run loop: a round-robin run queue of agents with mail, where one agent's receive for one letter
 * is one quantum. A visit grants an agent `share` quanta (deficit round robin: its spec's weight,
 * scaled 1.25x per priority step; 1 by default), after which an agent with mail left goes to the back
 * of the queue, so no agent can starve the others and a heavier one gets proportionally more turns
 * (an agent alone on the queue goes on with a fresh share, as its next visit would).
 * The loop yields to the event loop every `sliceMs` so the kernel's I/O runs. A receive slower than
 * the hog threshold is reported (agent.hog), timed by the coarse clock (ADR 0004).
 * After each handled message a durable agent's state is checkpointed through its logic's snapshot;
 * a checkpoint a full disk refused holds the agent until it is stored (held-checkpoints.ts).
 */
import { AiosError, CoarseClock, Ring, ticksBetween, toAiosError, type Clock, type EventBus, type Logger, type MessageId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import { isStop, type AgentContext } from "../abi/index.js";
import { LetterCtx, type AgentCtx } from "./context.js";
import type { Guards } from "./guards.js";
import type { KernelFlags } from "./kernel-port.js";
import type { Ending } from "./lifecycle.js";
import type { ExitKind } from "./supervisor-state.js";
import { isLetter, taken, type Mailbox, type Meta } from "./mailbox.js";
import { QUANTUM, snapshotOf, type Proc } from "./proc.js";
import { BatchWatch } from "./batch-watch.js";
import { HeldCheckpoints } from "./held-checkpoints.js";

export interface RunLoopDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly guards: Guards;
  readonly flags: KernelFlags;
  readonly kernelError: (e: unknown, where: string) => void;
  /** The agent's context object, created on first use. */
  readonly ctxOf: (p: Proc) => AgentCtx;
  readonly exit: (p: Proc, to: Ending, reason: string, kind: ExitKind, result?: unknown) => void;
  readonly releaseIdle: (p: Proc) => void;
}

export class RunLoop {
  private readonly runq = new Ring<Proc>(1024);
  /** Durable agents whose checkpoint a full disk refused: held and retried. */
  private readonly held: HeldCheckpoints;
  private readonly coarse = new CoarseClock();
  private tickPending = false;
  private draining = false;

  constructor(
    private readonly k: RunLoopDeps,
    /** Receives slower than this are reported (0 disables). */
    readonly hogMs: number,
    private readonly sliceMs: number,
  ) {
    this.held = new HeldCheckpoints(k, (p) => {
      if (p.mailbox.length > 0) this.schedule(p);
    });
  }

  close(): Promise<void> {
    return this.coarse.close();
  }

  /** No agent waits on the run queue and none is being run (the journal's commitHereWhen probe). */
  get idle(): boolean {
    return this.runq.length === 0 && !this.draining;
  }

  /** Puts a running agent with mail on the run queue. */
  schedule(p: Proc): void {
    if (p.queued || p.busy || p.held !== null || p.status !== "running") return;
    p.queued = true;
    this.runq.push(p);
    if (!this.tickPending && !this.draining) {
      this.tickPending = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.tickPending = false;
    this.draining = true;
    const coarse = this.coarse;
    // The clock in whole-millisecond ticks (small integers: no garbage per reading, coarse-clock.ts),
    // read once per receive: the reading after one receive starts the next one's timing.
    const cell = coarse.tickSource;
    const now = (): number => (cell === undefined ? coarse.ticks() : (cell[0] as number));
    const sliceStart = now();
    const sliceMs = this.sliceMs;
    let last = sliceStart;
    const hogMs = this.hogMs;
    const q = this.runq;
    try {
      for (;;) {
        const p = q.shift();
        if (p === undefined) break;
        p.queued = false;
        if (p.status !== "running" || p.busy || p.held !== null) continue;
        // Deficit round robin: a visit grants `share` quanta (1 by default: one receive per turn),
        // counted in integer 1/QUANTUM receives (proc.ts shareOf).
        let credit = p.credit + p.share;
        // The process is its own mailbox (Proc extends Mailbox): no second object to load per message.
        const mb: Mailbox = p;
        for (;;) {
          if (credit < QUANTUM) {
            // Its visit is spent. With no other agent waiting its next visits would be these: it goes
            // on with fresh shares, without trips through the queue (one agent with a full mailbox).
            if (q.length > 0) break;
            credit += p.share; // at least 1
            continue;
          }
          if (!mb.take()) break;
          credit -= QUANTUM;
          const t0 = last;
          this.handle(p, taken.payload, taken.meta);
          last = now();
          if (hogMs > 0) {
            const dt = ticksBetween(t0, last);
            if (dt > 0 && dt > (p.spec.hogThresholdMs ?? hogMs)) this.reportHog(p, dt);
          }
          taken.payload = undefined;
          taken.meta = undefined;
          if (p.busy || p.status !== "running" || ticksBetween(sliceStart, last) > sliceMs) break;
        }
        // Credit left over carries to the next visit only while mail waits: an idle agent banks none.
        p.credit = mb.length > 0 ? credit : 0;
        if (!p.queued && !p.busy && p.held === null && mb.length > 0 && p.status === "running") {
          p.queued = true;
          q.push(p);
        }
        if (ticksBetween(sliceStart, last) > sliceMs) break;
      }
    } finally {
      this.draining = false;
    }
    if (q.length > 0 && !this.tickPending) {
      this.tickPending = true;
      setImmediate(this.drain);
    }
  };

  /** One quantum: the agent's receive for one message. */
  private handle(p: Proc, payload: unknown, letter: Meta): void {
    p.current = letter;
    p.handling = true;
    if (p.durable) p.sends = 0; // read only for a durable sender (mail.ts)
    let r: unknown;
    const own = p.ctx === null ? this.k.ctxOf(p) : (p.ctx as AgentCtx);
    // A request's receive gets its reply bound to its letter (a late callback answers this request),
    // a durable agent's its turn too (a late callback's effects are numbered in no letter's handling).
    const ctx: AgentContext = isLetter(letter) && (letter.reply !== undefined || p.durable) ? new LetterCtx(own, letter) : own;
    const tracer = this.k.guards.trace;
    // Inside a durable agent's receive call (its synchronous part): what its init context does now
    // is this letter's (init-ctx.ts). Only durable agents' init contexts ask.
    const flags = p.durable ? this.k.flags : undefined;
    const outer = flags === undefined ? null : flags.receiving;
    if (flags !== undefined) flags.receiving = p;
    try {
      // Tracing on: the receive runs in its handling span, a child of the letter's sender's (if any).
      r = tracer === undefined ? p.logic.receive(p.state, payload, ctx) : traced(tracer, p, payload, letter, ctx);
    } catch (e) {
      if (flags !== undefined) flags.receiving = outer;
      this.crash(p, letter, e);
      return;
    }
    if (flags !== undefined) flags.receiving = outer;
    if (r instanceof Promise) {
      this.settleLater(p, letter, r);
      return;
    }
    this.handled(p, letter, r);
  }

  /**
   * An async receive: the agent is busy until it settles. Its own method, as `traced` is its own
   * function: a closure in `handle` made V8 allocate the variables it captures on every call, once
   * any receive had been async (~72 bytes per message, sync receives included).
   */
  private settleLater(p: Proc, letter: Meta, r: Promise<unknown>): void {
    p.busy = true;
    r.then(
      (v: unknown) => {
        p.busy = false;
        this.handled(p, letter, v);
        this.k.releaseIdle(p);
        if (p.mailbox.length > 0) this.schedule(p);
      },
      (e: unknown) => {
        p.busy = false;
        this.crash(p, letter, e);
        this.k.releaseIdle(p);
      },
    );
  }

  private handled(p: Proc, letter: Meta, r: unknown): void {
    p.current = undefined;
    p.handling = false;
    if (p.status !== "running" && isTerminal(p.status)) return; // killed while an async receive ran
    if (isStop(r)) {
      if (isLetter(letter) && letter.reply !== undefined) letter.reply(null, r.result);
      if (!this.checkpoint(p, letter)) return;
      this.k.exit(p, r.outcome, r.reason ?? "stopped", r.outcome === "completed" ? "normal" : "abnormal", r.result);
      return;
    }
    p.state = r;
    if (p.durable) this.checkpoint(p, letter);
  }

  /** Journals a durable agent's checkpoint; false when its journal cannot hold it (the agent crashed). */
  private checkpoint(p: Proc, letter: Meta): boolean {
    const j = this.k.guards.journal;
    if (j === undefined || !p.durable) return true;
    let snap: unknown;
    try {
      snap = snapshotOf(p);
    } catch (e) {
      this.k.kernelError(e, `snapshot of ${p.id}`);
      return true;
    }
    const msg = (isLetter(letter) ? letter.id : undefined) as MessageId | undefined;
    let done: Promise<void>;
    try {
      done = j.handled(p.id, msg, snap, p.callSeq);
    } catch (e) {
      this.unjournaled(p, letter, e);
      return false;
    }
    this.checkpoints.of(done).push(p, msg);
    return true;
  }

  /**
   * A durable agent returned a state its journal cannot hold (a BigInt, a cycle): it crashes as if
   * its receive had thrown, since no restart could come back to that state, and a reply it already
   * gave to this letter is withheld for the same reason (the output waits for the journal: ADR 0052;
   * durable-delivery.ts sends the crash instead). The journal keeps its last checkpoint and the
   * letter, unacknowledged.
   */
  private unjournaled(p: Proc, letter: Meta, e: unknown): void {
    const cause = toAiosError(e, "E_INVALID_ARG");
    const path = cause.details?.["path"];
    const err = new AiosError("E_AGENT_CRASHED", `durable agent ${p.spec.name} (${p.id}) returned a state its journal cannot hold: ${cause.message}`, {
      cause: e,
      details: { agent: p.id, ...(typeof path === "string" ? { path } : {}) },
    });
    if (isLetter(letter)) letter.withheld = err;
    this.crash(p, letter, err);
  }

  /** A failed batch of checkpoints holds each agent in it (pairs of agent and letter). */
  private readonly checkpoints = new BatchWatch<Proc | MessageId | undefined>((items, e) => {
    for (let i = 0; i < items.length; i += 2) this.held.failed(items[i] as Proc, items[i + 1] as MessageId | undefined, e);
  });

  private crash(p: Proc, letter: Meta, e: unknown): void {
    p.current = undefined;
    p.handling = false;
    const err = toAiosError(e, "E_AGENT_CRASHED");
    if (isLetter(letter) && letter.reply !== undefined) {
      // The requester learns why: a typed failure (E_QUOTA, E_MODEL, ...) keeps its code.
      letter.reply(new AiosError(err.code, `${p.spec.name} (${p.id}) crashed handling the request: ${err.message}`, { cause: e, retryable: err.retryable, details: err.details }));
    }
    if (this.k.events.wants("agent.crashed")) this.k.events.emit("agent.crashed", { error: err.toJSON() }, p.id, "error");
    if (isTerminal(p.status)) return;
    this.k.exit(p, "failed", `crashed: ${err.message}`, "abnormal");
  }

  private reportHog(p: Proc, elapsedMs: number): void {
    if (this.k.events.wants("agent.hog")) {
      this.k.events.emit("agent.hog", { elapsedMs, thresholdMs: p.spec.hogThresholdMs ?? this.hogMs }, p.id, "warn");
    }
  }

}

/** The receive in its handling span, a child of the letter's sender's span (if any). */
function traced(tracer: NonNullable<Guards["trace"]>, p: Proc, payload: unknown, letter: Meta, ctx: AgentContext): unknown {
  return tracer.handle(p, isLetter(letter) ? letter.trace : undefined, isLetter(letter) && letter.reply !== undefined, () => p.logic.receive(p.state, payload, ctx));
}
