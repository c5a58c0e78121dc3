/**
 * Supervisors (kind: supervisor) with OTP semantics. A supervisor starts its children in order; when
 * one exits it applies the child's restart type (permanent, transient, temporary) and its strategy
 * (one_for_one, one_for_all, rest_for_one) within its restart intensity, with optional exponential
 * backoff. A supervisor that exceeds its intensity stops its children (last started first) and fails,
 * which escalates to its own supervisor; when the root gives up, an escalation asks a person to decide.
 * Restarted children keep their agent id (a new incarnation), so messages keep reaching them.
 *
 * On a cluster a child may be a tree of its own (`placement.tree`, docs/adr/0048): a root placed by
 * its hints, on this node or another, that its supervisor follows through the cluster's directory.
 * The cluster tells the supervisor (`remoteDown`) when such a child ends or its node dies; its node's
 * death is a takeover, not an exit — the child goes on elsewhere from its journal, the death counts
 * in the restart intensity and the rest of the restart set restarts. An ended child tree that is to
 * restart starts again as a new tree (a new id, the same spec and name: names resolve across nodes),
 * and the cluster stops a child tree whose supervisor let it go (ended, or started another in its slot).
 */
import { AiosError, type AgentId, type Clock, type EventBus, type IdGenerator } from "../core/index.js";
import { isTerminal, type RemoteDown, type SupervisorLink } from "../abi/index.js";
import type { Proc } from "./proc.js";
import type { AgentLogic } from "../abi/index.js";
import type { AgentSpec } from "../abi/index.js";
import { admitRestart, backoffDelay, newSupervisorState, restartSet, shouldRestart, type ExitKind, type SupervisorState } from "./supervisor-state.js";

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
  /** True on a cluster node whose journal places trees (a child may be a tree of its own). */
  readonly separateTrees: () => boolean;
  /** Spawns a supervisor's child as a tree of its own, linked to it (spawner.ts, `link`). */
  readonly spawnTree: (spec: AgentSpec, link: SupervisorLink) => Promise<AgentId>;
}

export class Supervision {
  readonly escalations = new Map<string, Escalation>();

  constructor(private readonly k: SupervisionDeps) {}

