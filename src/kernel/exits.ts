/**
 * How an agent ends: the terminal transition (through the lifecycle), its logic's terminate hook, the
 * abort of its in-flight calls, refusal (or keeping, for a supervised agent that will come back) of
 * its mail, the end of its children, its removal from the table when ephemeral, and word to whoever
 * waits for it and to its supervisor. Nothing here runs for an agent that already ended. Owns who
 * waits for an agent to end (`wait`) or to finish its receive (`whenIdle`), and the kernel
 * shutdown's stop of a tree. Collaborators by constructor: the lifecycle, the process table, the
 * ended-agents ring, the orphan mail, the door's stages, the kernel's flags and the supervisor's ear.
 */
import { getEventListeners } from "node:events";
import { AiosError, type AgentId, type MessageId } from "../core/index.js";
import { isTerminal, type ResourceScheduler } from "../abi/index.js";
import type { Guards } from "./guards.js";
import { retireTallies } from "./door-tallies.js";
import { trackedBySupervisor, type EndedAgents } from "./ended.js";
import type { ExitInfo, KernelFlags } from "./kernel-port.js";
import type { Ending, Lifecycle } from "./lifecycle.js";
import { isLetter, type Letter } from "./mailbox.js";
import type { OrphanMail } from "./orphan-mail.js";
import { ENDED_IDLE, type Proc } from "./proc.js";
import type { ProcessTable } from "./process-table.js";
import type { ExitKind } from "./supervisor-state.js";

export interface ExitsDeps {
  readonly lifecycle: Lifecycle;
  readonly procs: ProcessTable;
  readonly ended: EndedAgents;
  readonly orphans: OrphanMail;
  readonly guards: Guards;
  readonly flags: KernelFlags;
  readonly kernelError: (e: unknown, where: string) => void;
  /** Told after an agent exits (supervision.ts). */
  readonly exited: (p: Proc, kind: ExitKind) => void;
}

export class Exits {
  /** Who waits for which agent to end (wait()). */
  private readonly waiters = new Map<AgentId, ((e: ExitInfo) => void)[]>();
  /** Set while agents leave for another cluster node (`leaving`): their journaled requests stay open. */
  private moving = false;

  constructor(private readonly d: ExitsDeps) {}

  /** Ends an agent: transition, terminate hook, refuse its mail, end its children, tell its supervisor. */
  exit(p: Proc, to: Ending, reason: string, kind: ExitKind, result?: unknown): void {
    if (isTerminal(p.status)) return;
    const d = this.d;
    d.lifecycle.end(p, to, reason, result);
    try {
      p.logic.terminate?.(p.state, reason);
    } catch (e) {
      d.kernelError(e, `terminate of ${p.id}`);
    }
    cancelCalls(p, reason, d.guards.scheduler);
    const closing = d.flags.closing;
    // Built only when someone is waiting: ending a million idle micro agents must not build a million errors.
    const refusal = (): AiosError => new AiosError("E_AGENT_STOPPED", `agent ${p.spec.name} (${p.id}) ended (${to}: ${reason}) before handling the message`);
    // A kernel shutdown stops a durable agent without ending it: its journaled letters stay in the
    // journal and are handled after the restart, so their senders are answered "accepted", never
    // refused (issue #19.3) — a client that retried a refusal would create a duplicate.
    const keeps = closing && p.durable && d.guards.journal !== undefined;
    const moving = this.moving && p.durable;
    const answer = (l: Letter, err: () => AiosError): void => {
      if (l.reply === undefined) return;
      // The agent's next owner handles the journaled letter and answers it (docs/adr/0050).
      if (moving && l.id !== undefined && d.guards.journal?.keepReply?.(l.id as MessageId, l.reply) === true) return;
      l.reply(keeps && l.id !== undefined ? deferred(p, l.id) : err());
    };
    const cur = p.current;
    if (isLetter(cur)) answer(cur, refusal);
    const mb = p.mailbox;
    if (mb.length + mb.waiting > 0) {
      const restartable = kind !== "shutdown" && p.parent?.sup != null && p.spec.restart !== "temporary";
      if (restartable) {
        // A supervised agent that may come back keeps its queued mail for its next incarnation.
        d.orphans.keep(p.id, mb.moveAll());
      } else {
        const err = refusal();
        for (const l of mb.drainAll(err, keeps || moving ? isJournaled : undefined)) answer(l, () => err);
      }
    }
    if (p.sup !== null) p.sup.stopping = true;
    for (const c of [...(p.children ?? [])].reverse()) if (!isTerminal(c.status)) this.exit(c, "killed", `parent ${p.id} ended`, "shutdown");
    // Ephemeral agents leave no trace: out of the table and their parent's list.
    if (p.spec.ephemeral) d.procs.release(p);
    // A supervisor's children that ended earlier, waiting for a restart that will not come now.
    if (p.sup !== null && !closing) for (const c of p.children ?? []) if (isTerminal(c.status) && c.spec.ephemeral !== true) d.ended.ended(c);
    d.guards.capabilities.forget?.(p);
    retireTallies(p, d.guards.audit);
    this.releaseIdle(p);
    const waiters = this.waiters.get(p.id);
    if (waiters !== undefined) {
      this.waiters.delete(p.id);
      for (const w of waiters) w({ id: p.id, status: p.status, reason, result });
    }
    d.exited(p, kind);
    // Kept visible among the last ended ones, then out of the table (ended.ts); a live supervisor
    // that may restart it keeps it until it decides. A shutdown leaves the table as it is.
    if (!p.spec.ephemeral && !closing && !trackedBySupervisor(p)) d.ended.ended(p);
  }

