/**
 * Traces of one OS instance, by hand, after the OpenTelemetry GenAI conventions: `invoke_agent {name}`
 * for an agent's run, and under it `chat {model}` per model call, `execute_tool {tool}` per tool call,
 * `memory {op}` per memory operation, `create_agent {name}` per spawn and `invoke_agent {recipient}`
 * (kind CLIENT) per AgentRequest; `plan create` per PlanCreate (a goal planned into a task graph),
 * and under it the plan's market steps (`market {op}`, `critic judge`: market-spans.ts). Spans are recorded
 * by the instance's own Tracing (never a global provider) as compact RecordedSpans (span.ts, ADR
 * 0051) and go in batches (export-batch.ts) to an OTLP/HTTP endpoint when one is configured, or to
 * the exporter a test hands in.
 *
 * Parenting, with every span carried explicitly (no async-context storage): a syscall's span is a
 * child of the span its caller names (`Caller.trace`: a gateway's remote parent, a call made inside
 * another call), else of the span of the message its agent is handling (kept here per agent from
 * `handle` until that receive settles: an agent handles one message at a time), else of the caller's
 * `invoke_agent` span, which is opened at the agent's first traced call and closed when the agent
 * ends. The handler gets the new span on its call object (`SyscallCall.trace`), and whatever it sends
 * or requests for that call names it as parent. An agent spawned through AgentSpawn gets the spawning call's span as
 * its run's parent, so a delegation tree is one trace. Messages carry the context (MessageTracer, the
 * kernel's `trace` stage): the kernel asks `context` for the traceparent a letter carries and runs the
 * recipient's receive through `handle`, which opens `handle {recipient}` (SERVER for a request,
 * CONSUMER for a plain send) as the sender's child, linked to the recipient's own run span.
 */
import { SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Link, type Span, type SpanContext } from "@opentelemetry/api";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { AiosError, type AgentId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { AgentStatus, Caller, SyscallCall, TraceSpan, Tracer } from "./kernel-types.js";
import { num, obj, str } from "./loose-values.js";
import { ExportBatch } from "./export-batch.js";
import { MARKET_SYSCALLS, marketOutcome, marketRequest, marketSpanName } from "./market-spans.js";
import { RecentSpans } from "./recent-spans.js";
import { AIOS_ATTR, ATTR, OPERATION, SPAN, START } from "./semconv.js";
import { newSpanId, newTraceId, ratioSampler, RecordedSpan, type SpanSink } from "./span.js";
import { formatTraceparent, parseTraceparent } from "./trace-context.js";

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** An exporter of your own (tests: InMemorySpanExporter), fed in batches (`forceFlush` to drain). */
  readonly exporter?: SpanExporter;
  readonly serviceName?: string;
  /**
   * The share of traces kept, 0..1 (default 1: all): decided once per trace at its root from the
   * trace id, and followed by every span under it (parent-based), so a kept trace is whole.
   */
  readonly sampleRatio?: number;
  /** The recent traces kept for the dashboard (default 200 traces of at most 1,000 spans); `false`: none. */
  readonly recent?: { readonly maxTraces?: number; readonly maxSpans?: number } | false;
}

/** What tracing needs from the rest of the system (the observe plugin wires them to the kernel). */
export interface TracingPorts {
  /** The sandbox a tool runs in, when known. */
  readonly sandboxOf?: (tool: string) => string | undefined;
  /** An agent's spec name (an AgentRequest's span names its recipient). */
  readonly nameOf?: (agent: string) => string | undefined;
  /**
   * A caller's status in the process table, undefined when it is no agent there (default: every
   * caller is a live agent). One that is not — the operator acting through the API, an MCP session —
   * never ends, so it gets no run span: each of its calls is the root of a trace of its own. An agent's
   * run span is ended by `endAgent` (the observe plugin calls it from a bus tap on the agent's
   * terminal transition); one opened for an agent that has already ended is ended at once.
   */
  readonly statusOf?: (agent: string) => AgentStatus | undefined;
}

/**
 * Values made once per name (a span name per model or tool, a finish-reasons array per reason): one
 * built per span was garbage. Bounded: past `MAX_NAMES` names a value is made each time.
 */
