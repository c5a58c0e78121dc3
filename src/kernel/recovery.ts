/**
 * Bringing durable agents back after a restart (DESIGN invariant 2), lazily (issue #17 item 6).
 *
 * At boot every journaled agent that had not ended enters the process table under its own id, with
 * its parent, its validated spec and its syscall counter, but *dormant*: no logic resolved, no module
 * loaded, no state restored, no event emitted. Names, ids, the tree and `ps` are all known at boot;
 * what costs (resolving and loading code, restoring state, the events and audit of a restore) is paid
 * on first use — a message or request to the agent, any operation on it (pause, resume, kill,
 * clone, upgrade, merge, split, specialize, a spawn under it), or a syscall made as it (the door
 * wakes its caller: Dispatcher.wakeCaller) — see `wake`. Agents with journaled
 * mail are woken at boot, since they have work to do.
 *
 * The unit of waking is a tree: waking any agent wakes the whole tree it belongs to (root first,
 * parents before children), so a supervisor always has every child, a parent's children list is
 * whole, and an awake agent never has a dormant parent or child.
 *
 * Waking one agent: its module is checked against today's module roots (ADR 0022) — against its
 * creator's, or an agent's when the journaled parent did not come back — before any of its code runs;
 * then the state of its last checkpoint is restored (through the logic's restore) or, without one,
 * init runs; then its unacknowledged mail goes back in its mailbox, in order. A supervisor gets its
 * bookkeeping back for its children; it does not start fresh ones. The agent then resumes as it was,
 * running or paused (a journaled `recover` transition, as an eager restore made). An agent that
 * cannot come back is reported (kernel.error): found at boot (a spec this build rejects, an unknown
 * logic or kind, a module outside the roots: checked without loading anything) it is never entered;
 * found at its first use (a module that fails to load, a restore or init that throws) it is removed
 * from the table, and whoever asked gets E_NO_AGENT naming why; nothing was delivered to it.
 * docs/adr/0027 records the decisions.
 *
 * Nothing acknowledged is lost by waiting: a dormant agent's journal records are untouched until it
 * wakes, its callSeq is restored at boot, so replayed syscalls still line up with their journaled
 * results and an in-flight call without one is still reported effect-unknown (dispatcher.ts).
 */
import { AiosError, toAiosError, type AgentId } from "../core/index.js";
import type { AgentContext } from "../abi/index.js";
import { isTerminal } from "../abi/index.js";
import type { AgentLogic, AgentSpec, RecoveredAgent, RecoveredState, StoredMessage } from "../abi/index.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ProcessTable } from "./process-table.js";
import type { Dormant, Proc } from "./proc.js";
import { newSupervisorState } from "./supervisor-state.js";
import { initSettled } from "./init-ctx.js";

/** Stands in for a dormant agent's logic: never run (a dormant agent is `pending`, never scheduled). */
const DORMANT: AgentLogic = Object.freeze({
  receive(): never {
    throw new AiosError("E_INTERNAL", "a dormant agent was run before it was restored");
  },
});

export interface RecoveryOutcome {
  /** Agents known at boot (in the table, dormant or woken). */
  readonly known: number;
  /** Agents woken at boot (they had journaled mail). */
  readonly woken: number;
  readonly failed: readonly { readonly id: AgentId; readonly reason: string }[];
  readonly messages: number;
}

/** What recovery uses: the process table, the lifecycle, the spawner's logic checks and the mail. */
export interface RecoveryDeps {
  readonly procs: ProcessTable;
  readonly lifecycle: Lifecycle;
  readonly parse: (input: unknown, source?: string) => AgentSpec;
  readonly checkLogicFor: (spec: AgentSpec, parent: Proc | null | "agent") => void;
  readonly resolveLogicFor: (spec: AgentSpec, parent: Proc | null | "agent") => AgentLogic | Promise<AgentLogic>;
  /** The context an init gets (not kept on the process: kernel.ts). */
  readonly initCtx: (p: Proc) => AgentContext;
  /** Puts a recovered (already journaled) message back in a mailbox (mail.ts). */
  readonly adoptLetter: (p: Proc, m: StoredMessage) => void;
  readonly schedule: (p: Proc) => void;
  readonly kernelError: (e: unknown, where: string) => void;
}

export class Recovery {
  /** Trees being woken, by root: a second use while one wakes waits for the same wake. */
  private readonly waking = new Map<Proc, Promise<void>>();
  private dormantCount = 0;

  constructor(private readonly k: RecoveryDeps) {}

  /** Agents still dormant. */
  get dormant(): number {
    return this.dormantCount;
  }

  /** Trees being woken right now (bounded by the trees in the table; empty when idle). */
  get wakingTrees(): number {
    return this.waking.size;
  }