  /** Starts a supervisor's children in order, after the supervisor itself runs (startup.ts). */
  async startChildren(sup: Proc): Promise<void> {
    const st = (sup.sup = newSupervisorState(sup.spec));
    const kids = sup.spec.children ?? [];
    for (let slot = 0; slot < kids.length; slot++) {
      const child = kids[slot] as AgentSpec;
      const own = this.ownTree(child);
      const id = own ? await this.k.spawnTree(child, { supervisor: sup.id, slot }) : await this.k.spawn(child, { parent: sup.id });
      if (own) st.remote.set(id, slot);
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
    this.react(sup, st, child.id, child.spec, kind, child.exitReason ?? "?");
  }

  /**
   * A child tree of `sup` ended or lost its node (docs/adr/0048; the cluster reports it, once per
   * fact, to the node holding `sup`). A child the supervisor does not know yet (its own tree was taken
   * over since it started the child) is taken back into its bookkeeping by its slot.
   */
  remoteDown(sup: Proc, d: RemoteDown): void {
    const st = sup.sup;
    if (st === null || isTerminal(sup.status) || st.stopping) return;
    const spec = st.specs.get(d.child) ?? this.adoptRemote(sup, st, d);
    if (spec === undefined) return;
    if (d.reason === "ended") {
      const kind: ExitKind = d.status === "completed" ? "normal" : d.status === "failed" ? "abnormal" : "shutdown";
      this.react(sup, st, d.child, spec, kind, `${d.status ?? "ended"} on its node`);
      return;
    }
    // Its node died and another took its tree over: it goes on there from its journal (one
    // activation, a new epoch). That is its restart: counted, and the rest of its set restarts.
    if (!this.admit(sup, st, `${spec.name}: its node ${d.node ?? "?"} died`)) return;
    if (this.k.events.wants("agent.restarted")) {
      this.k.events.emit("agent.restarted", { supervisor: sup.id, by: "takeover", attempt: st.restarts.length, newId: d.child, ...(d.node === undefined ? {} : { node: d.node }) }, d.child, "warn");
    }
    const others = restartSet(st, d.child).filter((id) => id !== d.child);
    if (others.length > 0) this.stopAndRestart(sup, st, others, `${spec.name} lost its node`);
  }

  /** Whether a child spec starts as a tree of its own: asked for, and on a cluster that places trees. */
  private ownTree(child: AgentSpec): boolean {
    return child.placement?.tree === true && this.k.separateTrees();
  }

  private adoptRemote(sup: Proc, st: SupervisorState, d: RemoteDown): AgentSpec | undefined {
    const spec = sup.spec.children?.[d.slot];
    if (spec === undefined || !this.ownTree(spec)) return undefined;
    for (const s of st.remote.values()) if (s === d.slot) return undefined; // it knows a newer child there
    st.remote.set(d.child, d.slot);
    st.order.push(d.child);
    st.specs.set(d.child, spec);
    return spec;
  }

  /** The restart rules after child `id` (spec `spec`) exited with `kind`. */
  private react(sup: Proc, st: SupervisorState, id: AgentId, spec: AgentSpec, kind: ExitKind, why: string): void {
    if (!shouldRestart(spec.restart, kind)) {
      if (spec.restart === "temporary" || kind !== "shutdown") this.forget(sup, id);
      return;
    }
    if (!this.admit(sup, st, `${spec.name}: ${why}`)) return;
    this.stopAndRestart(sup, st, restartSet(st, id), `${spec.name} exited`);
  }

  /** Counts a restart in `sup`'s intensity; past it, `sup` gives up (naming `last`) and this is false. */
  private admit(sup: Proc, st: SupervisorState, last: string): boolean {
    if (admitRestart(st, this.k.clock.now())) return true;
    this.giveUp(sup, `restart intensity exceeded: more than ${st.intensity} restart(s) in ${st.periodMs} ms (last: ${last})`);
    return false;
  }

  /** Stops the local children of `ids` (last started first) and starts them all again, after any backoff. */
  private stopAndRestart(sup: Proc, st: SupervisorState, ids: readonly AgentId[], why: string): void {
    st.stopping = true;
    for (const id of [...ids].reverse()) {
      // A child tree is stopped by its own node once a newer child holds its slot (monitors).
      if (st.remote.has(id)) continue;
      const p = this.k.find(id);
      if (p !== undefined && !isTerminal(p.status)) this.k.exit(p, "killed", `restarting under ${st.strategy} after ${why}`, "shutdown");
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
      const slot = st.remote.get(id);
      const old = this.k.find(id);
      if (spec === undefined || (slot === undefined && old === undefined)) continue;
      try {
        if (slot !== undefined) await this.respawnTree(sup, st, id, slot, spec);
        else if (old !== undefined) await this.respawn(sup, old, spec);
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

  /**
   * A child tree starts again as a new tree in the old one's place (a new id, the same spec, slot and
   * name). Once its spawn is journaled the old child is never reported again, and its node stops it
   * if it still runs (a newer child holds its slot).
   */
  private async respawnTree(sup: Proc, st: SupervisorState, old: AgentId, slot: number, spec: AgentSpec): Promise<void> {
    const id = await this.k.spawnTree(spec, { supervisor: sup.id, slot });
    const at = st.order.indexOf(old);
    if (at >= 0) st.order[at] = id;
    else st.order.push(id);
    st.specs.delete(old);
    st.specs.set(id, spec);
    st.remote.delete(old);
    st.remote.set(id, slot);
    if (this.k.events.wants("agent.restarted")) {
      this.k.events.emit("agent.restarted", { supervisor: sup.id, by: "supervisor", attempt: st.restarts.length, newId: id, previous: old }, id, "warn");
    }
  }

  private forget(sup: Proc, id: AgentId): void {
    const st = sup.sup;
    this.k.refuseMail(id, "its supervisor does not restart it");
    if (st === null) return;
    st.remote.delete(id);
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
