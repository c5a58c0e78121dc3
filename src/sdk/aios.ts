/**
 * The SDK facade (`import { boot } from "aios"`; DESIGN "Public surface"), one class whatever boot
 * built: spawn, message, operate on and observe agents, and the services of the subsystems —
 * os.memory, os.tools, os.caps, os.mcp, os.audit, os.storeHealth — and os.run for LLM agents. It
 * adds no behaviour of its own: every call goes to the kernel or to a service. A service the system
 * was built without is an E_CONFIG naming it, never a getter that waits for an install.
 */
import { rmSync } from "node:fs";
import { agentRef, invalid, keepAlive, millis, record, rejecting, text } from "./facade-args.js";
import { callTool, explain, operatorCall, grant, revoke, secretsFacade, type CallToolOptions, type GrantedToken, type SecretsFacade } from "./operator.js";
import { AiosError, toAiosError, type AgentId, type EventFilter, type AnyKernelEvent, type EventType, type KernelEvent, type Subscription, type SubscribeOptions } from "../core/index.js";
import { info, ps, tree, type AgentInfo, type Escalation, type ExitInfo, type Kernel, type MergeOptions, type Operation, type PostHook, type PreHook, type PsFilter, type SplitOptions, type StoreService, type TreeNode, type UpgradeOptions } from "../kernel/index.js";
import type { AgentSpec, AgentSpecInput, SyscallArgs, SyscallName, SyscallResult } from "../abi/index.js";
import type { AuditLog, AuditService } from "../audit/index.js";
import type { ClusterService } from "../cluster/index.js";
import type { Ipc } from "../ipc/index.js";
import type { MemoryFabric, MemoryService } from "../memory/index.js";
import { runLlm, type AgentHost, type LlmAnswer, type ModelsService } from "../models/index.js";
import type { ObserveService } from "../observe/index.js";
import { PlannerSurface, type LedgerSurface, type MarketSurface, type PlannerParts, type PlanOptions, type PlanResult, type PlanStatusView, type Profile } from "../planner/index.js";
import type { SchedService } from "../sched/index.js";
import type { Explanation, Security } from "../security/index.js";
import type { McpHub, ToolRegistry } from "../tools/index.js";

/** What `os.send` answers for a letter that went straight into the mailbox. */
const DELIVERED: Promise<void> = Promise.resolve();

/** The services of the subsystems boot built, by name (absent: not in this system). */
export interface Subsystems {
  readonly store?: StoreService;
  readonly security?: Security;
  readonly audit?: AuditService;
  readonly tools?: ToolRegistry;
  readonly sched?: SchedService;
  readonly mcp?: McpHub;
  readonly models?: ModelsService;
  readonly memory?: MemoryService;
  readonly ipc?: Ipc;
  readonly observe?: ObserveService;
  readonly planner?: PlannerParts;
  /** A cluster node's membership, leases and journal (added with clusterSubsystem, docs/adr/0033). */
  readonly cluster?: ClusterService;
  /** Services of subsystems added by the caller, under their names. */
  readonly [name: string]: unknown;
}

export type Unsubscribe = (() => void) & { readonly subscription: Subscription };

export class Aios {
  private plannerSurface: PlannerSurface | undefined;
  /**
   * What os.run drives: os.spawn, os.request and os.kill, with the spawn's `first` turn passed on to
   * the kernel (the run's start request shares the spawn's journal commit; models/subsystem.ts). The
   * spawn is unacknowledged: the caller sees only the answer, which waits for the spawn record with
   * everything else the agent journaled before it (ADR 0052).
   */
  private readonly runHost: AgentHost = {
    spawn: (spec, options) => rejecting(() => this.kernel.spawn(record("os.run", "spec", spec), options?.first === undefined ? { acknowledged: false } : { first: options.first, acknowledged: false })),
    request: (id, payload, options) => this.request(id, payload, options),
    kill: (id, reason) => this.kill(id, reason),
  };
  readonly events: {
    subscribe(filter: EventFilter, fn: (e: AnyKernelEvent) => void | Promise<void>, options?: SubscribeOptions): Unsubscribe;
    /** Resolves with the next event of `type` that satisfies `predicate`. */
    once<T extends EventType>(type: T, predicate?: (e: KernelEvent<T>) => boolean): Promise<KernelEvent<T>>;
  };
  /** An id `send` last resolved to itself (an agent's id, not a name). */
  private sentTo: string | undefined = undefined;
  readonly hooks: {
    before(op: Operation, fn: PreHook): () => void;
    after(op: Operation, fn: PostHook): () => void;
  };

