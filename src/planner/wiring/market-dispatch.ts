/**
 * The executor's dispatch port wired to the market (issue #14: "Execution dispatches each task ...
 * through the market"). One plan task, one Contract Net round per attempt, every step a syscall
 * through the kernel's door as the plan's own poster (`plan:<planId>`) or the critic:
 *   MarketPost (cfp) -> each registered worker of the task's kind is asked for a bid (a request to
 *   the agent; it answers with its own MarketBid or MarketRefuse syscall) -> MarketAward (order book,
 *   reputation-weighted score; escrow reserves the price) -> accept-proposal to the winner with the
 *   inputs (it reports with MarketDone) -> CriticVerdict on the result -> MarketVerdict: accept posts
 *   the escrow to the worker and the result goes back to the executor; a veto voids the escrow, the
 *   result never leaves, and the task is re-posted without the vetoed worker (reassignment). When the
 *   last allowed attempt is vetoed a person decides (an approval request on the API/CLI): approve
 *   pays and returns the result, deny fails the task (the executor's bounded replanning follows).
 * Reputation learns from every round: quality (the critic's score), reliability, timeliness, cost.
 * Crash safety: a market task id is derived from the executor's dispatch key; after a restart the
 * same key finds its earlier reservation in the ledger, voids it if still pending, and takes the
 * next free id, so a resumed dispatch never pays twice and never leaves credits locked.
 */
import { AiosError, toAiosError, type Clock, type EventBus } from "../../core/index.js";
import type { DispatchCaller } from "../../kernel/index.js";
import type { SyscallArgs, SyscallName, SyscallResult, TraceSpan } from "../../abi/index.js";
import type { Dispatch, DispatchContext, Task } from "../graph/index.js";
import { compileJsonSchema } from "../graph/index.js";
import type { Ledger } from "../ledger/index.js";
import type { Market } from "../market/index.js";
import type { Reputation } from "../reputation/index.js";
import type { AcceptedResult, PlanPayer, WorkerInfo } from "./planner-store.js";
import type { Escrow } from "../ledger/index.js";
import type { VerdictJson } from "./syscalls.js";

export type Invoke = <N extends SyscallName>(caller: DispatchCaller, name: N, args: SyscallArgs<N>) => Promise<SyscallResult<N>>;

export interface EscalationRequest {
  readonly planId: string;
  readonly taskId: string;
  readonly marketTaskId: string;
  readonly worker: string;
  readonly verdict: VerdictJson;
}

export interface MarketDispatchPorts {
  readonly invoke: Invoke;
  /** A request to an agent from outside the kernel (kernel.request); rejects on timeout. `trace`: its parent span. */
  readonly request: (agent: string, payload: unknown, timeoutMs: number, trace: TraceSpan | undefined) => Promise<unknown>;
  /** Registered workers whose agents are alive. */
  readonly workers: () => readonly WorkerInfo[];
  readonly payer: (planId: string) => PlanPayer;
  /** The plan's own caller; it carries the plan's span (tracing on), so every dispatch is in the plan's trace. */
  readonly poster: (planId: string, payer: string) => DispatchCaller;
  readonly critic: DispatchCaller;
  readonly market: Market;
  readonly ledger: Ledger;
  readonly escrow: Escrow;
  /** Results the critic accepted, durable before their escrow is posted. */
  readonly accepted: { get(marketTask: string): AcceptedResult | undefined; put(marketTask: string, a: AcceptedResult): void };
  readonly reputation: Reputation;
  readonly events: EventBus;
  readonly clock: Clock;
  /** Asks a person; resolves true when approved. Absent: a vetoed last attempt fails the task. */
  readonly escalate?: (r: EscalationRequest) => Promise<boolean>;
  /** How long workers have to bid (ms of the kernel clock; default 5000). */
  readonly bidWindowMs?: number;
  /** Contract Net rounds per dispatch before escalating (default 3). */
  readonly maxAttempts?: number;
}

