/**
 * The current span of the call being handled, carried through its awaits by an AsyncLocalStorage
 * of observe/'s own (no process-global OpenTelemetry context manager: two OS instances in one process
 * keep separate providers). Each entry names the agent it belongs to, so a continuation that inherited
 * another agent's context (a run-loop turn scheduled from inside that agent's call) is never taken for
 * its own; an entry with no agent is a remote parent (an MCP request's `_meta.traceparent`).
 *
 * The W3C header is formatted and parsed here (four fields) rather than through the SDK's propagator,
 * so a module that only asks for headers loads no SDK code. `traceHeaders()` gives `traceparent`
 * (and `tracestate`) for an outgoing HTTP request made while a traced syscall runs — the
 * OpenAI-compatible provider adds them; `traceMeta()` is the same pair for an MCP request's `_meta`.
 * With tracing off nothing is ever stored: each call costs one AsyncLocalStorage read.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { trace, type Span, type SpanContext } from "@opentelemetry/api";

export interface CurrentSpan {
  /** The agent whose call this is; undefined for a remote parent. */
  readonly agent: string | undefined;
  readonly span: Span;
}

const current = new AsyncLocalStorage<CurrentSpan>();

/** Runs `fn` with `span` (of `agent`'s call) as the current span of its async continuation. */
export function withSpan<T>(agent: string | undefined, span: Span, fn: () => T): T {
  return current.run({ agent, span }, fn);
}

/** Runs `fn` with no current span (a receive that carried no trace context). */
export function withoutSpan<T>(fn: () => T): T {
  return current.exit(fn);
}

/** The entry of the traced call this code runs under, if any. */
export function currentSpan(): CurrentSpan | undefined {
  return current.getStore();
}

/** The span of the traced call this code runs under, if any. */
export function activeSpan(): Span | undefined {
  return current.getStore()?.span;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** https://www.w3.org/TR/trace-context/#traceparent-header: version 00, trace id, parent id, flags. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * A remote span context from a traceparent; undefined when it is not one (bad shape, version ff, an
 * all-zero id, or version 00 with trailing fields — the spec's rules for a receiver).
 */
export function parseTraceparent(header: string, tracestate?: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(header);
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === "ff" || (version === "00" && header.length !== 55)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const sc: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  if (tracestate === undefined || tracestate === "") return sc;
  return { ...sc, traceState: new HeaderTraceState(tracestate) };
}

/**
 * Runs `fn` under a remote parent (an incoming request's traceparent): the spans its calls open join
 * that trace. A missing or malformed header runs `fn` as it is.
 */
export function withRemoteParent<T>(traceparent: string | undefined, tracestate: string | undefined, fn: () => T): T {
  const sc = traceparent === undefined ? undefined : parseTraceparent(traceparent, tracestate);
  return sc === undefined ? fn() : current.run({ agent: undefined, span: trace.wrapSpanContext(sc) }, fn);
}

/** W3C trace context headers for an outgoing request; empty when no traced call is running. */
export function traceHeaders(): Record<string, string> {
  const span = current.getStore()?.span;
  if (span === undefined) return {};
  const sc = span.spanContext();
  const headers: Record<string, string> = { traceparent: formatTraceparent(sc) };
  const state = sc.traceState?.serialize();
  if (state !== undefined && state !== "") headers["tracestate"] = state;
  return headers;
}

/** The same pair for an MCP request's `params._meta` (the MCP convention: `traceparent`, `tracestate` keys). */
export function traceMeta(): Record<string, string> | undefined {
  const h = traceHeaders();
  return h["traceparent"] === undefined ? undefined : h;
}

/** A received tracestate, its list members kept in order (the API's TraceState shape, immutable). */
class HeaderTraceState {
  constructor(private readonly raw: string) {}
  private members(): string[] {
    return this.raw.split(",").map((m) => m.trim()).filter((m) => m.length > 0);
  }
  private keyOf(member: string): string {
    const at = member.indexOf("=");
    return at < 0 ? member : member.slice(0, at);
  }
  /** The spec puts a changed member first. */
  set(key: string, value: string): HeaderTraceState {
    return new HeaderTraceState([`${key}=${value}`, ...this.members().filter((m) => this.keyOf(m) !== key)].join(","));
  }
  unset(key: string): HeaderTraceState {
    return new HeaderTraceState(this.members().filter((m) => this.keyOf(m) !== key).join(","));
  }
  get(key: string): string | undefined {
    const m = this.members().find((x) => this.keyOf(x) === key);
    return m === undefined ? undefined : m.slice(key.length + 1);
  }
  serialize(): string {
    return this.members().join(",");
  }
}