  /**
   * Enters every live journaled agent in the table, dormant, parents before children; wakes the
   * trees of those with journaled mail. A spec this build no longer accepts is reported, not guessed.
   */
  async adopt(state: RecoveredState): Promise<RecoveryOutcome> {
    const k = this.k;
    const live = state.agents.filter((a) => !isTerminal(a.status));
    const byId = new Map(live.map((a) => [a.id, a]));
    const procs = new Map<AgentId, Proc | null>();
    const failed: { id: AgentId; reason: string }[] = [];
    let messages = 0;

    const enter = (a: RecoveredAgent): Proc | null => {
      const done = procs.get(a.id);
      if (done !== undefined) return done;
      procs.set(a.id, null); // a journaled cycle of parents ends here
      const parentStored = a.parent === undefined ? undefined : byId.get(a.parent);
      const parent = parentStored === undefined ? null : enter(parentStored);
      let built: Proc | undefined;
      try {
        const spec = k.parse(a.spec, `journal:${a.id}`);
        // Today's module roots and logics, checked now without loading anything (again on waking,
        // right before the code is loaded): an agent that could not come back is not in the table.
        const orphan = parent === null && a.parent !== undefined;
        k.checkLogicFor(spec, orphan ? "agent" : parent);
        const p = (built = k.procs.build(spec, DORMANT, parent, a.id));
        if (!p.durable) throw new Error("its spec is no longer durable");
        p.callSeq = a.callSeq;
        const mail = [...(state.mailboxes.get(a.id) ?? [])];
        messages += mail.length;
        p.dormant = { status: a.status, checkpoint: a.checkpoint, hasCheckpoint: a.checkpoint !== undefined, mail, orphan };
        // Entered unannounced: it is announced when it is restored.
        k.procs.commit(p);
        this.dormantCount++;
        procs.set(a.id, p);
        return p;
      } catch (e) {
        // Nothing in the capability checker either (an agent created by an agent had its authority derived).
        if (built !== undefined) k.procs.abandon(built);
        failed.push({ id: a.id, reason: toAiosError(e).message });
        return null;
      }
    };
    for (const a of live) enter(a);

    // Agents with mail have work to do: their trees come back now.
    let woken = 0;
    for (const a of live) {
      const p = procs.get(a.id);
      if (p == null || p.dormant === null || !state.mailboxes.has(a.id)) continue;
      const before = this.dormantCount;
      try {
        await this.wake(p);
      } catch {
        // Reported by the wake (kernel.error); the rest still come back.
      }
      woken += before - this.dormantCount;
    }
    return { known: k.procs.size, woken, failed, messages };
  }

  /**
   * Brings `p`'s tree back if `p` is dormant. Resolves once `p` is restored; rejects with E_NO_AGENT
   * when `p` could not be (it is no longer in the table; kernel.error says why).
   */
  wake(p: Proc): Promise<void> {
    let root = p;
    while (root.parent !== null && root.parent.dormant !== null) root = root.parent;
    let w = this.waking.get(root);
    if (w === undefined) {
      w = this.wakeTree(root).finally(() => this.waking.delete(root));
      this.waking.set(root, w);
    }
    return w.then(() => {
      if (this.k.procs.find(p.id) !== p) {
        throw new AiosError("E_NO_AGENT", `no agent ${p.id}: it could not be restored after the restart (see the kernel.error event)`, { details: { agent: p.id } });
      }
    });
  }

  private async wakeTree(root: Proc): Promise<void> {
    const order: Proc[] = [];
    const walk = (p: Proc): void => {
      if (p.dormant === null) return;
      order.push(p);
      for (const c of p.children ?? []) walk(c);
    };
    walk(root);
    const back: { p: Proc; paused: boolean }[] = [];
    for (const p of order) {
      const d = p.dormant;
      if (d === null) continue;
      try {
        await this.restoreOne(p, d);
        back.push({ p, paused: d.status === "paused" });
      } catch (e) {
        this.failed(p, e);
      }
    }
    // Supervisors get their bookkeeping back for the children that came back, in spawn order.
    for (const { p } of back) {
      if (p.spec.kind !== "supervisor") continue;
      const st = (p.sup = newSupervisorState(p.spec));
      for (const c of p.children ?? []) {
        st.order.push(c.id);
        st.specs.set(c.id, c.spec);
      }
    }
    // Each resumes as it was (running, or paused again); one with mail goes on the run queue.
    for (const { p, paused } of back) {
      if (this.k.procs.find(p.id) !== p) continue;
      this.k.lifecycle.recovered(p, paused);
      if (!paused && p.mailbox.length > 0) this.k.schedule(p);
    }
  }

  /** Code checked, then loaded; state restored (or init run); mail put back. */
  private async restoreOne(p: Proc, d: Dormant): Promise<void> {
    const k = this.k;
    const spec: AgentSpec = p.spec;
    // A module is checked again against today's roots before anything of it runs; an agent whose
    // journaled parent did not come back is held to an agent's roots (its creator cannot be shown to
    // be the operator).
    const resolved = k.resolveLogicFor(spec, d.orphan ? "agent" : p.parent);
    const logic = resolved instanceof Promise ? await resolved : resolved;
    p.logic = logic;
    if (d.hasCheckpoint) p.state = logic.restore ? logic.restore(d.checkpoint) : d.checkpoint;
    else if (logic.init !== undefined) {
      const ctx = k.initCtx(p);
      try {
        p.state = await logic.init(ctx, spec.args);
      } finally {
        initSettled(ctx);
      }
    }
    p.dormant = null;
    this.dormantCount--;
    k.lifecycle.created(p);
    for (const m of d.mail) k.adoptLetter(p, m);
  }

  /** `p` leaves the table without being restored (evicted: its lease moved to another node). */
  forget(p: Proc): void {
    if (p.dormant === null) return;
    p.dormant = null;
    this.dormantCount--;
  }

  /** A restore that failed leaves nothing behind: out of the table; its children become roots. */
  private failed(p: Proc, e: unknown): void {
    if (p.dormant !== null) {
      this.dormantCount--;
      p.dormant = null;
    }
    this.k.procs.discard(p, false);
    this.k.kernelError(new AiosError("E_AGENT_CRASHED", `agent ${p.id} could not be restored: ${toAiosError(e).message}`, { cause: e, details: { agent: p.id } }), `recovery of ${p.id}`);
  }
}
