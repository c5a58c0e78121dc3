/**
 * The operator's restart of one agent (issue #13: the process tree's "restart" button): the agent is
 * stopped with reason "restart" and started again from its current spec under the same id and name,
 * as a new incarnation, the way a supervisor restarts a child (supervision.ts).
 *
 * - State: a durable agent keeps what its journal holds — the checkpoint of its last handled
 *   message, which is its state once it is idle — so its stop is not journaled as an end (that would
 *   drop its journaled mailbox and call log, store/state.ts) and the new incarnation's spawn record
 *   carries the checkpoint. Any other agent (ephemeral, or without a data directory) starts fresh
 *   from init, as after a supervised restart.
 * - Mail: letters queued for it (and senders parked on its full mailbox) pass to the new incarnation.
 * - Children: they end with it (journaled), as on any exit; a supervisor starts its children afresh.
 * - Supervision: a restart of a supervised child is counted in its supervisor's restart intensity; a
 *   restart that would exceed it is refused (E_QUOTA, retryable once the period passes) and the agent
 *   keeps running — an operator's click must not make the supervisor give up its whole tree. The
 *   supervisor does not see the stop as an exit to react to.
 * - Record: the lifecycle transitions (killed with reason "restart: ...", then pending and running)
 *   and `agent.restarted` with `by: "operator"` are events, which the audit log records.
 * An agent that has ended cannot be restarted (E_CONFLICT): spawn it again instead.
 */
import { AiosError, type AgentId, type Clock, type EventBus } from "../core/index.js";
import { isTerminal, type AgentLogic, type AgentSpec } from "../abi/index.js";
import { admitRestart } from "./supervisor-state.js";
import type { Ending, Lifecycle } from "./lifecycle.js";
import type { OrphanMail } from "./orphan-mail.js";
import type { ExitKind } from "./supervisor-state.js";
import { snapshotOf, type Proc } from "./proc.js";

/** What a restart uses: the lifecycle, the exit and start steps, the spawner's entry and the orphan mail. */
export interface RestartDeps {
  readonly clock: Clock;
  readonly events: EventBus;
  readonly lifecycle: Lifecycle;
  readonly orphans: OrphanMail;
  readonly whenIdle: (p: Proc) => Promise<void>;
  readonly exit: (p: Proc, to: Ending, reason: string, kind: ExitKind) => void;
  /** Builds and enters a new incarnation in the old one's slot (spawner.ts). */
  readonly enter: (spec: AgentSpec, logic: AgentLogic, parent: Proc | null, id: AgentId, incarnation: number, slot: Proc) => Proc;
  readonly start: (p: Proc, restored: boolean) => void | Promise<void>;
}

export async function restartProc(k: RestartDeps, p: Proc, reason: string): Promise<AgentId> {
  if (isTerminal(p.status)) {
    throw new AiosError("E_CONFLICT", `agent ${p.spec.name} (${p.id}) has ended (${p.status}); spawn it again instead of restarting it`, { details: { agent: p.id, status: p.status } });
  }
  await k.whenIdle(p);
  if (isTerminal(p.status)) throw new AiosError("E_CONFLICT", `agent ${p.spec.name} (${p.id}) ended while its restart waited`, { details: { agent: p.id, status: p.status } });
  const sup = p.parent;
  const st = sup !== null && sup.sup !== null && !isTerminal(sup.status) && sup.sup.specs.has(p.id) ? sup.sup : null;
  if (st !== null && !admitRestart(st, k.clock.now())) {
    throw new AiosError("E_QUOTA", `restarting ${p.spec.name} (${p.id}) would exceed its supervisor's restart intensity (${st.intensity} in ${st.periodMs} ms); try again later`, {
      retryable: true, details: { agent: p.id, supervisor: sup?.id, intensity: st.intensity, periodMs: st.periodMs },
    });
  }
  const kept = p.durable ? journaledState(p) : undefined;
  // The mail passes to the next incarnation before the stop, so nothing queued is refused.
  k.orphans.keep(p.id, p.mailbox.moveAll());
  const why = `restart: ${reason}`;
  // Children end for good (journaled): a restarted supervisor starts fresh ones from its spec.
  if (p.sup !== null) p.sup.stopping = true;
  for (const c of [...(p.children ?? [])].reverse()) if (!isTerminal(c.status)) k.exit(c, "killed", `parent ${p.id} restarting`, "shutdown");
  if (st !== null) st.stopping = true;
  try {
    const stop = (): void => k.exit(p, "killed", why, "shutdown");
    if (p.durable) k.lifecycle.unjournaled(stop);
    else stop();
  } finally {
    if (st !== null) st.stopping = false;
  }
  const q = k.enter(p.spec, p.logic, p.parent, p.id, p.incarnation + 1, p);
  // The call sequence goes on: idempotency keys derived from (agent, call sequence) never repeat.
  q.callSeq = p.callSeq;
  if (kept !== undefined) q.state = kept;
  if (k.events.wants("agent.restarted")) {
    k.events.emit("agent.restarted", { by: "operator", reason, attempt: st?.restarts.length ?? 0, newId: q.id, ...(st !== null && sup !== null ? { supervisor: sup.id } : {}) }, q.id, "warn");
  }
  k.orphans.adopt(q);
  await k.start(q, kept !== undefined);
  return q.id;
}

/** The state the agent's journal holds for it: its snapshot, restored (a copy, never shared). */
function journaledState(p: Proc): unknown {
  const copy = structuredClone(snapshotOf(p));
  return p.logic.restore ? p.logic.restore(copy) : copy;
}
