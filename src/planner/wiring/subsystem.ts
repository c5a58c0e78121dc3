/**
 * plannerSubsystem: the planner, market, ledger, reputation and critic as a factory (issue #14 item
 * 8; abi/subsystem.ts). With a data directory the default stack builds it (sdk/subsystems.ts); it owns
 *   <dir>/ledger/ledger.db    the double-entry ledger with escrow (ADR 0011)
 *   <dir>/planner/plans.db    the plan journal (versions, task records, ends)
 *   <dir>/planner/market.db   registered workers and who pays for each plan
 * and provides every planner syscall: PlanCreate/PlanStatus, the market's (MarketPost ... MarketTask,
 * LedgerBalance, LedgerTransfers) and the wired ones (MarketJoin, MarketBook, LedgerAccounts,
 * LedgerDeposit, ReputationRead, CriticVerdict). Plans run through the market (market-dispatch.ts),
 * every bid, award, transfer and verdict a syscall through the door. Events: every Contract Net
 * message (`market.message`), committed transfer (`ledger.transfer`), expiry, verdict and plan step.
 * Settle: when a call's real usage reports credits, they are charged to the agent's ledger wallet
 * (`agent:<id>` -> `costs:<ledger>`), so model and tool costs of plan workers land in the ledger.
 * The planner's model calls (an LlmPlanner) go through the door as LlmInvoke of the plan's creator,
 * under the plan's span (doorModels; ADR 0042). Its `start` step (run by boot once agents are restored) continues every plan the journal holds
 * open: a plan in flight survives kill -9 of the daemon. Its service (`planner`) is the PlannerParts. Shutdown: runs in flight stop journaling (their
 * tasks are re-dispatched after the restart) before the stores close.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AiosError, type AgentId, type TenantId } from "../../core/index.js";
import type { AnySyscallDef, Caller, CallUsage, DoorCaller, Subsystem, SubsystemHost, SyscallArgs, SyscallName, SyscallResult, TraceSpan } from "../../abi/index.js";
import { Critic, ScriptedJudge, type CriticWeights, type JudgeModel } from "../critic/index.js";
import { PlanEngine, planSyscalls, SqlitePlanJournal, type Dispatch, type Planner, type PlannerModels, type ReplanContext } from "../graph/index.js";
import type { ChatResult, LlmInvokeArgs } from "../../models/index.js";
import { Escrow, Ledger } from "../ledger/index.js";
import { Market, marketSyscalls, reputationScore, type ContractNetMessage } from "../market/index.js";
import { Reputation } from "../reputation/index.js";
import { formatTraceparent, remoteParent } from "../../observe/index.js";
import { marketDispatch, type EscalationRequest, type Invoke } from "./market-dispatch.js";
import { PlannerStore, type WorkerInfo } from "./planner-store.js";
import { splitPlanner } from "./split-planner.js";
import { DEFAULT_LEDGER, openWallet, wiredSyscalls, workerAccount } from "./syscalls.js";
import "./events.js";

export interface PlannerSubsystemOptions {
  /** Where the planner keeps its files (the data dir; subfolders ledger/ and planner/). */
  readonly dataDir: string;
  /** Goal -> task graph (default: splitPlanner, rule-based and offline). */
  readonly planner?: Planner;
  /** The critic's judge model (default: the deterministic ScriptedJudge). */
  readonly judge?: JudgeModel;
  readonly criticThreshold?: number;
  readonly criticWeights?: CriticWeights;
  /** Pre-trusted agents of the reputation graph (default: ["operator"]). */
  readonly seeds?: readonly string[];
  /** Weight of reputation in clearing (0: price only; default 1). */
  readonly reputationWeight?: number;
  readonly bidWindowMs?: number;
  /** Contract Net rounds per task before a veto is escalated to a person (default 3). */
  readonly maxAttempts?: number;
  readonly maxReplans?: number;
  /** What the operator (SDK, API, CLI) may do and delegate to its plans (default: everything). */
  readonly operatorCapabilities?: readonly string[];
  /**
   * Asks a person about a vetoed last attempt (the composition root passes security's approval
   * queue); resolves true to accept the result anyway.
   */
  readonly escalate?: (r: EscalationRequest) => Promise<boolean>;
}

