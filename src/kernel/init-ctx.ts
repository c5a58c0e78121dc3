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
import type { AgentContext } from "../abi/index.js";
import { TurnCtx } from "./context.js";

export class InitCtx extends TurnCtx {
  private running = true;

  /** Init has settled (returned, resolved or failed): effects from here on are out of turn. */
  end(): void {
    this.running = false;
  }

  protected inTurn(): boolean {
    return this.running || this.ctx.receivingNow();
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
  reply(value: unknown): void {
    if (this.inTurn()) this.ctx.reply(value);
  }
}

/** Tells a durable agent's init context that init has settled (other contexts: nothing to do). */
export function initSettled(ctx: AgentContext): void {
  if (ctx instanceof InitCtx) ctx.end();
}