  /** Resolves when the agent reaches a terminal state. */
  wait(p: Proc): Promise<ExitInfo> {
    if (isTerminal(p.status)) return Promise.resolve({ id: p.id, status: p.status, reason: p.exitReason, result: p.result });
    return new Promise((resolve) => {
      this.waiters.set(p.id, [...(this.waiters.get(p.id) ?? []), resolve]);
    });
  }

  /** Resolves when no receive is running for the agent. */
  whenIdle(p: Proc): Promise<void> {
    if (!p.busy) return Promise.resolve();
    return new Promise((r) => (p.idleWaiters ??= []).push(r));
  }

  /** Wakes whoever waits for the agent's in-flight receive to finish. */
  releaseIdle(p: Proc): void {
    const w = p.idleWaiters;
    if (w === null) return;
    p.idleWaiters = null;
    for (const r of w) r();
  }

  /**
   * Runs `fn` (stopping trees whose cluster lease moved to another node) with their journaled
   * requests kept open: the journal holds each request's callback until the next owner answers it.
   */
  leaving(fn: () => void): void {
    this.moving = true;
    try {
      fn();
    } finally {
      this.moving = false;
    }
  }

  /**
   * The kernel's shutdown stops `p`'s tree, children first. A dormant agent never started in this
   * process: nothing of it runs or ends; it stays as the journal holds it (its tree is dormant with
   * it). Only whoever waits for it hears of the stop.
   */
  stopTree(p: Proc, reason: string): void {
    if (p.dormant !== null) {
      for (const c of p.children ?? []) this.stopTree(c, reason);
      const waiters = this.waiters.get(p.id);
      if (waiters === undefined) return;
      this.waiters.delete(p.id);
      for (const w of waiters) w({ id: p.id, status: "killed", reason, result: undefined });
      return;
    }
    if (p.sup !== null) p.sup.stopping = true;
    for (const c of [...(p.children ?? [])].reverse()) this.stopTree(c, reason);
    if (!isTerminal(p.status)) this.exit(p, "killed", reason, "shutdown");
  }
}

const isJournaled = (l: Letter): boolean => l.id !== undefined;

/** The answer to a request journaled for a durable agent the kernel stopped: it will be handled, unanswered. */
export function deferred(p: Proc, message: string): AiosError {
  return new AiosError("E_DEFERRED", `the request to ${p.spec.name} (${p.id}) is journaled and will be handled after the kernel restarts; its reply will not come (the kernel shut down first)`, {
    details: { agent: p.id, message },
  });
}

/**
 * Aborts the agent's calls: first those waiting for a scheduler slot (the scheduler keeps no
 * listener on an agent's signal: the kernel cancels their waits here, ADR 0076), then the signal,
 * if one was made (ADR 0077; Proc.signal: one made later is already aborted).
 * A per-agent reason (naming the agent and why it ended) is built only when a call is in flight: a
 * slot wait, a receive in progress (it may be awaiting a syscall) or something listening on the
 * signal (a model request, a tool process, a sleep). Signals derived with AbortSignal.any() do not
 * show up as listeners; such a call gets the shared reason.
 */
function cancelCalls(p: Proc, reason: string, scheduler: ResourceScheduler | undefined): void {
  let why: AiosError | undefined;
  const because = (): AiosError => (why ??= endedReason(p, reason));
  scheduler?.cancelWaiting?.(p.id, because);
  // No signal made yet: none is, a call that reads it later gets one already aborted (Proc.signal).
  const ctl = p.abort;
  if (ctl === null || ctl.signal.aborted) return;
  ctl.abort(why ?? (p.busy || getEventListeners(ctl.signal, "abort").length > 0 ? because() : ENDED_IDLE));
}

/**
 * The per-agent reason, without a stack trace: it is thrown where the aborted call awaits, never
 * here, so the exit path's frames would say nothing.
 */
function endedReason(p: Proc, reason: string): AiosError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AiosError("E_CANCELLED", `agent ${p.id} ended: ${reason}`);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
