/**
 * Round robin across agents: each agent has its own FIFO, and agents with waiting requests take turns
 * one grant each, so an agent that floods the queue cannot starve one that asks once.
 */
import { Ring } from "../../core/index.js";
import type { SchedPolicy } from "../sched-policy.js";
import type { Waiter } from "../waiter.js";

interface AgentQueue {
  readonly agent: string;
  readonly q: Ring<Waiter>;
  live: number;
  inTurn: boolean;
}

export class RoundRobinPolicy implements SchedPolicy {
  readonly name = "round-robin" as const;
  private readonly agents = new Map<string, AgentQueue>();
  private readonly turns = new Ring<AgentQueue>();
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(w: Waiter): void {
    let a = this.agents.get(w.agent);
    if (a === undefined) {
      a = { agent: w.agent, q: new Ring<Waiter>(), live: 0, inTurn: false };
      this.agents.set(w.agent, a);
    }
    a.q.push(w);
    a.live++;
    this.live++;
    if (!a.inTurn) {
      a.inTurn = true;
      this.turns.push(a);
    }
  }

  peek(): Waiter | undefined {
    const a = this.frontAgent();
    return a?.q.peek();
  }

  pop(): Waiter | undefined {
    const a = this.frontAgent();
    if (a === undefined) return undefined;
    this.turns.shift();
    const w = a.q.shift() as Waiter;
    a.live--;
    this.live--;
    if (a.live > 0) this.turns.push(a);
    else this.retire(a);
    return w;
  }

  remove(w: Waiter): void {
    const a = this.agents.get(w.agent);
    if (a !== undefined) a.live--;
    this.live--;
  }

  rekey(_w: Waiter): void {}

  /** The agent whose turn it is, with its queue's head live; drops agents with nothing live. */
  private frontAgent(): AgentQueue | undefined {
    for (let a = this.turns.peek(); a !== undefined; a = this.turns.peek()) {
      for (let h = a.q.peek(); h !== undefined && h.state !== "waiting"; h = a.q.peek()) a.q.shift();
      if (a.live > 0) return a;
      this.turns.shift();
      this.retire(a);
    }
    return undefined;
  }

  /** Takes an agent out of the turn order; forgets it once nothing of it is queued. */
  private retire(a: AgentQueue): void {
    a.inTurn = false;
    for (let h = a.q.peek(); h !== undefined && h.state !== "waiting"; h = a.q.peek()) a.q.shift();
    if (a.q.length === 0) this.agents.delete(a.agent);
  }
}
