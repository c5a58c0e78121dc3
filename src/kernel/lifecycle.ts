/**
 * Lifecycle: the only writer of an agent's status. A transition is checked against the table in
 * abi/lifecycle.ts, emitted as `agent.transition`, and journaled for a durable agent — except while
 * the kernel stops agents for its own shutdown (`duringShutdown`): those agents come back at the
 * next boot, so their stop is not their end. Collaborators by constructor: the event bus, the
 * journal as the door has it (read per call), and where errors without a caller go.
 */
import type { AgentStatus, EventBus } from "../core/index.js";
import { checkTransition, type KernelJournal } from "../abi/index.js";
import type { Proc } from "./proc.js";

export class Lifecycle {
  private stoppingForShutdown = false;

  constructor(
    private readonly events: EventBus,
    private readonly journal: () => KernelJournal | undefined,
    private readonly kernelError: (e: unknown, where: string) => void,
  ) {}

  /** Moves `p` to `to` (E_INVALID_TRANSITION when the table forbids it), emits and journals it. */
  transition(p: Proc, to: AgentStatus, op: string, reason?: string): void {
    const from = p.status;
    p.status = checkTransition(from, to, op, p.id);
    this.emit(p, op, from, to, reason);
    if (p.durable && !this.stoppingForShutdown) this.journal()?.transitioned(p.id, to, op, reason).catch((e: unknown) => this.kernelError(e, `journal transition of ${p.id}`));
  }

  /** A new process entered the table in `pending` (its spawn record is the journal's, not this). */
  created(p: Proc): void {
    this.emit(p, "spawn", "none", "pending");
  }

  /** Runs `fn` with transitions not journaled: the kernel's own shutdown stopping durable agents. */
  duringShutdown(fn: () => void): void {
    this.stoppingForShutdown = true;
    try {
      fn();
    } finally {
      this.stoppingForShutdown = false;
    }
  }

  private emit(p: Proc, op: string, from: AgentStatus | "none", to: AgentStatus, reason?: string): void {
    if (this.events.wants("agent.transition")) {
      this.events.emit("agent.transition", { op, from, to, ...(reason === undefined ? {} : { reason }) }, p.id, to === "failed" ? "error" : "info");
    }
  }
}
