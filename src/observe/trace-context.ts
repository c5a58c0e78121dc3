/**
 * The current span of the call being handled, carried through its awaits by an AsyncLocalStorage
 * of observe/'s own (no process-global OpenTelemetry context manager: two OS instances in one process
 * keep separate providers). The header is formatted here (four fields) rather than through the SDK's
 * propagator, so a module that only asks for headers loads no SDK code. `traceHeaders()` gives the W3C `traceparent` (and `tracestate`) for an
 * outgoing HTTP request made while a traced syscall runs — the OpenAI-compatible provider adds them.
 * With tracing off nothing is ever stored: the call costs one AsyncLocalStorage read.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Span } from "@opentelemetry/api";

const current = new AsyncLocalStorage<Span>();

/** Runs `fn` with `span` as the current span of its async continuation. */
export function withSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  return current.run(span, fn);
}

/** The span of the traced call this code runs under, if any. */
export function activeSpan(): Span | undefined {
  return current.getStore();
}

/** W3C trace context headers for an outgoing request; empty when no traced call is running. */
export function traceHeaders(): Record<string, string> {
  const span = current.getStore();
  if (span === undefined) return {};
  const sc = span.spanContext();
  // https://www.w3.org/TR/trace-context/#traceparent-header: version 00, trace id, parent id, flags.
  const headers: Record<string, string> = { traceparent: `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}` };
  const state = sc.traceState?.serialize();
  if (state !== undefined && state !== "") headers["tracestate"] = state;
  return headers;
}
