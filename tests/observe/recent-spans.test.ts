/**
 * The spans the dashboard's traces view keeps (RecentSpans, a span processor on a real
 * BasicTracerProvider): a waterfall puts parents before children with their depth, a parent that was
 * not kept (remote, or still open) makes its children roots, and both bounds hold — the oldest trace
 * is dropped whole past `maxTraces`, spans past `maxSpans` are counted, not kept.
 */
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { RecentSpans } from "../../src/observe/recent-spans.js";

function setup(maxTraces: number, maxSpans: number): { recent: RecentSpans; tracer: ReturnType<BasicTracerProvider["getTracer"]> } {
  const recent = new RecentSpans(maxTraces, maxSpans);
  return { recent, tracer: new BasicTracerProvider({ spanProcessors: [recent] }).getTracer("test") };
}

describe("observe: RecentSpans", () => {
  it("orders one trace as a waterfall: parents first, children by start, with depths", () => {
    const { recent, tracer } = setup(10, 100);
    // Dates, not numbers: the SDK reads a number no later than performance.now() as a performance
    // timestamp and a later one as epoch milliseconds, so numbers near the worker's age (here about
    // a second) were read both ways in one test on a loaded machine, and the order came out wrong.
    const at = (ms: number): Date => new Date(1_700_000_000_000 + ms);
    const root = tracer.startSpan("invoke_agent a", { startTime: at(1_000) });
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    const late = tracer.startSpan("execute_tool add", { startTime: at(1_020) }, ctx);
    const early = tracer.startSpan("chat m", { startTime: at(1_010) }, ctx);
    const inner = tracer.startSpan("memory query", { startTime: at(1_012), attributes: { "aios.memory.hits": 3, "not.shown": "x" } }, trace.setSpan(ROOT_CONTEXT, early));
    for (const s of [inner, early, late]) s.end(at(1_030));
    root.end(at(1_040));
    const rows = recent.trace(root.spanContext().traceId) ?? [];
    expect(rows.map((r) => [r.span.name, r.depth])).toEqual([["invoke_agent a", 0], ["chat m", 1], ["memory query", 2], ["execute_tool add", 1]]);
    expect(rows[2]?.span.attributes).toEqual({ "aios.memory.hits": 3 });
    expect(rows[0]?.span.durationMs).toBe(40);
    expect(recent.list()).toEqual([expect.objectContaining({ root: "invoke_agent a", spans: 4, dropped: 0, errors: 0, durationMs: 40 })]);
  });

  it("makes a span whose parent is not kept a root of the waterfall", () => {
    const { recent, tracer } = setup(10, 100);
    const open = tracer.startSpan("invoke_agent still-running");
    const child = tracer.startSpan("chat m", {}, trace.setSpan(ROOT_CONTEXT, open));
    child.end();
    expect(recent.trace(child.spanContext().traceId)?.map((r) => [r.span.name, r.depth])).toEqual([["chat m", 0]]);
    expect(recent.list()[0]?.root).toBe("chat m");
  });

  it("keeps at most maxTraces traces (the least recently active dropped whole) and maxSpans spans each", () => {
    const { recent, tracer } = setup(3, 2);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const root = tracer.startSpan(`run ${i}`);
      for (let j = 0; j < 3; j++) tracer.startSpan(`step ${j}`, {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
      ids.push(root.spanContext().traceId);
    }
    const list = recent.list();
    expect(list.map((t) => t.traceId)).toEqual([ids[4], ids[3], ids[2]]);
    expect(list.every((t) => t.spans === 2 && t.dropped === 2)).toBe(true);
    expect(recent.trace(ids[0] as string)).toBeUndefined();
  });
});
