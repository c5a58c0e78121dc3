/**
 * How an agent ends: the terminal transition, its logic's terminate hook, the abort of its in-flight
 * calls, refusal (or keeping, for a supervised agent that will come back) of its mail, the end of its
 * children, its removal from the table when ephemeral, and word to whoever waits for it and to its
 * supervisor. Nothing here runs for an agent that already ended.
 */
import { getEventListeners } from "node:events";
import { AiosError } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import { isLetter, type Letter } from "./mailbox.js";
import type { KernelPort } from "./kernel-port.js";
import type { Proc } from "./proc.js";
import type { ExitKind } from "./supervisor-state.js";
import { trackedBySupervisor } from "./ended.js";

export function endProcess(k: KernelPort, p: Proc, to: "completed" | "failed" | "killed", reason: string, kind: ExitKind, result?: unknown): void {
  if (isTerminal(p.status)) return;
  k.lifecycle.end(p, to, reason, result);
  try {
    p.logic.terminate?.(p.state, reason);
  } catch (e) {
    k.kernelError(e, `terminate of ${p.id}`);
  }
  cancelCalls(p, reason);
  // Built only when someone is waiting: ending a million idle micro agents must not build a million errors.
  const refusal = (): AiosError => new AiosError("E_AGENT_STOPPED", `agent ${p.spec.name} (${p.id}) ended (${to}: ${reason}) before handling the message`);
  // A kernel shutdown stops a durable agent without ending it: its journaled letters stay in the
  // journal and are handled after the restart, so their senders are answered "accepted", never
  // refused (issue #19.3) — a client that retried a refusal would create a duplicate.
  const keeps = k.closing && p.durable && k.guards.journal !== undefined;
  const answer = (l: Letter, err: () => AiosError): void => {
    if (l.reply === undefined) return;
    l.reply(keeps && l.id !== undefined ? deferred(p, l.id) : err());
  };
  const cur = p.current;
  if (isLetter(cur)) answer(cur, refusal);
  const mb = p.mailbox;
  if (mb.length + mb.waiting > 0) {
    const restartable = kind !== "shutdown" && p.parent?.sup != null && p.spec.restart !== "temporary";
    if (restartable) {
      // A supervised agent that may come back keeps its queued mail for its next incarnation.
      k.orphanMail.keep(p.id, mb.moveAll());
    } else {
      const err = refusal();
      for (const l of mb.drainAll(err, keeps ? isJournaled : undefined)) answer(l, () => err);
    }
  }
  if (p.sup !== null) p.sup.stopping = true;
  for (const c of [...(p.children ?? [])].reverse()) if (!isTerminal(c.status)) endProcess(k, c, "killed", `parent ${p.id} ended`, "shutdown");
  // Ephemeral agents leave no trace: out of the table and their parent's list.
  if (p.spec.ephemeral) k.procs.release(p);
  // A supervisor's children that ended earlier, waiting for a restart that will not come now.
  if (p.sup !== null && !k.closing) for (const c of p.children ?? []) if (isTerminal(c.status) && c.spec.ephemeral !== true) k.endedAgents.ended(c);
  k.guards.capabilities.forget?.(p);
  k.releaseIdle(p);
  const waiters = k.exitWaiters.get(p.id);
  if (waiters !== undefined) {
    k.exitWaiters.delete(p.id);
    for (const w of waiters) w({ id: p.id, status: p.status, reason, result });
  }
  k.onExit?.(p, kind);
  // Kept visible among the last ended ones, then out of the table (ended.ts); a live supervisor
  // that may restart it keeps it until it decides. A shutdown leaves the table as it is.
  if (!p.spec.ephemeral && !k.closing && !trackedBySupervisor(p)) k.endedAgents.ended(p);
}

const isJournaled = (l: Letter): boolean => l.id !== undefined;

/** The answer to a request journaled for a durable agent the kernel stopped: it will be handled, unanswered. */
export function deferred(p: Proc, message: string): AiosError {
  return new AiosError("E_DEFERRED", `the request to ${p.spec.name} (${p.id}) is journaled and will be handled after the kernel restarts; its reply will not come (the kernel shut down first)`, {
    details: { agent: p.id, message },
  });
}

/**
 * The reason every call of an agent that ended with nothing in flight is cancelled with. The signal
 * is still aborted (a call parked where it only polls `signal.aborted`, e.g. awaiting an approval,
 * must not start for an agent that is gone), but an agent that made one syscall and then idled must
 * not cost an Error with a stack trace when it ends: a million ended micro agents would build a
 * million. Read only as a cause or by such a poller, so one shared, frozen instance will do.
 */
const ENDED_IDLE: AiosError = Object.freeze(new AiosError("E_CANCELLED", "the calling agent ended"));

/**
 * Aborts the agent's calls. A per-agent reason (naming the agent and why it ended) is built only
 * when a call is in flight: a receive in progress (it may be awaiting a syscall) or something
 * listening on the signal (a model request, a tool process, a pool wait, a sleep). Signals derived
 * with AbortSignal.any() do not show up as listeners; such a call gets the shared reason.
 */
function cancelCalls(p: Proc, reason: string): void {
  const ctl = p.abort;
  if (ctl === null || ctl.signal.aborted) return;
  const inFlight = p.busy || getEventListeners(ctl.signal, "abort").length > 0;
  ctl.abort(inFlight ? new AiosError("E_CANCELLED", `agent ${p.id} ended: ${reason}`) : ENDED_IDLE);
}
