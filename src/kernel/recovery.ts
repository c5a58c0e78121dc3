/**
 * Bringing durable agents back after a restart (DESIGN invariant 2). Every journaled agent that had
 * not ended is recreated under its own id, parents before children, with the state of its last
 * checkpoint (through the logic's restore), its syscall counter (so replayed calls line up with their
 * journaled results) and its unacknowledged mail, in order. It resumes as it was: running or paused.
 * A supervisor gets its bookkeeping back for the children that were recovered; it does not start
 * fresh ones. An agent that cannot come back (unknown logic, a failing restore) is reported, and the
 * rest still recover.
 */
import { toAiosError, type AgentId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Kernel } from "./kernel.js";
import type { RecoveredState, StoredAgent } from "../abi/index.js";
import type { Proc } from "./proc.js";
import { newSupervisorState } from "./supervisor-state.js";

export interface RecoveryOutcome {
  readonly restored: readonly AgentId[];
  readonly failed: readonly { readonly id: AgentId; readonly reason: string }[];
  readonly messages: number;
}

export async function restoreAgents(k: Kernel, state: RecoveredState): Promise<RecoveryOutcome> {
  const live = state.agents.filter((a) => !isTerminal(a.status));
  const byId = new Map(live.map((a) => [a.id, a]));
  const restored: AgentId[] = [];
  const failed: { id: AgentId; reason: string }[] = [];
  const procs = new Map<AgentId, Proc>();
  let messages = 0;

  const restoreOne = async (a: StoredAgent): Promise<Proc | undefined> => {
    const done = procs.get(a.id);
    if (done !== undefined) return done;
    const parentStored = a.parent === undefined ? undefined : byId.get(a.parent);
    const parent = parentStored === undefined ? null : (await restoreOne(parentStored)) ?? null;
    let built: Proc | undefined;
    try {
      const spec = k.parse(a.spec as never, `journal:${a.id}`);
      // A module is checked again against today's roots; an agent whose journaled parent did not come
      // back is held to an agent's roots (its creator cannot be shown to be the operator).
      const logic = await k.resolveLogicFor(spec, parent === null && a.parent !== undefined ? "agent" : parent);
      // Built, restored, then registered: a restore that throws leaves nothing in the table.
      const p = (built = k.createProc(spec, logic, parent, a.id, 0, { commit: false }));
      if (!p.durable) throw new Error("its spec is no longer durable");
      p.callSeq = a.callSeq;
      if (a.checkpoint !== undefined) p.state = logic.restore ? logic.restore(a.checkpoint) : a.checkpoint;
      else if (logic.init !== undefined) p.state = await logic.init(k.ctxOf(p), spec.args);
      k.commitProc(p);
      for (const m of state.mailboxes.get(a.id) ?? []) {
        k.adoptLetter(p, { payload: m.payload, from: m.from, id: m.id, trace: m.trace });
        messages++;
      }
      procs.set(a.id, p);
      return p;
    } catch (e) {
      // Nor anything in the capability checker (an agent created by an agent had its authority derived).
      if (built !== undefined) k.guards.capabilities.forget?.(built);
      failed.push({ id: a.id, reason: toAiosError(e).message });
      return undefined;
    }
  };

  for (const a of live) await restoreOne(a);

  // Supervisors get their bookkeeping back for the children that came back, in spawn order.
  for (const p of procs.values()) {
    if (p.spec.kind !== "supervisor") continue;
    const st = (p.sup = newSupervisorState(p.spec));
    for (const c of p.children ?? []) {
      st.order.push(c.id);
      st.specs.set(c.id, c.spec);
    }
  }
  for (const a of live) {
    const p = procs.get(a.id);
    if (p === undefined) continue;
    k.resumeRestored(p, a.status === "paused");
    restored.push(p.id);
  }
  return { restored, failed, messages };
}
