/**
 * Supervisors (kind: supervisor) with OTP semantics. A supervisor starts its children in order; when
 * one exits it applies the child's restart type (permanent, transient, temporary) and its strategy
 * (one_for_one, one_for_all, rest_for_one) within its restart intensity, with optional exponential
 * backoff. A supervisor that exceeds its intensity stops its children (last started first) and fails,
 * which escalates to its own supervisor; when the root gives up, an escalation asks a person to decide.
 * Restarted children keep their agent id (a new incarnation), so messages keep reaching them.
 */
import { AiosError, type AgentId, type Clock, type EventBus, type IdGenerator } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Proc } from "./proc.js";
import type { AgentLogic } from "../abi/index.js";
import type { AgentSpec } from "../abi/index.js";
import { admitRestart, backoffDelay, newSupervisorState, restartSet, shouldRestart, type ExitKind } from "./supervisor-state.js";

export interface Escalation {
  readonly id: string;
  readonly supervisor: AgentId;
  readonly name: string;
  readonly reason: string;
  readonly at: number;
  status: "open" | "restarted" | "abandoned";
}

/** A supervisor handles no messages of its own; its work happens in reaction to child exits. */
export const supervisorLogic: AgentLogic = {
  receive: (state) => state,
};

/** What supervision uses: the kernel's clock, ids and events, the process table's lookup, and the spawn, start, exit and mail steps. */
export interface SupervisionDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: EventBus;
  readonly find: (id: string) => Proc | undefined;
  readonly get: (id: string) => Proc;
  readonly spawn: (spec: AgentSpec, options?: { parent?: string }) => Promise<AgentId>;
  /** Builds and enters a new incarnation of a child in its old slot (spawner.ts). */
  readonly enter: (spec: AgentSpec, logic: AgentLogic, parent: Proc, id: AgentId, incarnation: number, slot: Proc) => Proc;
  readonly start: (p: Proc) => void | Promise<void>;
  readonly exit: (p: Proc, to: "failed" | "killed", reason: string, kind: ExitKind) => void;
  /** Hands an exited child's kept mail to its new incarnation (orphan-mail.ts). */
  readonly adoptMail: (p: Proc) => void;
  /** Refuses the kept mail of a child that will not come back. */
  readonly refuseMail: (id: AgentId, reason: string) => void;
  readonly kernelError: (e: unknown, where: string) => void;
}

export class Supervision {
  readonly escalations = new Map<string, Escalation>();

  constructor(private readonly k: SupervisionDeps) {}

  /** Starts a supervisor's children in order, after the supervisor itself runs (startup.ts). */
  async startChildren(sup: Proc): Promise<void> {
    const st = (sup.sup = newSupervisorState(sup.spec));
    for (const child of sup.spec.children ?? []) {
      const id = await this.k.spawn(child, { parent: sup.id });
      st.order.push(id);
      st.specs.set(id, child);
    }
  }

  /** An agent exited (exits.ts): when its supervisor tracks it, the restart rules apply. */
  childExited(child: Proc, kind: ExitKind): void {
    const sup = child.parent;
    if (sup === null || sup.sup === null || isTerminal(sup.status)) return;
    const st = sup.sup;
    if (st.stopping || !st.specs.has(child.id)) return;
    if (!shouldRestart(child.spec.restart, kind)) {
      if (child.spec.restart === "temporary" || kind !== "shutdown") this.forget(sup, child.id);
      return;
    }
    if (!admitRestart(st, this.k.clock.now())) {
      this.giveUp(sup, `restart intensity exceeded: more than ${st.intensity} restart(s) in ${st.periodMs} ms (last: ${child.spec.name}: ${child.exitReason ?? "?"})`);
      return;
    }
    const ids = restartSet(st, child.id);
    st.stopping = true;
    for (const id of [...ids].reverse()) {
      const p = this.k.find(id);
      if (p !== undefined && !isTerminal(p.status)) this.k.exit(p, "killed", `restarting under ${st.strategy} after ${child.spec.name} exited`, "shutdown");
    }
    st.stopping = false;
    const delay = backoffDelay(st);
    const restart = (): void => void this.restart(sup, ids);
    if (delay > 0) this.k.clock.setTimeout(restart, delay);
    else queueMicrotask(restart);
  }

  private async restart(sup: Proc, ids: readonly AgentId[]): Promise<void> {
    const st = sup.sup;
    if (st === null || isTerminal(sup.status) || st.stopping) return;
    for (const id of ids) {
      const spec = st.specs.get(id);
      const old = this.k.find(id);
      if (spec === undefined || old === undefined) continue;
      try {
        await this.respawn(sup, old, spec);
      } catch (e) {
        // A child that cannot start counts as another failure of the same child.
        this.k.kernelError(e, `restart of ${id}`);
        const again = this.k.find(id);
        if (again !== undefined && isTerminal(again.status)) this.childExited(again, "abnormal");
        return;
      }
    }
  }

  private async respawn(sup: Proc, old: Proc, spec: AgentSpec): Promise<void> {
    const p = this.k.enter(spec, old.logic, sup, old.id, old.incarnation + 1, old);
    // The call sequence goes on: idempotency keys derived from (agent, call sequence) never repeat.
    p.callSeq = old.callSeq;
    if (this.k.events.wants("agent.restarted")) {
      this.k.events.emit("agent.restarted", { supervisor: sup.id, by: "supervisor", attempt: sup.sup?.restarts.length ?? 0, newId: p.id }, p.id, "warn");
    }
    this.k.adoptMail(p);
    await this.k.start(p);
  }

  private forget(sup: Proc, id: AgentId): void {
    const st = sup.sup;
    this.k.refuseMail(id, "its supervisor does not restart it");
    if (st === null) return;
    st.specs.delete(id);
    const i = st.order.indexOf(id);
    if (i >= 0) st.order.splice(i, 1);
  }

  /** Stops every child (last started first) and fails the supervisor, escalating upward. */
  private giveUp(sup: Proc, reason: string): void {
    const st = sup.sup;
    if (st === null) return;
    if (this.k.events.wants("supervisor.escalated")) {
      this.k.events.emit("supervisor.escalated", { strategy: st.strategy, restarts: st.restarts.length, periodMs: st.periodMs, reason }, sup.id, "error");
    }
    const root = sup.parent === null || sup.parent.sup === null;
    for (const id of st.order) this.k.refuseMail(id, reason);
    this.k.exit(sup, "failed", reason, "abnormal");
    if (root) {
      const esc: Escalation = { id: this.k.ids.next("esc"), supervisor: sup.id, name: sup.spec.name, reason, at: this.k.clock.now(), status: "open" };
      this.escalations.set(esc.id, esc);
      this.k.events.emit("supervisor.gave_up", { approvalId: esc.id, reason }, sup.id, "critical");
    }
  }

  /** A person's decision on an escalation: restart the whole tree afresh, or abandon it. */
  async decide(escalationId: string, decision: "restart" | "abandon"): Promise<AgentId | undefined> {
    const esc = this.escalations.get(escalationId);
    if (esc === undefined) throw new AiosError("E_NOT_FOUND", `no escalation ${escalationId}`, { details: { escalation: escalationId } });
    if (esc.status !== "open") throw new AiosError("E_CONFLICT", `escalation ${escalationId} was already ${esc.status}`);
    if (decision === "abandon") {
      esc.status = "abandoned";
      return undefined;
    }
    const old = this.k.get(esc.supervisor);
    esc.status = "restarted";
    return this.k.spawn(old.spec);
  }
}
