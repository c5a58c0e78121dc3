/**
 * Mail of supervised agents that exited and may come back (a restart keeps the agent's id as a new
 * incarnation and hands it this mail; an agent that will not come back has it refused).
 */
import { AiosError, type AgentId } from "../core/index.js";
import type { Letter } from "./mailbox.js";
import type { Proc } from "./proc.js";

/** Mail of supervised agents that exited and may come back, keyed by agent id. */
export class OrphanMail {
  private readonly kept = new Map<AgentId, Letter[]>();

  keep(id: AgentId, letters: Letter[]): void {
    this.kept.set(id, letters);
  }

  /** Hands the kept mail to the agent's new incarnation. */
  adopt(p: Proc): void {
    const mail = this.kept.get(p.id);
    if (mail === undefined) return;
    this.kept.delete(p.id);
    for (const l of mail) p.mailbox.force(l);
  }

  /** Refuses the kept mail of an agent that will not come back. */
  refuse(id: AgentId, reason: string): void {
    const mail = this.kept.get(id);
    if (mail === undefined) return;
    this.kept.delete(id);
    const err = new AiosError("E_AGENT_STOPPED", `agent ${id} will not be restarted: ${reason}`);
    for (const l of mail) l.reply?.(err);
  }
}