export interface PlannerParts {
  readonly engine: PlanEngine;
  readonly market: Market;
  readonly ledger: Ledger;
  readonly escrow: Escrow;
  readonly reputation: Reputation;
  readonly critic: Critic;
  readonly store: PlannerStore;
  /** Invokes a syscall through the kernel's door as the operator. */
  operator<N extends SyscallName>(name: N, args: SyscallArgs<N>): Promise<SyscallResult<N>>;
  readonly invoke: Invoke;
  readonly operatorCaller: DoorCaller;
}

export const OPERATOR = "operator";
const DEFAULT_OPERATOR_CAPS = ["**#*"];
/** Account code of the `costs:<ledger>` sink that model and tool credits are paid into. */
const COSTS_CODE = 4;

function syntheticCaller(agent: string, capabilities: readonly string[]): DoorCaller {
  return { agent: agent as AgentId, tenant: "default" as TenantId, name: agent, capabilities, taint: new Set<string>(), priority: 0, callSeq: 0, durable: false };
}

/**
 * The planner's door to the models: each call an LlmInvoke as `caller` (the plan's creator) under
 * `trace` (the plan's span), so the creator's capability, budgets and quotas admit it, its real usage
 * is settled onto them, and it is audited and traced (`chat {model}`) like the creator's own call.
 * Not journaled as the creator's (durable: false): it runs inside the PlanCreate (or a replan),
 * whose own record is what a restart sees.
 */
function doorModels(invoke: (caller: DoorCaller, name: string, args: unknown) => Promise<unknown>, caller: Caller, trace: TraceSpan | undefined): PlannerModels {
  const c: DoorCaller = {
    agent: caller.agent, tenant: caller.tenant, name: caller.name, capabilities: caller.capabilities, taint: caller.taint, priority: caller.priority,
    callSeq: 0, durable: false, ...(trace === undefined ? {} : { trace }),
  };
  return async (model, req) => {
    const args: LlmInvokeArgs = { model, messages: req.messages, ...(req.tools === undefined ? {} : { tools: req.tools }), ...(req.output === undefined ? {} : { output: req.output }) };
    return (await invoke(c, "LlmInvoke", args)) as ChatResult;
  };
}

