/**
 * A slot pool's bookkeeping per agent (pool.ts): each agent's waiting requests, queued or parked
 * (re-ranked by reprioritize, cancelled by cancelWaiting), and — under maxPerAgent only — how many
 * slots each agent holds and which of its requests are parked at that limit, oldest first.
 */
import type { PoolRequest } from "./pool-request.js";

/** Zero held counts kept before they are swept (freed). */
const HELD_SWEEP = 256;
const NO_REQUESTS: readonly PoolRequest[] = Object.freeze([]);

export class AgentRequests {
  /** Each agent's waiting requests: one request, or a Set when it has several. */
  private readonly waiting = new Map<string, PoolRequest | Set<PoolRequest>>();
  /** Running requests per agent (counted only under maxPerAgent). */
  private readonly held = new Map<string, number>();
  private readonly parkedByAgent = new Map<string, PoolRequest[]>();
  private readonly parkedSet = new Set<PoolRequest>();

  /** Requests parked at their agent's limit (waiting, outside the policy's queue). */
  get parked(): number {
    return this.parkedSet.size;
  }

  /** `r` waits (queued or parked). */
  index(r: PoolRequest): void {
    const had = this.waiting.get(r.agent);
    if (had === undefined) this.waiting.set(r.agent, r);
    else if (had instanceof Set) had.add(r);
    else if (had !== r) this.waiting.set(r.agent, new Set([had, r]));
  }

  /** `r` no longer waits. */
  unindex(r: PoolRequest): void {
    const had = this.waiting.get(r.agent);
    if (had === r) this.waiting.delete(r.agent);
    else if (had instanceof Set) {
      had.delete(r);
      if (had.size === 0) this.waiting.delete(r.agent);
    }
  }

  /**
   * `agent`'s waiting requests, as a copy: the caller may re-key or drop them. None is the shared
   * empty list: every agent's end asks every pool (cancelWaiting), most for none.
   */
  waitingOf(agent: string): readonly PoolRequest[] {
    const had = this.waiting.get(agent);
    return had === undefined ? NO_REQUESTS : had instanceof Set ? [...had] : [had];
  }

  heldBy(agent: string): number {
    return this.held.get(agent) ?? 0;
  }

  /** `agent` took a slot (under maxPerAgent). */
  took(agent: string): void {
    this.held.set(agent, (this.held.get(agent) ?? 0) + 1);
  }

  /**
   * `agent` freed a slot (under maxPerAgent): its oldest parked request, unparked, to go back into
   * the queue, if it has one. A count back at zero stays until many have: a Map shrinking on each
   * delete reallocates its table, and a short-lived agent's tool call takes and frees a slot once.
   */
  freed(agent: string, capacity: number): PoolRequest | undefined {
    const n = (this.held.get(agent) ?? 1) - 1;
    this.held.set(agent, n > 0 ? n : 0);
    if (n <= 0 && this.held.size > HELD_SWEEP + capacity) {
      for (const [a, k] of this.held) if (k === 0) this.held.delete(a);
    }
    const next = this.parkedByAgent.get(agent)?.[0];
    if (next !== undefined) this.unpark(next);
    return next;
  }

  /** `r` waits at its agent's limit (still indexed as waiting). */
  park(r: PoolRequest): void {
    let q = this.parkedByAgent.get(r.agent);
    if (q === undefined) this.parkedByAgent.set(r.agent, (q = []));
    q.push(r);
    this.parkedSet.add(r);
  }

  /** Takes `r` out of its agent's parked list; false when it was not parked. */
  unpark(r: PoolRequest): boolean {
    if (!this.parkedSet.delete(r)) return false;
    const q = this.parkedByAgent.get(r.agent) ?? [];
    const i = q.indexOf(r);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.parkedByAgent.delete(r.agent);
    return true;
  }

  /** Every parked request, unparked (the pool closes). */
  unparkAll(): PoolRequest[] {
    const all = [...this.parkedSet];
    for (const r of all) this.unpark(r);
    return all;
  }
}