/** What a worker is sent with accept-proposal (and a cfp without the inputs). */
export interface WorkOrder {
  readonly performative: "cfp" | "accept-proposal";
  readonly taskId: string;
  readonly kind: string;
  readonly description: string;
  readonly budget: string;
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly outputSchema?: Readonly<Record<string, unknown>>;
}

export function marketDispatch(p: MarketDispatchPorts): Dispatch {
  const bidWindow = p.bidWindowMs ?? 5000;
  const maxAttempts = p.maxAttempts ?? 3;
  return async (task: Task, inputs: Readonly<Record<string, unknown>>, ctx: DispatchContext): Promise<unknown> => {
    const pay = p.payer(ctx.planId);
    const poster = p.poster(ctx.planId, pay.payer);
    const critic = poster.trace === undefined ? p.critic : { ...p.critic, trace: poster.trace };
    const excluded: string[] = [];
    const outputCheck = compileJsonSchema(task.outputSchema, `task "${task.id}" outputSchema`);
    for (let round = 0; ; round++) {
      abortIf(ctx.signal);
      const fresh = freshId(p, `${ctx.planId}/${task.id}/${ctx.attempt}`, round);
      if (typeof fresh !== "string") return fresh.result;
      const id = fresh;
      await p.invoke(poster, "MarketPost", {
        taskId: id, payer: pay.payer, ledger: pay.ledger, budget: task.budget.toString(), deadlineMs: bidWindow, workTimeoutMs: task.deadlineMs,
        description: task.description === "" ? task.kind : task.description.slice(0, 4096), ...(excluded.length === 0 ? {} : { exclude: [...excluded] }),
      });
      const invited = p.workers().filter((w) => !excluded.includes(w.agent) && (w.kinds.length === 0 || w.kinds.includes(task.kind)));
      const cfp: WorkOrder = { performative: "cfp", taskId: id, kind: task.kind, description: task.description, budget: task.budget.toString() };
      // Every invited worker answers with its own MarketBid or MarketRefuse syscall, then replies.
      await Promise.allSettled(invited.map((w) => p.request(w.agent, cfp, bidWindow, poster.trace)));
      abortIf(ctx.signal);
      const { awards } = await p.invoke(poster, "MarketAward", { taskId: id });
      const award = awards[id];
      if (award === undefined) {
        throw new AiosError("E_NO_AGENT", `task "${task.id}": no worker bid for it (${invited.length} invited${excluded.length === 0 ? "" : `, ${excluded.length} excluded after a veto`})`, { retryable: true, details: { path: `tasks.${task.id}`, task: task.id } });
      }
      const started = p.clock.now();
      const order: WorkOrder = { performative: "accept-proposal", taskId: id, kind: task.kind, description: task.description, budget: award.price, inputs, outputSchema: task.outputSchema };
      let reportError: AiosError | undefined;
      try {
        await p.request(award.worker, order, task.deadlineMs, poster.trace);
      } catch (e) {
        reportError = toAiosError(e, "E_TOOL");
      }
      const view = p.market.task(id);
      const onTime = p.clock.now() - started <= task.deadlineMs;
      if (view?.status !== "done") {
        // The worker gave up, failed or never reported: the reservation is void (or voids itself).
        if (view?.status === "awarded") await p.invoke(poster, "MarketVerdict", { taskId: id, accept: false });
        p.reputation.outcome(award.worker, { completed: false, onTime: false });
        excluded.push(award.worker);
        if (round + 1 >= maxAttempts) throw new AiosError("E_TOOL", `task "${task.id}": worker ${award.worker} did not deliver${reportError === undefined ? "" : `: ${reportError.message}`}`, { cause: reportError, details: { path: `tasks.${task.id}`, task: task.id } });
        continue;
      }
      const result = view.result;
      const schema = outputCheck(result);
      const verdict: VerdictJson = schema.ok
        ? await p.invoke(critic, "CriticVerdict", { subject: id, worker: award.worker, answer: answerText(result), question: task.description === "" ? task.kind : task.description, ...referenceOf(inputs) })
        : { subject: id, accept: false, score: 0, threshold: 1, dimensions: {}, reasons: [`format: ${schema.reason}`], vetoedBy: [`format: the result does not match the task's outputSchema: ${schema.reason}`] };
      if (!schema.ok) p.events.emit("critic.verdict", { ...verdict, worker: award.worker }, undefined, "warn");
      p.reputation.outcome(award.worker, { quality: verdict.score, completed: true, onTime });
      const bid = view.bids.find((b) => b.worker === award.worker);
      if (bid !== undefined) p.reputation.costs(award.worker, bid.price, BigInt(award.price));
      if (verdict.accept) {
        p.accepted.put(id, { account: award.account, result });
        await p.invoke(poster, "MarketVerdict", { taskId: id, accept: true });
        return result;
      }
      if (round + 1 < maxAttempts) {
        // Veto: the escrow is voided, the result stays here, the task goes to someone else.
        await p.invoke(poster, "MarketVerdict", { taskId: id, accept: false });
        excluded.push(award.worker);
        continue;
      }
      const reason = `the critic vetoed task "${task.id}" ${round + 1} time(s); last score ${verdict.score} < ${verdict.threshold}: ${verdict.reasons.join("; ")}`;
      p.events.emit("plan.escalated", { planId: ctx.planId, taskId: task.id, reason }, undefined, "warn");
      const approved = p.escalate === undefined ? false : await p.escalate({ planId: ctx.planId, taskId: task.id, marketTaskId: id, worker: award.worker, verdict });
      if (approved) p.accepted.put(id, { account: award.account, result });
      await p.invoke(poster, "MarketVerdict", { taskId: id, accept: approved });
      if (approved) return result;
      throw new AiosError("E_POLICY", `${reason}; a person ${p.escalate === undefined ? "was not asked (no approval queue)" : "denied the result"}`, { details: { path: `tasks.${task.id}`, task: task.id } });
    }
  };
}

