/**
 * The context a durable agent's `init` gets (ADR 0016, "Late effects"). While init runs it is the
 * agent's own: init's calls are journaled and replayed if init runs again after a crash. Once init
 * has settled, a timer or a promise callback it left behind runs while the agent handles some
 * letter, and through the shared context its send or call took that letter's next number: after a
 * crash the letter, handled again without the callback (a restored agent runs no init), skipped its
 * own send of that number as already sent, or got the callback's journaled result. So after init an
 * effect through this context is out of turn — numbered in no letter, journaled as no replayable
 * call — unless the agent is inside a receive call right now (code that keeps init's context in its
 * state and uses it in a receive, before the receive's first await). A reply through it answers
 * only then too (a callback's reply answered whatever request the agent was handling).
 */
import type { AgentId, MessageId } from "../core/index.js";
import type { AgentContext, AgentSpec, AgentSpecInput, SendOptions, SyscallApi } from "../abi/index.js";
import type { AgentCtx } from "./context.js";

export class InitCtx implements AgentContext {
  private running = true;
  private late: SyscallApi | undefined;

  constructor(private readonly ctx: AgentCtx) {}

  /** Init has settled (returned, resolved or failed): effects from here on are out of turn. */
  end(): void {
    this.running = false;
  }

  private inTurn(): boolean {
    return this.running || this.ctx.receivingNow();
  }

  get self(): AgentId {
    return this.ctx.self;
  }
  get spec(): AgentSpec {
    return this.ctx.spec;
  }
  get sender(): AgentId | undefined {
    return this.inTurn() ? this.ctx.sender : undefined;
  }
  get messageId(): MessageId | undefined {
    return this.inTurn() ? this.ctx.messageId : undefined;
  }
  get enveloped(): boolean {
    return this.inTurn() && this.ctx.enveloped;
  }
  get signal(): AbortSignal {
    return this.ctx.signal;
  }
  get sys(): SyscallApi {
    const c = this.ctx;
    return this.inTurn() ? c.sys : (this.late ??= c.lateSys());
  }
  send(to: AgentId, payload: unknown, options?: SendOptions): void | Promise<void> {
    const c = this.ctx;
    return this.inTurn() ? c.send(to, payload, options) : c.outOfTurn(() => c.send(to, payload, options));
  }
  request(to: AgentId, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown> {
    const c = this.ctx;
    return this.inTurn() ? c.request(to, payload, options) : c.outOfTurn(() => c.request(to, payload, options));
  }
  reply(value: unknown): void {
    if (this.inTurn()) this.ctx.reply(value);
  }
  spawn(spec: AgentSpecInput): Promise<AgentId> {
    const c = this.ctx;
    return this.inTurn() ? c.spawn(spec) : c.outOfTurn(() => c.spawn(spec));
  }
}

/** Tells a durable agent's init context that init has settled (other contexts: nothing to do). */
export function initSettled(ctx: AgentContext): void {
  if (ctx instanceof InitCtx) ctx.end();
}