class Once<T> {
  private readonly made = new Map<string, T>();
  constructor(private readonly make: (name: string) => T) {}
  of(name: string): T {
    let v = this.made.get(name);
    if (v === undefined) {
      v = this.make(name);
      if (this.made.size < MAX_NAMES) this.made.set(name, v);
    }
    return v;
  }
}
const MAX_NAMES = 256;
const CHAT = new Once(SPAN.chat);
const EXECUTE_TOOL = new Once(SPAN.executeTool);
const INVOKE_AGENT = new Once(SPAN.invokeAgent);
/** A span's attributes are read, never changed, once set: spans share one frozen array per reason. */
const FINISH = new Once((reason: string): string[] => Object.freeze([reason]) as string[]);

/** The syscalls that get spans (the rest are bookkeeping with no work of their own to show). */
export const TRACED_SYSCALLS = [
  "LlmInvoke", "ToolCall", "AgentSpawn", "AgentRequest", "PlanCreate",
  "MemoryStore", "MemoryQuery", "MemoryGet", "MemoryUpdate", "MemoryHistory", "MemoryLink", "MemoryNeighbors",
  ...MARKET_SYSCALLS,
] as const;
const MARKET: ReadonlySet<string> = new Set(MARKET_SYSCALLS);
const TRACED: ReadonlySet<string> = new Set(TRACED_SYSCALLS);
const INTERNAL = SpanKind.INTERNAL;

export class Tracing implements Tracer, SpanSink {
  /** The recent traces the dashboard shows (undefined when `recent: false`). */
  readonly recent: RecentSpans | undefined;
  readonly resource: Resource;
  readonly scope: ReadableSpan["instrumentationScope"] = { name: "aios" };
  /** The export batches, one per exporter. */
  private readonly batches: ExportBatch[] = [];
  /** Whether a new trace (a span with no parent) is kept; parent-based below it, as the SDK's ParentBasedSampler. */
  private readonly sampleRoot: (traceId: string) => boolean;
  /** Each live agent's `invoke_agent` span. */
  private readonly agents = new Map<AgentId, Span>();
  /** Agents spawned by a traced AgentSpawn: the spawning call's span context, until their first call. */
  private readonly spawnedBy = new Map<AgentId, SpanContext>();
  /** The handling span of the message each agent is receiving, while that receive runs. */
  private readonly handling = new Map<string, Span>();

  /**
   * Tracing as configured: the OTLP/HTTP exporter (and the transformer and SDK packages under it) is
   * loaded only when an endpoint is given. A process that traces without one (an exporter of its
   * own, or the dashboard's recent traces alone) does not hold that code in its heap, which every
   * full collection marks.
   */
  static async start(o: TracingOptions, ports: TracingPorts = {}): Promise<Tracing> {
    if (o.endpoint === undefined) return new Tracing(o, ports);
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new Tracing(o, ports, new OTLPTraceExporter({ url: o.endpoint, ...(o.headers ? { headers: { ...o.headers } } : {}) }));
  }

  /** `otlp`: the exporter for `o.endpoint` (Tracing.start makes it); an endpoint without one is refused. */
  constructor(
    o: TracingOptions,
    private readonly ports: TracingPorts = {},
    otlp?: SpanExporter,
  ) {
    if (o.endpoint !== undefined && otlp === undefined) throw new AiosError("E_CONFIG", "tracing: an OTLP endpoint needs Tracing.start, which loads its exporter", { details: { path: "endpoint" } });
    if (o.recent !== false) this.recent = new RecentSpans(o.recent?.maxTraces, o.recent?.maxSpans);
    // Batched for any exporter: a simple processor exports (and allocates a promise chain) per span.
    if (o.exporter !== undefined) this.batches.push(new ExportBatch(o.exporter));
    if (otlp !== undefined) this.batches.push(new ExportBatch(otlp));
    this.resource = resourceFromAttributes({ "service.name": o.serviceName ?? "aios" });
    this.sampleRoot = o.sampleRatio === undefined ? () => true : ratioSampler(o.sampleRatio);
  }

  /** SpanSink: an ended span goes to the recent-trace store and each export batch. */
  ended(span: RecordedSpan): void {
    this.recent?.keep(span);
    for (const b of this.batches) b.add(span);
  }

