/**
 * Traces of one OS instance, by hand, after the OpenTelemetry GenAI conventions: `invoke_agent {name}`
 * for an agent's run, and under it `chat {model}` per model call, `execute_tool {tool}` per tool call,
 * `memory {op}` per memory operation, `create_agent {name}` per spawn and `invoke_agent {recipient}`
 * (kind CLIENT) per AgentRequest; `plan create` per PlanCreate (a goal planned into a task graph),
 * and under it the plan's market steps (`market {op}`, `critic judge`: market-spans.ts). The provider is the instance's own
 * (never registered globally); spans go to an OTLP/HTTP endpoint when one is configured, or to the
 * exporter a test hands in.
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
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type SpanContext, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { AgentId } from "../core/index.js";
import type { Caller, MessageTracer, SyscallCall, TraceSpan } from "./kernel-types.js";
import { num, obj, str } from "./loose-values.js";
import { MARKET_SYSCALLS, marketOutcome, marketRequest, marketSpanName } from "./market-spans.js";
import { RecentSpans } from "./recent-spans.js";
import { AIOS_ATTR, ATTR, OPERATION, SPAN } from "./semconv.js";
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
  /** Calls `cb` once when the agent ends. */
  readonly onExit?: (agent: AgentId, cb: (status: string) => void) => void;
  /** The sandbox a tool runs in, when known. */
  readonly sandboxOf?: (tool: string) => string | undefined;
  /** An agent's spec name (an AgentRequest's span names its recipient). */
  readonly nameOf?: (agent: string) => string | undefined;
  /**
   * Whether a caller is an agent of the process table (default: every caller is). One that is not —
   * the operator acting through the API, an MCP session — never ends, so it gets no run span: each
   * of its calls is the root of a trace of its own.
   */
  readonly isAgent?: (agent: string) => boolean;
}

/** The syscalls that get spans (the rest are bookkeeping with no work of their own to show). */
export const TRACED_SYSCALLS = [
  "LlmInvoke", "ToolCall", "AgentSpawn", "AgentRequest", "PlanCreate",
  "MemoryStore", "MemoryQuery", "MemoryGet", "MemoryUpdate", "MemoryHistory", "MemoryLink", "MemoryNeighbors",
  ...MARKET_SYSCALLS,
] as const;
const MARKET: ReadonlySet<string> = new Set(MARKET_SYSCALLS);
const TRACED: ReadonlySet<string> = new Set(TRACED_SYSCALLS);
/** The options of an INTERNAL span with no attributes, shared (the SDK only reads them). */
const INTERNAL = { kind: SpanKind.INTERNAL } as const;

export class Tracing implements MessageTracer {
  readonly provider: BasicTracerProvider;
  /** The recent traces the dashboard shows (undefined when `recent: false`). */
  readonly recent: RecentSpans | undefined;
  private readonly tracer: Tracer;
  /** Each live agent's `invoke_agent` span. */
  private readonly agents = new Map<AgentId, Span>();
  /** Agents spawned by a traced AgentSpawn: the spawning call's span context, until their first call. */
  private readonly spawnedBy = new Map<AgentId, SpanContext>();
  /** The handling span of the message each agent is receiving, while that receive runs. */
  private readonly handling = new Map<string, Span>();