export function plannerSubsystem(o: PlannerSubsystemOptions): Subsystem<"planner", PlannerParts> {
  return {
    name: "planner",
    needs: [],
    build(kernel: SubsystemHost) {
      let stopping = false;
      mkdirSync(join(o.dataDir, "ledger"), { recursive: true, mode: 0o700 });
      mkdirSync(join(o.dataDir, "planner"), { recursive: true, mode: 0o700 });
      const clock = kernel.clock;
      const ledger = new Ledger({ path: join(o.dataDir, "ledger", "ledger.db"), clock });
      const escrow = new Escrow(ledger);
      const journal = new SqlitePlanJournal(join(o.dataDir, "planner", "plans.db"));
      const store = new PlannerStore(join(o.dataDir, "planner", "market.db"));
      const seeds = o.seeds ?? [OPERATOR];
      const reputation = new Reputation({ clock, seeds });
      for (const w of store.workers()) reputation.register(w.agent, w.agent);
      const weight = o.reputationWeight ?? 1;
      const notify = (m: ContractNetMessage): void => {
        kernel.events.emit("market.message", { performative: m.performative, taskId: m.taskId, from: m.from, ...(m.to === undefined ? {} : { to: m.to }), payload: m.payload }, m.to as AgentId | undefined);
      };
      const market = new Market({
        ledger, escrow, clock, notify,
        ...(weight === 0 ? {} : { score: reputationScore((w) => reputation.clearingWeight(w), weight) }),
      });
      const critic = new Critic({ judge: o.judge ?? new ScriptedJudge(), ...(o.criticThreshold === undefined ? {} : { threshold: o.criticThreshold }), ...(o.criticWeights === undefined ? {} : { weights: o.criticWeights }) });
      ledger.onTransfers((ts) => {
        for (const t of ts) {
          const flags = (["linked", "pending", "postPending", "voidPending"] as const).filter((f) => t.flags[f]);
          kernel.events.emit("ledger.transfer", { id: t.id, debit: t.debitAccountId, credit: t.creditAccountId, amount: t.amount.toString(), ledger: t.ledger, ...(t.pendingId === undefined ? {} : { pendingId: t.pendingId }), flags });
        }
      });
      ledger.onExpired((ids) => kernel.events.emit("ledger.expired", { ids: [...ids] }, undefined, "warn"));

      const invoke: Invoke = (caller, name, args) => kernel.invoke(caller, name, args);
      const operatorCaller = syntheticCaller(OPERATOR, o.operatorCapabilities ?? DEFAULT_OPERATOR_CAPS);
      const critCaller = syntheticCaller("critic", ["critic#judge"]);
      // A planner's model calls as `c`, through the door (PlanCreate's planner and a plan's replans).
      const modelsOf = (c: Caller, trace: TraceSpan | undefined): PlannerModels => doorModels((dc, name, args) => kernel.invoke(dc, name, args), c, trace);
      // Per running plan: its poster. A plan created here carries the PlanCreate's span (tracing on), so
      // its market calls, its requests to workers and the workers' handling are one trace with the plan.
      // A plan resumed after a restart gets the span back from the traceparent stored at its creation
      // (as a remote parent: the resumed work joins the plan's trace under its `plan create` span; ADR
      // 0042). The entry goes when the plan ends.
      const posters = new Map<string, DoorCaller>();
      const newPoster = (planId: string, payer: string, trace?: TraceSpan): DoorCaller => {
        const c = syntheticCaller(`plan:${planId}`, [`market:${planId}/**#post,award,verdict,read`, `ledger:${payer}#debit`]);
        return trace === undefined ? c : { ...c, trace };
      };
      const poster = (planId: string, payer: string): DoorCaller => {
        let c = posters.get(planId);
        if (c === undefined) {
          const stored = store.planTrace(planId);
          c = newPoster(planId, payer, stored === undefined ? undefined : remoteParent(stored));
          posters.set(planId, c);
        }
        return c;
      };
      const alive = (w: WorkerInfo): boolean => {
        const p = kernel.agent(w.agent);
        return p !== undefined && (p.status === "running" || p.status === "pending");
      };
      const inner = marketDispatch({
        invoke,
        request: (agent, payload, timeoutMs, trace) => kernel.request(agent, payload, timeoutMs, undefined, trace),
        workers: () => store.workers().filter(alive),
        payer: (planId) => store.payer(planId) ?? noPayer(planId),
        poster, critic: critCaller, market, ledger, escrow, reputation, events: kernel.events, clock,
        accepted: { get: (id) => store.accepted(id), put: (id, a) => store.putAccepted(id, a) },
        ...(o.escalate === undefined ? {} : { escalate: o.escalate }),
        ...(o.bidWindowMs === undefined ? {} : { bidWindowMs: o.bidWindowMs }),
        ...(o.maxAttempts === undefined ? {} : { maxAttempts: o.maxAttempts }),
      });
      // After shutdown begins nothing more is journaled: a task in flight is re-dispatched on restart.
      const never = new Promise<never>(() => undefined);
      const dispatch: Dispatch = async (task, inputs, ctx) => {
        try {
          const out = await inner(task, inputs, ctx);
          return stopping ? never : out;
        } catch (e) {
          if (stopping) return never;
          throw e;
        }
      };
      const engine = new PlanEngine({
        journal, planner: o.planner ?? splitPlanner(), dispatch, clock, newId: () => kernel.ids.next("plan"),
        ...(o.maxReplans === undefined ? {} : { maxReplans: o.maxReplans }),
        onRecord: (r) => kernel.events.emit("plan.task", { planId: r.planId, version: r.version, taskId: r.taskId, state: r.state, attempt: r.attempt }, undefined, r.state === "failed" ? "warn" : "info"),
        replanContext: (planId) => replanContext(planId),
        onOutcome: (out) => {
          if (posters.get(out.planId)?.trace !== undefined) store.dropPlanTrace(out.planId);
          posters.delete(out.planId);
          kernel.events.emit("plan.ended", { planId: out.planId, version: out.version, outcome: out.status, ...(out.error === undefined ? {} : { error: out.error }) }, undefined, out.status === "failed" ? "warn" : "info");
        },
      });
      // A replan's model calls are the plan's creator's (the operator, or an agent still alive), under the plan's span.
      function replanContext(planId: string): ReplanContext {
        const trace = posters.get(planId)?.trace;
        const owner = store.payer(planId)?.owner;
        const caller = owner === OPERATOR ? operatorCaller : owner === undefined ? undefined : kernel.agent(owner);
        const models: PlannerModels = caller === undefined
          ? () => Promise.reject(new AiosError("E_NO_AGENT", `plan ${planId}: its creator ${owner ?? "(unknown)"} is gone; nobody to charge the replanning model call to`, { details: { path: "planId" } }))
          : modelsOf(caller, trace);
        return { models, ...(trace === undefined ? {} : { trace }) };
      }
      const ledgerOf = (c: Caller): string => (c.tenant === "default" ? DEFAULT_LEDGER : c.tenant);
      const defaultPayer = (c: Caller): string => (c.agent === OPERATOR ? OPERATOR : workerAccount(c.agent));
      const available = (account: string): bigint => {
        const a = ledger.account(account);
        return a === undefined ? 0n : a.creditsPosted - a.debitsPosted - a.debitsPending;
      };
      const planDefs = planSyscalls(engine, (c, a) => available(a.payer ?? defaultPayer(c)), { models: modelsOf, onCreated: (snap, c, a, trace) => {
        const payer = a.payer ?? defaultPayer(c);
        if (trace !== undefined) {
          posters.set(snap.planId, newPoster(snap.planId, payer, trace));
          store.putPlanTrace(snap.planId, formatTraceparent(trace.spanContext()));
        }
        store.putPayer({ planId: snap.planId, payer, ledger: ledgerOf(c), owner: c.agent });
        kernel.events.emit("plan.created", { planId: snap.planId, version: snap.version, goal: snap.graph.goal, tasks: snap.graph.tasks.length, payer }, undefined);
      } });
      let n = 0;
      // The planner's builders return the table's general SyscallDef; each is one of the table's entries.
      const defs = [
        ...planDefs,
        ...marketSyscalls(market, ledger, clock),
        ...wiredSyscalls({ market, ledger, reputation, critic, store, events: kernel.events, newTransferId: () => `${kernel.ids.next("dep")}_${++n}` }),
      ] as unknown as AnySyscallDef[];
      // The operator's own wallet exists from the start (it pays for the operator's plans).
      openWallet(ledger, OPERATOR, DEFAULT_LEDGER);
      const parts: PlannerParts = {
        engine, market, ledger, escrow, reputation, critic, store, invoke, operatorCaller,
        operator: (name, args) => invoke(operatorCaller, name, args),
      };
      return {
        service: parts,
        syscalls: defs,
        settle: creditsToWallets(kernel, ledger, store),
        start: () => {
          if (stopping) return;
          // Each run reports its own end (plan.ended); a failing one does not stop the others.
          engine.resumeOpen().catch(() => undefined);
        },
        // Before the kernel stops the workers: a run they would fail under it stays open instead.
        stopping: () => {
          stopping = true;
          engine.interrupt();
        },
        stop: () => {
          stopping = true;
          market.close();
          ledger.close();
          journal.close();
          store.close();
        },
      };
    },
  };
}