  /**
   * A span under `parent` (none: a new trace), recorded when its trace is sampled — the parent's
   * flag decides below a root, the ratio at a root — else a non-recording span that carries the
   * context on (the SDK tracer's rules, without its context and option objects).
   */
  private start(name: string, kind: SpanKind, parent: SpanContext | undefined, links?: Link[], attributes?: Attributes, count = 0): Span {
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    const traceId = valid ? parent.traceId : newTraceId();
    const spanId = newSpanId();
    const sampled = valid ? (parent.traceFlags & TraceFlags.SAMPLED) !== 0 : this.sampleRoot(traceId);
    if (!sampled) {
      const traceState = valid ? parent.traceState : undefined;
      return trace.wrapSpanContext(traceState === undefined ? { traceId, spanId, traceFlags: TraceFlags.NONE } : { traceId, spanId, traceFlags: TraceFlags.NONE, traceState });
    }
    return new RecordedSpan(this, name, kind, traceId, spanId, valid ? parent : undefined, links, attributes, count);
  }

  /** The caller's `invoke_agent` span, opened at its first traced call. */
  agentSpan(caller: Caller): Span {
    const open = this.agents.get(caller.agent);
    if (open !== undefined) return open;
    const parent = this.spawnedBy.get(caller.agent);
    this.spawnedBy.delete(caller.agent);
    const span = this.start(INVOKE_AGENT.of(caller.name), INTERNAL, parent, undefined, START.invokeAgent(caller.agent, caller.name, caller.tenant), 4);
    this.agents.set(caller.agent, span);
    // Its end was told before its first traced call (a call still in flight as it ended): none will come.
    const status = this.ports.statusOf?.(caller.agent);
    if (status !== undefined && isTerminal(status)) this.endAgent(caller.agent, status);
    return span;
  }

