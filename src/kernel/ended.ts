/**
 * What the kernel keeps of agents that ended, and when it lets go (issue #17: every kernel table is
 * bounded). An ephemeral agent leaves the process table as it ends. Any other ended agent stays
 * visible (ps, status, wait) among the last `keep` ended ones, oldest first out; an agent a live
 * supervisor still tracks is its supervisor's to let go (supervision.ts hands it here when it will
 * not restart it). This decides when; the process table (process-table.ts) takes it out and tells
 * the subsystems, whose per-agent state (quota accounts, subscriptions, counters) goes with it.
 */
import { Ring } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Proc } from "./proc.js";
import type { ProcessTable } from "./process-table.js";

export class EndedAgents {
  private readonly ring = new Ring<Proc>(64);

  constructor(
    private readonly table: ProcessTable,
    /** Ended agents kept visible (KernelLimits.keepEnded). */
    private readonly keep: number,
  ) {}

  /** Ended agents waiting in line to leave the table (at most `keep`). */
  get kept(): number {
    return this.ring.length;
  }

  /** `p` ended and nothing will bring it back: it queues to leave once `keep` newer ones ended. */
  ended(p: Proc): void {
    this.ring.push(p);
    while (this.ring.length > this.keep) {
      const q = this.ring.shift() as Proc;
      // Restarted under its id meanwhile (a new incarnation holds the slot), or tracked again: not ours.
      if (this.table.find(q.id) !== q || !isTerminal(q.status) || trackedBySupervisor(q)) continue;
      this.table.evict(q);
    }
  }
}

/** A live supervisor may still restart it under the same id. */
export function trackedBySupervisor(p: Proc): boolean {
  const sup = p.parent;
  return sup !== null && sup.sup !== null && !isTerminal(sup.status) && sup.sup.specs.has(p.id);
}
