/**
 * The syscall table (DESIGN "Syscall table") and the contract a subsystem implements to add a syscall.
 * Subsystems augment SyscallMap with their calls' argument and result types and register a
 * SyscallDef in the composition root; agents reach them as `await ctx.sys.<Name>(args)`.
 */
import type { AgentId, HandleId, TenantId } from "../core/index.js";

/** Argument and result types per syscall name. Subsystems add their own by declaration merging. */
export interface SyscallMap {
  // AgentSpawn is declared beside the spec it takes (agent.ts).
  AgentKill: { args: { id: string; reason?: string }; result: { killed: boolean } };
  AgentRegister: { args: { skills: { name: string; description: string; input?: string; output?: string }[]; input?: string; output?: string }; result: { registered: number } };
  SemanticSend: { args: SemanticSendArgs; result: SemanticSendResult | undefined };
  /** A request to one agent; resolves with its reply (ctx.request). */
  AgentRequest: { args: { to: string; payload: unknown; timeoutMs?: number }; result: unknown };
  SemanticRecv: { args: { timeoutMs?: number; stream?: string }; result: SemanticRecvResult | null };
  SemanticSubscribe: { args: { pattern: string; mode?: "push" | "pull"; unsubscribe?: boolean }; result: { subscriptions: number } };
  MemoryStore: { args: { type: string; content: unknown; scope?: string; tags?: string[]; embedding?: number[]; ttlMs?: number }; result: { id: string; version: string } };
  MemoryQuery: { args: { text?: string; vector?: number[]; k?: number; filter?: Record<string, unknown>; mode?: "hybrid" | "lexical" | "vector" }; result: { hits: unknown[] } };
  AgentMemAlloc: { args: { bytes: number }; result: { allocated: number } };
  AgentMemFree: { args: { bytes: number }; result: { allocated: number } };
  MemoryGet: { args: { id: string }; result: unknown };
  MemoryUpdate: { args: { id: string; content?: unknown; tags?: string[]; base?: string; embedding?: number[] }; result: { id: string; version: string; conflicts?: readonly string[] } };
  MemoryHistory: { args: { id: string }; result: { versions: unknown[]; heads: readonly string[] } };
  MemoryLink: { args: { from: string; to: string; type: string }; result: { created: boolean } };
  MemoryNeighbors: { args: { id: string; types?: string[]; direction?: "out" | "in" | "both"; depth?: number; limit?: number }; result: { nodes: unknown[] } };
  ToolCall: { args: { tool: string; args?: unknown; idempotencyKey?: string }; result: unknown };
  LlmInvoke: { args: { model?: string; messages: unknown[]; tools?: unknown[] }; result: unknown };
  CapGrant: { args: { to: string; capability: string; ttlMs?: number }; result: { granted: string } };
  CapRevoke: { args: { token: string }; result: { revoked: number } };
  PQCOperation: { args: { op: string; data: string }; result: unknown };
  GetAsyncResult: { args: { handle: string; waitMs?: number }; result: AsyncResultState };
  Noop: { args: Record<string, never>; result: null };
}

/**
 * SemanticSend (ipc/ issue #6): exactly one of `to` (an agent id; "*" broadcasts), `topic` or
 * `intent`. Without ipc/ installed only `to` + `payload` + `onFull` are understood (plain letters,
 * what ctx.send sends); the envelope fields are ipc/'s.
 */
export interface SemanticSendArgs {
  to?: string;
  topic?: string;
  intent?: string;
  payload: unknown;
  onFull?: "wait" | "fail";
  performative?: string;
  schema?: string;
  conversation?: string;
  replyTo?: string;
  taint?: string[];
  id?: string;
}
export interface SemanticSendResult {
  readonly id: string;
  readonly delivered: readonly string[];
  readonly deadLettered: readonly string[];
}
export interface SemanticRecvResult {
  readonly from?: AgentId;
  /** The sender's tenant (security/ taints cross-tenant reads). */
  readonly tenant?: string;
  readonly payload: unknown;
  readonly envelope?: unknown;
  readonly taint?: readonly string[];
  /** Stream reads: true once the stream has ended (payload undefined). */
  readonly done?: boolean;
}

export type SyscallName = keyof SyscallMap;
export type SyscallArgs<N extends SyscallName> = SyscallMap[N]["args"];
export type SyscallResult<N extends SyscallName> = SyscallMap[N]["result"];

/** What an agent sees: one async function per syscall. */
export type SyscallApi = { [N in SyscallName]: (args: SyscallArgs<N>) => Promise<SyscallResult<N>> };

export type AsyncResultState =
  | { readonly status: "pending"; readonly handle: HandleId }
  | { readonly status: "done"; readonly handle: HandleId; readonly result: unknown }
  | { readonly status: "error"; readonly handle: HandleId; readonly error: { code: string; message: string } };

/** Who is calling: the kernel's view of the agent, handed to guards and handlers. */
export interface Caller {
  readonly agent: AgentId;
  readonly tenant: TenantId;
  readonly name: string;
  /** The capability strings from the agent's spec (the default checker grants exactly these). */
  readonly capabilities: readonly string[];
  /** Taint labels on the agent's context (security issue); empty when clean. */
  readonly taint: ReadonlySet<string>;
  readonly priority: number;
  /**
   * The span this caller's calls belong under, when it carries one explicitly (tracing on): a gateway
   * caller acting under a remote parent (an incoming traceparent), or a nested call made inside
   * another call's span. Absent, a call's parent is the span of the message its agent is handling,
   * else the agent's run span.
   */
  readonly trace?: TraceSpan;
}