function noPayer(planId: string): never {
  throw new AiosError("E_NOT_FOUND", `plan ${planId}: no payer recorded (the plan was created outside PlanCreate)`, { details: { path: "planId" } });
}

/**
 * The door's settle stage, extended: a call whose real usage reports credits also moves them from
 * the agent's wallet (if it has one) to the ledger's `costs:<ledger>` account. A wallet that cannot
 * cover it is a `ledger.transfer` that did not happen: reported as a kernel error, never thrown
 * into the call that already ran.
 */
function creditsToWallets(kernel: SubsystemHost, ledger: Ledger, store: PlannerStore): (caller: Caller, usage: CallUsage) => void {
  let seq = 0;
  const charge = (caller: Caller, usage: CallUsage): void => {
    if (!(usage.credits > 0)) return;
    const wallet = store.worker(caller.agent);
    if (wallet === undefined) return;
    const micro = BigInt(Math.round(usage.credits * 1_000_000));
    if (micro <= 0n) return;
    const costs = `costs:${wallet.ledger}`;
    try {
      const [c] = ledger.createAccounts([{ id: costs, ledger: wallet.ledger, code: COSTS_CODE }]);
      if (c?.status === "failed") throw c.error;
      ledger.transfer({ id: `cost:${caller.agent}:${kernel.ids.next("c")}:${++seq}`, debitAccountId: wallet.account, creditAccountId: costs, amount: micro, ledger: wallet.ledger, code: COSTS_CODE });
    } catch (e) {
      kernel.kernelError(e, `charging ${micro} micro-credits of ${caller.agent} to its wallet`);
    }
  };
  return charge;
}
