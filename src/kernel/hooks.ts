/**
 * Pre- and post-operation hooks. A pre-hook runs before an operation and may veto it with a reason
 * (the operation then fails with E_VETOED and nothing changes); post-hooks observe the outcome.
 * Hooks are looked up per operation, so an operation with none costs one map read.
 */
import { AiosError, type AgentId } from "../core/index.js";

export type Operation = "spawn" | "pause" | "resume" | "kill" | "clone" | "upgrade" | "merge" | "split" | "specialize" | "restart";

export interface HookEvent {
  readonly op: Operation;
  /** The agents the operation acts on (empty for spawn). */
  readonly agents: readonly AgentId[];
  /** Operation-specific details: the spec for spawn, the new version for upgrade, ... */
  readonly details: Readonly<Record<string, unknown>>;
}

export type PreHook = (e: HookEvent) => void | { veto: string } | Promise<void | { veto: string }>;
export type PostHook = (e: HookEvent & { readonly result: unknown }) => void | Promise<void>;

export class Hooks {
  private readonly pre = new Map<Operation, PreHook[]>();
  private readonly post = new Map<Operation, PostHook[]>();

  before(op: Operation, fn: PreHook): () => void {
    return add(this.pre, op, fn);
  }
  after(op: Operation, fn: PostHook): () => void {
    return add(this.post, op, fn);
  }
  has(op: Operation): boolean {
    return this.pre.has(op) || this.post.has(op);
  }

  /** Runs the pre-hooks; throws E_VETOED naming the first veto. */
  async runPre(e: HookEvent): Promise<void> {
    for (const fn of this.pre.get(e.op) ?? []) {
      const r = await fn(e);
      if (r !== undefined && typeof r === "object" && "veto" in r) {
        throw new AiosError("E_VETOED", `${e.op} vetoed by a pre-hook: ${r.veto}`, { details: { op: e.op, agents: e.agents, reason: r.veto } });
      }
    }
  }

  async runPost(e: HookEvent, result: unknown): Promise<void> {
    for (const fn of this.post.get(e.op) ?? []) await fn({ ...e, result });
  }
}

function add<F>(m: Map<Operation, F[]>, op: Operation, fn: F): () => void {
  m.set(op, [...(m.get(op) ?? []), fn]);
  return () => {
    const left = (m.get(op) ?? []).filter((f) => f !== fn);
    if (left.length === 0) m.delete(op);
    else m.set(op, left);
  };
}
