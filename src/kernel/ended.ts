/**
 * What the kernel keeps of agents that ended, and when it lets go (issue #17: every kernel table is
 * bounded). An ephemeral agent leaves the process table as it ends. Any other ended agent stays
 * visible (ps, status, wait) among the last `keep` ended ones, oldest first out; an agent a live
 * supervisor still tracks is its supervisor's to let go (supervision.ts hands it here when it will
 * not restart it). When an agent leaves the table for good the subsystems are told (`gone`, a
 * Provision hook), synchronously and never through the event bus, which may drop events: whatever they
 * keep per agent (quota accounts, subscriptions, counters) is dropped with it.
 */
import { Ring, type AgentId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Proc } from "./proc.js";

export class EndedAgents {
  private readonly ring = new Ring<Proc>(64);
  private readonly hooks: ((agent: AgentId) => void)[] = [];

  constructor(
    private readonly table: Map<AgentId, Proc>,
    /** Ended agents kept visible (KernelLimits.keepEnded). */
    private readonly keep: number,
    private readonly kernelError: (e: unknown, where: string) => void,
  ) {}

  /** Ended agents waiting in line to leave the table (at most `keep`). */
  get kept(): number {
    return this.ring.length;
  }

  /** Registers a subsystem's hook, told each agent that leaves the table for good. */
  onGone(fn: (agent: AgentId) => void): void {
    this.hooks.push(fn);
  }

  /** `p` ended and nothing will bring it back: it queues to leave once `keep` newer ones ended. */
  ended(p: Proc): void {
    this.ring.push(p);
    while (this.ring.length > this.keep) {
      const q = this.ring.shift() as Proc;
      // Restarted under its id meanwhile (a new incarnation holds the slot), or tracked again: not ours.
      if (this.table.get(q.id) !== q || !isTerminal(q.status) || trackedBySupervisor(q)) continue;
      this.table.delete(q.id);
      const siblings = q.parent?.children;
      if (siblings != null) {
        const i = siblings.lastIndexOf(q);
        if (i >= 0) siblings.splice(i, 1);
      }
      this.gone(q.id);
    }
  }

  /** Tells every subsystem that `agent` left the table for good. */
  gone(agent: AgentId): void {
    for (const h of this.hooks) {
      try {
        h(agent);
      } catch (e) {
        this.kernelError(e, `forgetting ${agent}`);
      }
    }
  }
}

/** A live supervisor may still restart it under the same id. */
export function trackedBySupervisor(p: Proc): boolean {
  const sup = p.parent;
  return sup !== null && sup.sup !== null && !isTerminal(sup.status) && sup.sup.specs.has(p.id);
}