  /** Closes an agent's run span (its status: completed, failed, killed); nothing when it has none open. */
  endAgent(agent: AgentId, status: string): void {
    const span = this.agents.get(agent);
    this.spawnedBy.delete(agent);
    this.handling.delete(agent); // a receive cut short by the exit may never settle
    if (span === undefined) return;
    this.agents.delete(agent);
    span.setAttribute(AIOS_ATTR.STATUS, status);
    if (status === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: "agent failed" });
    span.end();
  }

  /**
   * CallTracer, the door's run stage with tracing on: a traced syscall's span, opened under its parent
   * right before the handler runs and set on the call object the handler gets (`call.trace`), where
   * its outgoing requests, messages and nested calls find it. The door made that object for this call
   * alone and nothing reads it after the handler, so the span is set on it: a copy per call was
   * garbage. Undefined for an untraced syscall.
   */
  open(call: SyscallCall, name: string, args: unknown): Span | undefined {
    if (!TRACED.has(name)) return undefined;
    const span = this.span(call.caller, name, args);
    (call as { trace?: TraceSpan }).trace = span;
    return span;
  }

  /** CallTracer: ends a call's span with the handler's result (`ok`) or what it threw. */
  close(s: TraceSpan, name: string, ok: boolean, value: unknown): void {
    const span = s as Span;
    if (!ok) failed(span, value);
    else {
      // Result attributes only for a span that records (an unsampled trace's spans drop them anyway).
      if (span.isRecording()) outcome(span, name, value);
      if (name === "AgentSpawn") {
        const child = str(obj(value)["id"]);
        if (child !== undefined) {
          span.setAttribute(AIOS_ATTR.CHILD_AGENT_ID, child);
          this.spawnedBy.set(child as AgentId, span.spanContext());
        }
      }
    }
    span.end();
  }

  /** A traced syscall's span, started under its parent with the request's attributes (an unsampled span ignores them). */
  private span(caller: Caller, name: string, args: unknown): Span {
    const parent = this.parentOf(caller)?.spanContext();
    const a = obj(args);
    let span: Span;
    switch (name) {
      case "AgentRequest": {
        const to = str(a["to"]) ?? "unknown";
        const recipient = this.ports.nameOf?.(to) ?? to;
        span = this.start(INVOKE_AGENT.of(recipient), SpanKind.CLIENT, parent);
        span.setAttribute(ATTR.OPERATION_NAME, OPERATION.INVOKE_AGENT);
        span.setAttribute(ATTR.AGENT_ID, to);
        span.setAttribute(ATTR.AGENT_NAME, recipient);
        break;
      }
      // The two calls of every agent step: their start attributes as one literal each (syscall and
      // decision included), the optional ones after it.
      case "LlmInvoke": {
        const model = str(a["model"]) ?? "default";
        span = this.start(CHAT.of(model), SpanKind.CLIENT, parent, undefined, START.chat(model, name), 4);
        const maxTokens = num(a["maxTokens"]);
        const temperature = num(a["temperature"]);
        if (maxTokens !== undefined) span.setAttribute(ATTR.REQUEST_MAX_TOKENS, maxTokens);
        if (temperature !== undefined) span.setAttribute(ATTR.REQUEST_TEMPERATURE, temperature);
        return span;
      }
      case "ToolCall": {
        const tool = str(a["tool"]) ?? "unknown";
        span = this.start(EXECUTE_TOOL.of(tool), INTERNAL, parent, undefined, START.executeTool(tool, name), 5);
        const sandbox = this.ports.sandboxOf?.(tool);
        if (sandbox !== undefined) span.setAttribute(AIOS_ATTR.SANDBOX, sandbox);
        return span;
      }
      case "AgentSpawn": {
        const child = str(obj(a["spec"])["name"]) ?? "agent";
        span = this.start(SPAN.createAgent(child), INTERNAL, parent);
        span.setAttribute(ATTR.OPERATION_NAME, OPERATION.CREATE_AGENT);
        span.setAttribute(ATTR.AGENT_NAME, child);
        break;
      }
      case "PlanCreate": {
        // The goal's text is the user's: not an attribute (it may be long, or private).
        span = this.start(SPAN.plan("create"), INTERNAL, parent);
        break;
      }
      default: {
        if (MARKET.has(name)) {
          span = this.start(marketSpanName(name), INTERNAL, parent);
          marketRequest(span, name, args);
          break;
        }
        // The Memory* syscalls (TRACED holds no other name but the market's).
        const op = name.slice("Memory".length).toLowerCase();
        span = this.start(SPAN.memory(op), INTERNAL, parent);
        span.setAttribute(AIOS_ATTR.MEMORY_OP, op);
        if (op === "query") span.setAttribute(ATTR.OPERATION_NAME, OPERATION.RETRIEVAL);
        const type = str(a["type"]);
        if (type !== undefined) span.setAttribute(AIOS_ATTR.MEMORY_TYPE, type);
      }
    }
    span.setAttribute(AIOS_ATTR.SYSCALL, name);
    span.setAttribute(AIOS_ATTR.DECISION, "allowed");
    return span;
  }

  /**
   * The span a call of `caller` made now belongs under: the one the caller names, else the handling
   * span of the message its agent is receiving, else the caller's run span (none for a caller that is
   * no agent: its call is a root).
   */
  private parentOf(caller: Caller): TraceSpan | undefined {
    if (caller.trace !== undefined) return caller.trace;
    const handling = this.handling.get(caller.agent);
    if (handling !== undefined) return handling;
    // An open run span means an agent: the process-table lookup (which builds the agent's info) is
    // made only for a caller's first traced call.
    const open = this.agents.get(caller.agent);
    if (open !== undefined) return open;
    if (this.ports.statusOf !== undefined && this.ports.statusOf(caller.agent) === undefined) return undefined;
    return this.agentSpan(caller);
  }

  /**
   * MessageTracer: the traceparent a letter carries — that of `span`, the call it is sent from, when
   * named; else where a call of `from` would go (none from outside an agent).
   */
  context(from: Caller | undefined, span?: TraceSpan): string | undefined {
    const parent = span ?? (from === undefined ? undefined : this.parentOf(from));
    return parent === undefined ? undefined : formatTraceparent(parent.spanContext());
  }

  /** MessageTracer: `to`'s receive of a letter, in a handling span under the letter's context. */
  handle<T>(to: Caller, traceparent: string | undefined, request: boolean, run: () => T): T {
    const parent = traceparent === undefined ? undefined : parseTraceparent(traceparent);
    // No context: the receive's calls go under the agent's run span.
    if (parent === undefined) return run();
    const own = this.agentSpan(to);
    const span = this.start(SPAN.handle(to.name), request ? SpanKind.SERVER : SpanKind.CONSUMER, parent, [{ context: own.spanContext() }]);
    span.setAttribute(ATTR.AGENT_ID, to.agent);
    span.setAttribute(ATTR.AGENT_NAME, to.name);
    span.setAttribute(AIOS_ATTR.TENANT, to.tenant);
    span.setAttribute(AIOS_ATTR.MESSAGE_KIND, request ? "request" : "send");
    // The run loop gives an agent one message at a time: until this receive settles, its calls are this span's.
    const agent = to.agent;
    this.handling.set(agent, span);
    const done = (): void => {
      if (this.handling.get(agent) === span) this.handling.delete(agent);
      span.end();
    };
    let r: T;
    try {
      r = run();
    } catch (e) {
      failed(span, e);
      done();
      throw e;
    }
    if (r instanceof Promise) {
      r.then(done, (e: unknown) => {
        failed(span, e);
        done();
      });
    } else done();
    return r;
  }

  /** Ends the open agent spans, then flushes and shuts every export batch. */
  async shutdown(): Promise<void> {
    for (const agent of [...this.agents.keys()]) this.endAgent(agent, "running");
    await Promise.all(this.batches.map((b) => b.shutdown()));
  }

  /** Exports every ended span now. */
  async forceFlush(): Promise<void> {
    await Promise.all(this.batches.map((b) => b.forceFlush()));
  }
}