  constructor(
    /** The kernel core (for the gateway, the CLI and tests; subsystems never see it). */
    readonly kernel: Kernel,
    readonly dataDir: string | undefined,
    /** The subsystems' services (empty on a bare kernel). */
    readonly subsystems: Subsystems = {},
    private readonly lifetime: { readonly temporary?: boolean } = {},
  ) {
    this.plannerSurface = undefined;
    this.events = {
      subscribe: (filter, fn, options) => {
        if (typeof fn !== "function") throw invalid("os.events.subscribe", "fn", "a function", fn);
        const sub = kernel.events.subscribe(record("os.events.subscribe", "filter", filter), fn, record("os.events.subscribe", "options", options, true));
        return Object.assign(() => sub.unsubscribe(), { subscription: sub });
      },
      once: (type, predicate) => kernel.events.once(type, predicate),
    };
    this.hooks = { before: (op, fn) => kernel.hooks.before(op, fn), after: (op, fn) => kernel.hooks.after(op, fn) };
  }

  spawn(spec: AgentSpecInput | AgentSpec): Promise<AgentId> {
    // No closure handed to `rejecting`: one per spawn was most of what a spawn allocated here.
    let input: AgentSpecInput | AgentSpec;
    try {
      input = record("os.spawn", "spec", spec);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : toAiosError(e));
    }
    return this.kernel.spawn(input);
  }
  /** Sends a message from outside the kernel; resolves once it is in the mailbox (or journaled). */
  send(id: string, payload: unknown): Promise<void> {
    // Not async: a letter that went straight into the mailbox answers with one settled promise
    // (no async frame, no promise allocated per message); a bad argument or a refusal still rejects.
    // The id the last send resolved to itself goes straight to delivery, which looks the agent up
    // anyway (a program sending to one agent in a loop pays one table lookup per message, not two).
    let r: void | Promise<void>;
    try {
      if (id === this.sentTo) {
        try {
          r = this.kernel.deliver(undefined, id, payload, undefined, undefined);
        } catch (e) {
          this.sentTo = undefined;
          // Gone since: the facade's own refusal (naming the parameter), or a route elsewhere.
          if (e instanceof AiosError && e.code === "E_NO_AGENT") return this.send(id, payload);
          throw e;
        }
      } else {
        const to = this.ref("os.send", id);
        r = this.kernel.deliver(undefined, to, payload, undefined, undefined);
        if (to === id) this.sentTo = id;
      }
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : toAiosError(e));
    }
    return r === undefined ? DELIVERED : r;
  }
  /** Asks an agent (id or name) and waits for its reply; E_TIMEOUT after `timeoutMs` (default 30 s). */
  request(id: string, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    return rejecting(() => {
      const to = this.ref("os.request", id);
      const timeoutMs = millis("os.request", "options.timeoutMs", record<{ timeoutMs?: unknown }>("os.request", "options", options).timeoutMs);
      return keepAlive(this.kernel.request(undefined, to, payload, timeoutMs));
    });
  }
  /** Invokes a syscall as the given agent (through the same door its own code uses). */
  syscall<N extends SyscallName>(as: string, name: N, args: SyscallArgs<N>): Promise<SyscallResult<N>> {
    return rejecting(() => keepAlive(this.kernel.dispatcher.invoke(this.kernel.get(this.ref("os.syscall", as, "as")), text("os.syscall", "name", name) as N, args)));
  }
  pause(id: string): Promise<void> {
    return rejecting(() => this.kernel.ops.pause(this.ref("os.pause", id)));
  }
  resume(id: string): Promise<void> {
    return rejecting(() => this.kernel.ops.resume(this.ref("os.resume", id)));
  }
  kill(id: string, reason?: string): Promise<boolean> {
    return rejecting(() => this.kernel.ops.kill(this.ref("os.kill", id), reason === undefined ? undefined : text("os.kill", "reason", reason)));
  }
  /**
   * Stops an agent and starts it again from its spec under the same id and name: a durable agent
   * keeps its journaled state, any other starts fresh; counted in its supervisor's restart intensity.
   */
  restart(id: string, reason?: string): Promise<AgentId> {
    return rejecting(() => this.kernel.ops.restart(this.ref("os.restart", id), reason === undefined ? undefined : text("os.restart", "reason", reason)));
  }
  clone(id: string, overrides?: Partial<AgentSpecInput>): Promise<AgentId> {
    return rejecting(() => this.kernel.ops.clone(this.ref("os.clone", id), record("os.clone", "overrides", overrides, true)));
  }
  upgrade(id: string, options: UpgradeOptions): Promise<void> {
    return rejecting(() => this.kernel.ops.upgrade(this.ref("os.upgrade", id), record("os.upgrade", "options", options)));
  }
  merge(a: string, b: string, options: MergeOptions): Promise<AgentId> {
    return rejecting(() => this.kernel.ops.merge(this.ref("os.merge", a, "a"), this.ref("os.merge", b, "b"), record("os.merge", "options", options)));
  }
  split(id: string, options: SplitOptions): Promise<[AgentId, AgentId]> {
    return rejecting(() => this.kernel.ops.split(this.ref("os.split", id), record("os.split", "options", options)));
  }
  specialize(id: string, narrow: Partial<AgentSpecInput>): Promise<AgentId> {
    return rejecting(() => this.kernel.ops.specialize(this.ref("os.specialize", id), record("os.specialize", "narrow", narrow)));
  }
  /**
   * Moves an agent, with its tree, to another node of the cluster this node belongs to (docs/adr/0035):
   * it stops here once its writes are committed and goes on there from the journal, state and mailbox.
   * E_CONFIG on a kernel that is not a cluster node.
   */
  migrate(id: string, node: string): Promise<{ readonly tree: string; readonly epoch: number }> {
    return rejecting(() => {
      const cluster = this.subsystems.cluster;
      if (cluster === undefined) throw new AiosError("E_CONFIG", "os.migrate: this kernel is not a cluster node (boot it with clusterSubsystem, or aios up --cluster)", { details: { path: "cluster" } });
      return cluster.migrate(this.ref("os.migrate", id), text("os.migrate", "node", node));
    });
  }
  status(id: string): AgentInfo {
    return info(this.kernel.get(this.ref("os.status", id)));
  }
  ps(filter?: PsFilter): AgentInfo[] {
    return ps(this.kernel, record("os.ps", "filter", filter, true));
  }
  tree(): TreeNode[] {
    return tree(this.kernel);
  }
  /** Resolves when the agent ends, with how it ended (and keeps the process alive until then). */
  wait(id: string): Promise<ExitInfo> {
    return rejecting(() => keepAlive(this.kernel.wait(this.ref("os.wait", id))));
  }
  /** Open escalations from supervisors that gave up, for a person to decide. */
  escalations(): Escalation[] {
    return [...this.kernel.supervision.escalations.values()];
  }
  decide(escalationId: string, decision: "restart" | "abandon"): Promise<AgentId | undefined> {
    return rejecting(() => {
      if (decision !== "restart" && decision !== "abandon") throw invalid("os.decide", "decision", `"restart" or "abandon"`, decision);
      return this.kernel.supervision.decide(text("os.decide", "escalationId", escalationId), decision);
    });
  }
  /**
   * Runs a tool through the door as the operator (or, with `{ as }`, as that agent): the same
   * validation, capability and policy checks, scheduling and audit as an agent's ToolCall.
   */
  callTool(name: string, args: Record<string, unknown> = {}, options: CallToolOptions = {}): Promise<unknown> {
    return rejecting(() => callTool(this.kernel, name, args, options));
  }
  /**
   * Invokes syscall `name` through the door as the operator (or, with `{ as }`, as that agent) —
   * e.g. `os.call("MemoryStore", { type: "note", content: { text: "hi" } })`: parsed, checked
   * against capabilities and policy, audited, like the same call made by an agent.
   */
  call<N extends SyscallName>(name: N, args: SyscallArgs<N>, options: CallToolOptions = {}): Promise<SyscallResult<N>> {
    return rejecting(() => operatorCall(this.kernel, name, args, options) as Promise<SyscallResult<N>>);
  }
  /** Explains whether `agent` (id or name) may do `capability` ("resource#action"), naming the deciding token or rule. */
  explain(agent: string, capability: string, syscall?: string): Explanation {
    return explain(this.kernel, this.caps, agent, capability, syscall);
  }
  /** Grants a capability to an agent (id or name) as a signed token, a week unless `ttlMs` says otherwise. */
  grant(agent: string, capability: string, options: { ttlMs?: number } = {}): GrantedToken {
    return grant(this.kernel, this.caps, agent, capability, options);
  }
  /** Revokes a token and everything delegated from it; answers how many tokens ended. */
  revoke(token: string): number {
    return revoke(this.kernel, this.caps, token);
  }
  /** Secrets for tools (`{{secret:NAME}}` in their arguments): set, list names, delete; never read back. */
  get secrets(): SecretsFacade {
    return secretsFacade(this.caps);
  }
  /** An agent id, or the name one agent bears; E_INVALID_ARG / E_NO_AGENT naming `param` otherwise. */
  private ref(fn: string, v: unknown, param = "id"): AgentId {
    return agentRef(this.kernel, fn, param, v);
  }
  /** True when boot made the data directory for this run: shutdown removes it. */
  get temporary(): boolean {
    return this.lifetime.temporary === true;
  }
  async shutdown(reason?: string): Promise<void> {
    await this.kernel.shutdown(reason);
    if (this.temporary && this.dataDir !== undefined) rmSync(this.dataDir, { recursive: true, force: true });
  }

  // ---- the subsystems' services --------------------------------------------------------------

  /** The memory fabric (`os.memory.store / query / get / history / link / neighbors`). */
  get memory(): MemoryFabric {
    return need(this.subsystems.memory?.fabric, "memory");
  }
  /** The tool registry (`os.tools.list()`, `register`). */
  get tools(): ToolRegistry {
    return need(this.subsystems.tools, "tools");
  }
  /** Capabilities, policy, approvals, secrets and keys. */
  get caps(): Security {
    return need(this.subsystems.security, "security");
  }
  /** The MCP client: registered servers (`os.mcp.add / remove / list`). */
  get mcp(): McpHub {
    return need(this.subsystems.mcp, "mcp");
  }
  get audit(): AuditLog {
    return need(this.subsystems.audit?.log, "audit");
  }
  /** What opening the journal found (records, repaired damage, an accepted loss); undefined without a store. */
  get storeHealth(): StoreService["health"] {
    return this.subsystems.store?.health;
  }
  /** Plans, markets, ledger and reputation through the door as the operator. */
  get planner(): PlannerSurface {
    this.plannerSurface ??= new PlannerSurface(need(this.subsystems.planner, "planner"));
    return this.plannerSurface;
  }
  /** Plans `goal` into a validated task graph, runs it through the market and waits for the answer. */
  plan(goal: string, options: PlanOptions = {}): Promise<PlanResult | PlanStatusView> {
    return this.planner.plan(goal, options);
  }
  /** The market: `os.market.book()`, `task(id)`, `workers()`. */
  get market(): MarketSurface {
    return this.planner.market;
  }
  /** The ledger: `os.ledger.balances()`, `balance(account)`, `transfers()`, `deposit()`, `totals()`. */
  get ledger(): LedgerSurface {
    return this.planner.ledger;
  }
  /** Reputation profiles (six dimensions and trust) of every known agent, or one. */
  reputation(agent?: string): Promise<Profile[]> {
    return this.planner.reputation(agent);
  }
  /** Spawns an LLM agent, runs it to completion on `goal` and returns its answer. */
  run(spec: AgentSpecInput, options: { goal?: string; timeoutMs?: number } = {}): Promise<LlmAnswer> {
    return runLlm(this.runHost, spec, options);
  }
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new AiosError("E_CONFIG", `this system has no ${what} subsystem (boot without stack: "bare" for the default stack, or add its subsystem)`, { details: { subsystem: what } });
  return v;
}
