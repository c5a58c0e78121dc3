/**
 * Weighted fair queueing by tokens, CFS-style, in two levels: tenants share the pool by tenant
 * weight, and within a tenant its agents share by agent weight. Each tenant and agent has a virtual
 * time that advances by `tokens / weight` when one of its requests is granted (charged the estimate
 * at grant, corrected by `settle` with the actual usage); the lowest virtual time goes next.
 *
 * Invariant (as in CFS): a tenant or agent that becomes active again starts at no less than the
 * level's virtual clock (the virtual time of the last one served), so idling banks no credit.
 */
import { MinHeap } from "../heap.js";
import { AiosError, Ring } from "../../core/index.js";
import type { SchedPolicy } from "../sched-policy.js";
import type { Waiter } from "../waiter.js";

interface Flow {
  vtime: number;
  live: number;
  /** Bumped whenever vtime changes while queued; heap entries with an older gen are stale. */
  gen: number;
  queued: boolean;
}
interface AgentFlow extends Flow {
  readonly agent: string;
  weight: number;
  readonly q: Ring<Waiter>;
}
interface TenantFlow extends Flow {
  readonly tenant: string;
  readonly weight: number;
  vclock: number;
  readonly agents: MinHeap<Entry<AgentFlow>>;
  readonly byAgent: Map<string, AgentFlow>;
}
interface Entry<F> {
  readonly f: F;
  readonly key: number;
  readonly gen: number;
  readonly seq: number;
}

const lessEntry = <F>(x: Entry<F>, y: Entry<F>): boolean => x.key < y.key || (x.key === y.key && x.seq < y.seq);

export class WfqPolicy implements SchedPolicy {
  readonly name = "wfq" as const;
  private readonly tenants = new Map<string, TenantFlow>();
  private readonly heap = new MinHeap<Entry<TenantFlow>>(lessEntry);
  private vclock = 0;
  private live = 0;
  private seq = 0;

  constructor(private readonly tenantWeight: (tenant: string) => number) {}

  get size(): number {
    return this.live;
  }

  push(w: Waiter): void {
    const t = this.tenant(w.tenant);
    let a = t.byAgent.get(w.agent);
    if (a === undefined) {
      a = { agent: w.agent, weight: w.weight, vtime: t.vclock, live: 0, gen: 0, queued: false, q: new Ring<Waiter>() };
      t.byAgent.set(w.agent, a);
    }
    a.weight = w.weight; // the newest request carries the agent's current spec weight
    a.q.push(w);
    a.live++;
    t.live++;
    this.live++;
    if (!a.queued) {
      a.vtime = Math.max(a.vtime, t.vclock);
      this.enqueue(t.agents, a);
    }
    if (!t.queued) {
      t.vtime = Math.max(t.vtime, this.vclock);
      this.enqueue(this.heap, t);
    }
  }

  /** Granted on arrival: the virtual clocks move as for any grant (served through the empty queue). */
  granted(w: Waiter): void {
    this.push(w);
    const popped = this.pop();
    if (popped !== w) throw new AiosError("E_INTERNAL", `wfq: an empty queue gave back ${popped?.id ?? "nothing"} for ${w.id}`);
  }

  peek(): Waiter | undefined {
    const t = this.frontTenant();
    if (t === undefined) return undefined;
    return this.frontAgent(t)?.q.peek();
  }

  pop(): Waiter | undefined {
    const t = this.frontTenant();
    if (t === undefined) return undefined;
    const a = this.frontAgent(t) as AgentFlow; // a live tenant has a live agent
    this.heap.pop();
    t.agents.pop();
    t.queued = false;
    a.queued = false;
    const w = a.q.shift() as Waiter;
    a.live--;
    t.live--;
    this.live--;
    // Virtual clocks follow the start tag of the one served: monotone, and where newcomers start.
    this.vclock = Math.max(this.vclock, t.vtime);
    t.vclock = Math.max(t.vclock, a.vtime);
    a.vtime += w.tokens / a.weight;
    t.vtime += w.tokens / t.weight;
    if (a.live > 0) this.enqueue(t.agents, a);
    else this.forgetIfIdle(t, a);
    if (t.live > 0) this.enqueue(this.heap, t);
    return w;
  }

  remove(w: Waiter): void {
    const t = this.tenants.get(w.tenant);
    const a = t?.byAgent.get(w.agent);
    if (t === undefined || a === undefined) return;
    a.live--;
    t.live--;
    this.live--;
  }

  rekey(_w: Waiter): void {}

  settle(w: Waiter, actual: number): void {
    const t = this.tenants.get(w.tenant);
    const a = t?.byAgent.get(w.agent);
    if (t === undefined || a === undefined) return;
    const diff = actual - w.tokens;
    if (diff === 0) return;
    a.vtime += diff / a.weight;
    t.vtime += diff / t.weight;
    // Re-key whatever is queued so the heaps see the corrected virtual times.
    if (a.queued) this.enqueue(t.agents, a);
    if (t.queued) this.enqueue(this.heap, t);
  }

  private tenant(name: string): TenantFlow {
    let t = this.tenants.get(name);
    if (t === undefined) {
      const weight = this.tenantWeight(name);
      t = {
        tenant: name,
        weight: weight > 0 ? weight : 1,
        vtime: this.vclock,
        vclock: 0,
        live: 0,
        gen: 0,
        queued: false,
        agents: new MinHeap<Entry<AgentFlow>>(lessEntry),
        byAgent: new Map(),
      };
      this.tenants.set(name, t);
    }
    return t;
  }

  private enqueue<F extends Flow>(heap: MinHeap<Entry<F>>, f: F): void {
    f.gen++;
    f.queued = true;
    heap.push({ f, key: f.vtime, gen: f.gen, seq: ++this.seq });
  }

  /** Top tenant with live requests; stale and emptied entries are discarded on the way. */
  private frontTenant(): TenantFlow | undefined {
    for (let e = this.heap.peek(); e !== undefined; e = this.heap.peek()) {
      const t = e.f;
      if (e.gen === t.gen && t.live > 0) return t;
      this.heap.pop();
      if (e.gen === t.gen) t.queued = false;
    }
    return undefined;
  }

  private frontAgent(t: TenantFlow): AgentFlow | undefined {
    for (let e = t.agents.peek(); e !== undefined; e = t.agents.peek()) {
      const a = e.f;
      if (e.gen === a.gen && a.live > 0) {
        for (let h = a.q.peek(); h !== undefined && h.state !== "waiting"; h = a.q.peek()) a.q.shift();
        return a;
      }
      t.agents.pop();
      if (e.gen === a.gen) {
        a.queued = false;
        this.forgetIfIdle(t, a);
      }
    }
    return undefined;
  }

  /** An idle agent is kept while its virtual time is ahead of the clock (so it cannot reset its debt). */
  private forgetIfIdle(t: TenantFlow, a: AgentFlow): void {
    if (a.live > 0) return;
    for (let h = a.q.peek(); h !== undefined && h.state !== "waiting"; h = a.q.peek()) a.q.shift();
    if (a.vtime <= t.vclock && a.q.length === 0) t.byAgent.delete(a.agent);
  }
}