/**
 * A span as the kernel and subsystems carry it from call to call, explicitly (no async-context
 * storage: on Node 20 an AsyncLocalStorage turns on promise hooks for every promise of the process).
 * observe/ makes them while tracing is on; an OpenTelemetry `Span` is one. Code covered by a span
 * reads its W3C identity (for an outgoing traceparent) and may set attributes on it.
 */
export interface TraceSpan {
  spanContext(): TraceSpanContext;
  setAttribute(key: string, value: string | number | boolean): unknown;
}

/** The W3C identity of a span (OpenTelemetry's SpanContext shape). */
export interface TraceSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean;
  readonly traceState?: TraceStateLike;
}

/** A W3C tracestate list (OpenTelemetry's TraceState shape: immutable, each change a new list). */
export interface TraceStateLike {
  set(key: string, value: string): TraceStateLike;
  unset(key: string): TraceStateLike;
  get(key: string): string | undefined;
  serialize(): string;
}

/** What a syscall needs to be allowed: a resource and an action, in DESIGN's capability terms. */
export interface CapabilityRequest {
  readonly resource: string;
  readonly action: string;
  /** Amount charged against a counted constraint (tokens, max), default 1. */
  readonly amount?: number;
}

/** A validator for a syscall's arguments: returns the parsed value or throws E_INVALID_ARG. */
export type ArgParser<A> = (raw: unknown) => A;

export interface SyscallDef<N extends SyscallName = SyscallName> {
  readonly name: N;
  readonly parse: ArgParser<SyscallArgs<N>>;
  /** Capabilities the call needs; an empty list means none (pure queries of the caller's own state). */
  readonly requires: (args: SyscallArgs<N>, caller: Caller) => readonly CapabilityRequest[];
  /**
   * True when running it twice would be visible outside the kernel: for a durable caller its intent
   * is on disk before it runs, its result is replayed after a crash, and a call in flight at a crash
   * is not re-run without an idempotency key. May depend on the arguments (ToolCall: per tool).
   */
  readonly sideEffect: boolean | ((args: SyscallArgs<N>) => boolean);
  /**
   * Pure but not deterministic (a model's answer): for a durable caller the result is journaled,
   * without waiting for the disk, so a replay after a crash sees the same answer. Implied by sideEffect.
   */
  readonly replay?: boolean;
  /**
   * The handler dedupes on `SyscallCall.idempotencyKey` (a second call with the same key has no second
   * effect): a durable caller's call in flight at a crash is then re-run under its derived key instead
   * of failing E_EFFECT_UNKNOWN. May depend on the arguments (ToolCall: per tool).
   */
  readonly honoursKeys?: boolean | ((args: SyscallArgs<N>) => boolean);
  /** The slot may be reclaimed for a higher-priority request; the handler yields at a safe point. */
  readonly preemptible?: boolean;
  /** The scheduler pool it draws a slot from (inference, tool), if any. */
  readonly pool?: (args: SyscallArgs<N>) => string | undefined;
  /** Long calls: the caller gets a handle at once and polls GetAsyncResult. */
  readonly async?: boolean;
  /**
   * A counted call: the real usage its result reports (tokens, credits). The door admits it only
   * within the caller's budgets and settles this usage onto budgets, quotas and the scheduler.
   */
  readonly usage?: (result: SyscallResult<N>) => { readonly tokens: number; readonly credits: number } | undefined;
  /**
   * The handler's result is made for this call: nothing else holds it or anything reachable from it
   * (a model's answer; not a tool's value, which the tool may keep and change). With a caller whose
   * logic leaves results intact, a durable caller's result record is then encoded when its journal
   * batch is written, not when the call returns (ADR 0075).
   */
  readonly freshResult?: boolean;
  readonly handler: (args: SyscallArgs<N>, call: SyscallCall) => SyscallResult<N> | Promise<SyscallResult<N>>;
}

/** Per-invocation facts handed to a handler. */
export interface SyscallCall {
  readonly caller: Caller;
  /** Aborted when the caller ends or is paused; an agent's is made when first read (ADR 0077). */
  readonly signal: AbortSignal;
  /** Whether `signal` is aborted, answered without making it (the door's calls have it). */
  readonly aborted?: boolean;
  /** The agent's key, or for an effect or replayable call one derived from (agent, call sequence). */
  readonly idempotencyKey?: string;
  /** The scheduler slot the call holds, when its syscall names a pool. */
  readonly slot?: SlotGrant;
  /**
   * The span the handler runs under (tracing on: a traced syscall's own span): an outgoing request
   * made for this call carries it as its traceparent, a nested call or message names it as parent.
   */
  readonly trace?: TraceSpan;
}

/** A call's signal and its cancelled-or-not answer, as passed on to a tool or a model provider. */
export type CallSignal = Pick<SyscallCall, "signal" | "aborted">;

/** Whether `call` is cancelled, without making its signal when the call can answer without (ADR 0077). */
export function callAborted(call: CallSignal): boolean {
  return call.aborted ?? call.signal.aborted;
}

/** A scheduler slot held for one call. */
export interface SlotGrant {
  release(): void;
  /** Reports the tokens the call really used (charged when the slot is released). */
  usage?(tokens: number): void;
  /** Present on preemptible slots: when `requested`, give the slot up at a safe point with yield(). */
  readonly preemption?: { readonly requested: boolean; yield(): Promise<void> };
}