/** Marks a span failed with the error's code. */
function failed(span: Span, e: unknown): void {
  span.setAttribute(ATTR.ERROR_TYPE, str(obj(e)["code"]) ?? "E_INTERNAL");
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
}

/** Sets the attributes read from a traced syscall's result on its span (each straight onto the span: no object in between). */
function outcome(span: Span, name: string, result: unknown): void {
  if (name === "LlmInvoke") {
    const r = obj(result);
    const usage = obj(r["usage"]);
    const model = str(r["model"]);
    const finish = str(r["finishReason"]);
    const input = num(usage["promptTokens"]);
    const output = num(usage["completionTokens"]);
    const cost = num(r["cost"]);
    const backend = str(r["backend"]);
    // Fresh keys (none is set at the start), valid values: written straight into a recorded span's
    // attributes at constant keys when they fit, else through setAttribute.
    const n = +(model !== undefined) + +(finish !== undefined) + +(input !== undefined) + +(output !== undefined) + +(cost !== undefined) + +(backend !== undefined);
    const at = span instanceof RecordedSpan ? span.claim(n) : undefined;
    if (at !== undefined) {
      if (model !== undefined) at[ATTR.RESPONSE_MODEL] = model;
      if (finish !== undefined) at[ATTR.RESPONSE_FINISH_REASONS] = FINISH.of(finish);
      if (input !== undefined) at[ATTR.USAGE_INPUT_TOKENS] = input;
      if (output !== undefined) at[ATTR.USAGE_OUTPUT_TOKENS] = output;
      if (cost !== undefined) at[AIOS_ATTR.COST] = cost;
      if (backend !== undefined) at[AIOS_ATTR.BACKEND] = backend;
      return;
    }
    if (model !== undefined) span.setAttribute(ATTR.RESPONSE_MODEL, model);
    if (finish !== undefined) span.setAttribute(ATTR.RESPONSE_FINISH_REASONS, FINISH.of(finish));
    if (input !== undefined) span.setAttribute(ATTR.USAGE_INPUT_TOKENS, input);
    if (output !== undefined) span.setAttribute(ATTR.USAGE_OUTPUT_TOKENS, output);
    if (cost !== undefined) span.setAttribute(AIOS_ATTR.COST, cost);
    if (backend !== undefined) span.setAttribute(AIOS_ATTR.BACKEND, backend);
  } else if (name === "PlanCreate") {
    const plan = str(obj(result)["planId"]);
    if (plan !== undefined) span.setAttribute(AIOS_ATTR.PLAN_ID, plan);
  } else if (name === "MemoryQuery") {
    const hits = obj(result)["hits"];
    if (Array.isArray(hits)) span.setAttribute(AIOS_ATTR.MEMORY_HITS, hits.length);
  } else if (MARKET.has(name)) marketOutcome(span, name, result);
}
