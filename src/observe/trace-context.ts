/**
 * W3C trace context in and out of the process, for spans carried explicitly. There is no "current
 * span" here: a call's span rides on the door's call object (`SyscallCall.trace`), a caller's parent
 * on the caller (`Caller.trace`), an agent's handling span in Tracing, and a message's context on its
 * letter. (An AsyncLocalStorage did this before; on Node 20 its first `run()` turns on async-hook
 * promise tracking for every promise of the process, which cost more than the spans themselves.)
 *
 * The header is formatted and parsed here (four fields) rather than through the SDK's propagator,
 * so a module that only asks for headers loads no SDK code. `traceHeaders(span)` gives `traceparent`
 * (and `tracestate`) for an outgoing HTTP request made for a traced call — the OpenAI-compatible
 * provider and the A2A tool add them; `traceMeta(span)` is the same pair for an MCP request's
 * `_meta`; `remoteParent` turns an incoming pair into the parent a gateway caller carries. With
 * tracing off every span is undefined: each costs one comparison.
 */
import { createRequire } from "node:module";
import type * as OtelApi from "@opentelemetry/api";
import type { TraceSpan, TraceSpanContext } from "./kernel-types.js";

// @opentelemetry/api (~40 CPU-ms: some forty CommonJS files) loads on the first incoming traceparent,
// not at every boot (issue #17 item 6): this file is on boot's path, remoteParent on a gateway's.
// Node resolves the package to the same CommonJS build for import and require: one instance.
let otel: typeof OtelApi | undefined;
const api = (): typeof OtelApi => (otel ??= createRequire(import.meta.url)("@opentelemetry/api") as typeof OtelApi);

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** https://www.w3.org/TR/trace-context/#traceparent-header: version 00, trace id, parent id, flags. */
export function formatTraceparent(sc: TraceSpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * A remote span context from a traceparent; undefined when it is not one (bad shape, version ff, an
 * all-zero id, or version 00 with trailing fields — the spec's rules for a receiver).
 */
export function parseTraceparent(header: string, tracestate?: string): TraceSpanContext | undefined {
  const m = TRACEPARENT.exec(header);
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === "ff" || (version === "00" && header.length !== 55)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const sc: TraceSpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  if (tracestate === undefined || tracestate === "") return sc;
  return { ...sc, traceState: new HeaderTraceState(tracestate) };
}

/**
 * The parent an incoming request's traceparent names (a remote, non-recording span): a gateway puts
 * it on the caller it invokes the door as, so the spans its calls open join that trace. Undefined for
 * a missing or malformed header.
 */
export function remoteParent(traceparent: string | undefined, tracestate?: string): TraceSpan | undefined {
  const sc = traceparent === undefined ? undefined : parseTraceparent(traceparent, tracestate);
  return sc === undefined ? undefined : api().trace.wrapSpanContext(sc);
}

/** The headers of a call made with tracing off: one shared empty object, nothing allocated per call. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** W3C trace context headers for an outgoing request made for `span`'s call; empty without one. */
export function traceHeaders(span: TraceSpan | undefined): Readonly<Record<string, string>> {
  if (span === undefined) return NO_HEADERS;
  const sc = span.spanContext();
  const headers: Record<string, string> = { traceparent: formatTraceparent(sc) };
  const state = sc.traceState?.serialize();
  if (state !== undefined && state !== "") headers["tracestate"] = state;
  return headers;
}

/** The same pair for an MCP request's `params._meta` (the MCP convention: `traceparent`, `tracestate` keys). */
export function traceMeta(span: TraceSpan | undefined): Readonly<Record<string, string>> | undefined {
  return span === undefined ? undefined : traceHeaders(span);
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