/**
 * The first market id for this dispatch key that the market and the ledger have not seen — or the
 * result a round before a crash already bought. A round's reservation found pending after a restart
 * is voided (its credits go back) unless its result was accepted, in which case it is posted now and
 * that result returned: every dispatch key pays at most once.
 */
function freshId(p: MarketDispatchPorts, key: string, round: number): string | { result: unknown } {
  for (let n = round; ; n++) {
    const id = n === 0 ? key : `${key}/r${n}`;
    if (p.market.task(id) !== undefined) continue;
    const reservation = `task:${id}`;
    const prior = p.ledger.pending(reservation);
    if (prior === undefined) return id;
    const kept = p.accepted.get(id);
    if (kept !== undefined && prior.state !== "voided" && prior.state !== "expired") {
      if (prior.state === "pending") p.escrow.settle(reservation, { accept: true, worker: kept.account });
      return { result: kept.result };
    }
    if (prior.state === "pending") p.escrow.refund(reservation);
  }
}

function abortIf(signal: AbortSignal): void {
  if (signal.aborted) throw toAiosError(signal.reason, "E_TIMEOUT");
}

/** What the critic reads of a result: its text when it has one, else its JSON. */
export function answerText(result: unknown): string {
  if (typeof result === "string") return result;
  if (typeof result === "object" && result !== null && typeof (result as { text?: unknown }).text === "string") return (result as { text: string }).text;
  return JSON.stringify(result) ?? "";
}

/** The task's inputs are its sources: what the critic holds the result against. */
function referenceOf(inputs: Readonly<Record<string, unknown>>): { reference?: string } {
  const parts = Object.values(inputs).map(answerText).filter((s) => s.trim() !== "");
  return parts.length === 0 ? {} : { reference: parts.join("\n") };
}