  constructor(
    o: TracingOptions,
    private readonly ports: TracingPorts = {},
  ) {
    const processors: SpanProcessor[] = [];
    if (o.recent !== false) {
      this.recent = new RecentSpans(o.recent?.maxTraces, o.recent?.maxSpans);
      processors.push(this.recent);
    }
    // Batched for any exporter: a simple processor exports (and allocates a promise chain) per span.
    if (o.exporter !== undefined) processors.push(new BatchSpanProcessor(o.exporter));
    if (o.endpoint !== undefined) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: o.endpoint, ...(o.headers ? { headers: { ...o.headers } } : {}) })));
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": o.serviceName ?? "aios" }),
      spanProcessors: processors,
      ...(o.sampleRatio === undefined ? {} : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio) }) }),
    });
    this.tracer = this.provider.getTracer("aios");
  }

  /** The caller's `invoke_agent` span, opened at its first traced call. */
  agentSpan(caller: Caller): Span {
    const open = this.agents.get(caller.agent);
    if (open !== undefined) return open;
    const parent = this.spawnedBy.get(caller.agent);
    this.spawnedBy.delete(caller.agent);
    const span = this.tracer.startSpan(
      SPAN.invokeAgent(caller.name),
      { kind: SpanKind.INTERNAL, attributes: { [ATTR.OPERATION_NAME]: OPERATION.INVOKE_AGENT, [ATTR.AGENT_ID]: caller.agent, [ATTR.AGENT_NAME]: caller.name, [AIOS_ATTR.TENANT]: caller.tenant } },
      parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent),
    );
    this.agents.set(caller.agent, span);
    this.ports.onExit?.(caller.agent, (status) => this.endAgent(caller.agent, status));
    return span;
  }

  /** Closes an agent's run span (its status: completed, failed, killed). */
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
   * The door's run stage with tracing on: opens a traced syscall's span and runs its handler with the
   * span on the call object (`call.trace`), where the handler's outgoing requests, messages and nested
   * calls find it. The door made that object for this call alone (the dispatcher builds one per call
   * and nothing reads it after the handler), so the span is set on it: a copy per call was garbage.
   */
  readonly around = async <A, T>(call: SyscallCall, name: string, args: A, handler: (args: A, call: SyscallCall) => T | Promise<T>): Promise<T> => {
    if (!TRACED.has(name)) return handler(args, call);
    const span = this.open(call.caller, name, args);
    (call as { trace?: TraceSpan }).trace = span;
    try {
      const result = await handler(args, call);
      // Result attributes only for a span that records (an unsampled trace's spans drop them anyway).
      if (span.isRecording()) outcome(span, name, result);
      if (name === "AgentSpawn") {
        const child = str(obj(result)["id"]);
        if (child !== undefined) {
          span.setAttribute(AIOS_ATTR.CHILD_AGENT_ID, child);
          this.spawnedBy.set(child as AgentId, span.spanContext());
        }
      }
      return result;
    } catch (e) {
      failed(span, e);
      throw e;
    } finally {
      span.end();
    }
  };

  /**
   * A traced syscall's span, started under its parent with the request's attributes. The attributes
   * are set on the span one by one rather than handed to `startSpan`: the SDK copies an attribute
   * object twice (sanitising it before and after sampling) before setting each entry anyway, and an
   * unsampled span ignores them.
   */
  private open(caller: Caller, name: string, args: unknown): Span {
    const parent = this.parentOf(caller);
    const ctx = parent === undefined ? ROOT_CONTEXT : under(parent);
    const a = obj(args);
    let span: Span;
    switch (name) {
      case "AgentRequest": {
        const to = str(a["to"]) ?? "unknown";
        const recipient = this.ports.nameOf?.(to) ?? to;
        span = this.tracer.startSpan(SPAN.invokeAgent(recipient), { kind: SpanKind.CLIENT }, ctx);
        span.setAttribute(ATTR.OPERATION_NAME, OPERATION.INVOKE_AGENT);
        span.setAttribute(ATTR.AGENT_ID, to);
        span.setAttribute(ATTR.AGENT_NAME, recipient);
        break;
      }
      case "LlmInvoke": {
        const model = str(a["model"]) ?? "default";
        span = this.tracer.startSpan(SPAN.chat(model), { kind: SpanKind.CLIENT }, ctx);
        span.setAttribute(ATTR.OPERATION_NAME, OPERATION.CHAT);
        span.setAttribute(ATTR.REQUEST_MODEL, model);
        const maxTokens = num(a["maxTokens"]);
        const temperature = num(a["temperature"]);
        if (maxTokens !== undefined) span.setAttribute(ATTR.REQUEST_MAX_TOKENS, maxTokens);
        if (temperature !== undefined) span.setAttribute(ATTR.REQUEST_TEMPERATURE, temperature);
        break;
      }
      case "ToolCall": {
        const tool = str(a["tool"]) ?? "unknown";
        span = this.tracer.startSpan(SPAN.executeTool(tool), INTERNAL, ctx);
        span.setAttribute(ATTR.OPERATION_NAME, OPERATION.EXECUTE_TOOL);
        span.setAttribute(ATTR.TOOL_NAME, tool);
        span.setAttribute(ATTR.TOOL_TYPE, "function");
        const sandbox = this.ports.sandboxOf?.(tool);
        if (sandbox !== undefined) span.setAttribute(AIOS_ATTR.SANDBOX, sandbox);
        break;
      }
      case "AgentSpawn": {
        const child = str(obj(a["spec"])["name"]) ?? "agent";
        span = this.tracer.startSpan(SPAN.createAgent(child), INTERNAL, ctx);
        span.setAttribute(ATTR.OPERATION_NAME, OPERATION.CREATE_AGENT);
        span.setAttribute(ATTR.AGENT_NAME, child);
        break;
      }
      case "PlanCreate": {
        // The goal's text is the user's: not an attribute (it may be long, or private).
        span = this.tracer.startSpan(SPAN.plan("create"), INTERNAL, ctx);
        break;
      }
      default: {
        if (MARKET.has(name)) {
          span = this.tracer.startSpan(marketSpanName(name), INTERNAL, ctx);
          marketRequest(span, name, args);
          break;
        }
        // The Memory* syscalls (TRACED holds no other name but the market's).
        const op = name.slice("Memory".length).toLowerCase();
        span = this.tracer.startSpan(SPAN.memory(op), INTERNAL, ctx);
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
    if (this.ports.isAgent !== undefined && !this.ports.isAgent(caller.agent)) return undefined;
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
    const span = this.tracer.startSpan(
      SPAN.handle(to.name),
      {
        kind: request ? SpanKind.SERVER : SpanKind.CONSUMER,
        attributes: { [ATTR.AGENT_ID]: to.agent, [ATTR.AGENT_NAME]: to.name, [AIOS_ATTR.TENANT]: to.tenant, [AIOS_ATTR.MESSAGE_KIND]: request ? "request" : "send" },
        links: [{ context: own.spanContext() }],
      },
      trace.setSpanContext(ROOT_CONTEXT, parent),
    );
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

  /** Ends the open agent spans and flushes every processor. */
  async shutdown(): Promise<void> {
    for (const agent of [...this.agents.keys()]) this.endAgent(agent, "running");
    await this.provider.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }
}

/**
 * Each parent's context, made once: most spans of a step share their parent (the agent's run span),
 * and a context costs a wrapper span and a copied map. Weak, so an ended span's entry goes with it.
 */
const contexts = new WeakMap<TraceSpan, Context>();

/** A context whose parent is `parent` (a span of ours, or a remote one a gateway caller carries). */
function under(parent: TraceSpan): Context {
  let ctx = contexts.get(parent);
  if (ctx === undefined) {
    ctx = trace.setSpanContext(ROOT_CONTEXT, parent.spanContext());
    contexts.set(parent, ctx);
  }
  return ctx;
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
    if (model !== undefined) span.setAttribute(ATTR.RESPONSE_MODEL, model);
    if (finish !== undefined) span.setAttribute(ATTR.RESPONSE_FINISH_REASONS, [finish]);
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
