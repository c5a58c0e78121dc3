/**
 * The spans the dashboard's traces view shows: a span processor that keeps the most recent finished
 * traces in memory, each span reduced to what a waterfall needs (ids, name, kind, times, status and
 * the attributes a person reads: tokens, model, tool, agent, error). Bounded twice — at most
 * `maxTraces` traces (the oldest dropped whole) and `maxSpans` spans per trace (later ones counted,
 * not kept) — so a long-running daemon's memory stays flat. Installed with tracing only: with tracing
 * off there are no spans, and the view says how to turn it on.
 */
import { SpanKind, SpanStatusCode, type AttributeValue } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | undefined;
  readonly name: string;
  readonly kind: "internal" | "server" | "client" | "producer" | "consumer";
  /** Epoch milliseconds (fractional). */
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: string | undefined;
  readonly attributes: Readonly<Record<string, string | number>>;
}

export interface TraceSummary {
  readonly traceId: string;
  /** The span with no parent in this trace (or the earliest, when the root is not finished or not ours). */
  readonly root: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly spans: number;
  /** Spans beyond the per-trace bound, counted but not kept. */
  readonly dropped: number;
  readonly errors: number;
}

/** The attributes worth showing in a waterfall row (in the order the span set them). */
const SHOWN = new Set([
  "gen_ai.agent.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
  "gen_ai.response.finish_reasons", "gen_ai.response.time_to_first_chunk", "gen_ai.tool.name", "aios.tool.sandbox", "aios.memory.hits",
  "aios.message.kind", "aios.agent.status", "aios.cost.credits", "error.type",
]);

const KINDS: Record<SpanKind, SpanRecord["kind"]> = {
  [SpanKind.INTERNAL]: "internal", [SpanKind.SERVER]: "server", [SpanKind.CLIENT]: "client", [SpanKind.PRODUCER]: "producer", [SpanKind.CONSUMER]: "consumer",
};

const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const shown = (v: AttributeValue | undefined): string | number | undefined =>
  v === undefined ? undefined : typeof v === "number" || typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : String(v);

/** A span in waterfall order with its depth under the trace's root(s). */
export interface WaterfallRow {
  readonly span: SpanRecord;
  readonly depth: number;
}

interface Trace {
  readonly spans: SpanRecord[];
  dropped: number;
}

export class RecentSpans implements SpanProcessor {
  /** Insertion order is recency order: a trace is moved to the end when a span of it finishes. */
  private readonly traces = new Map<string, Trace>();
  /** The most recently active trace (last in `traces`): its spans need no move to the end. */
  private newest: string | undefined;

  constructor(
    private readonly maxTraces = 200,
    private readonly maxSpans = 1_000,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const sc = span.spanContext();
    let t = this.traces.get(sc.traceId);
    if (t === undefined || sc.traceId !== this.newest) {
      if (t === undefined) {
        t = { spans: [], dropped: 0 };
        if (this.traces.size >= this.maxTraces) {
          const oldest = this.traces.keys().next().value;
          if (oldest !== undefined) this.traces.delete(oldest);
        }
      } else this.traces.delete(sc.traceId);
      this.traces.set(sc.traceId, t);
      this.newest = sc.traceId;
    }
    if (t.spans.length >= this.maxSpans) {
      t.dropped++;
      return;
    }
    const attributes: Record<string, string | number> = {};
    // A span has a handful of attributes: walking them is cheaper than probing for every shown name.
    const all = span.attributes;
    for (const k in all) {
      if (!SHOWN.has(k)) continue;
      const v = shown(all[k]);
      if (v !== undefined) attributes[k] = v;
    }
    t.spans.push({
      traceId: sc.traceId,
      spanId: sc.spanId,
      parentId: span.parentSpanContext?.spanId,
      name: span.name,
      kind: KINDS[span.kind],
      startMs: ms(span.startTime),
      durationMs: ms(span.duration),
      error: span.status.code === SpanStatusCode.ERROR ? (span.status.message ?? "error") : undefined,
      attributes,
    });
  }

  /** The kept traces, most recently active first. */
  list(): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const [traceId, t] of this.traces) {
      if (t.spans.length === 0) continue;
      const start = Math.min(...t.spans.map((s) => s.startMs));
      const end = Math.max(...t.spans.map((s) => s.startMs + s.durationMs));
      const ids = new Set(t.spans.map((s) => s.spanId));
      const root = t.spans.find((s) => s.parentId === undefined) ?? t.spans.find((s) => s.parentId !== undefined && !ids.has(s.parentId)) ?? t.spans[0];
      out.push({ traceId, root: root?.name ?? "?", startMs: start, durationMs: end - start, spans: t.spans.length, dropped: t.dropped, errors: t.spans.filter((s) => s.error !== undefined).length });
    }
    return out.reverse();
  }

  /** One trace's spans, parents before children and siblings by start time (undefined: not kept). */
  trace(traceId: string): WaterfallRow[] | undefined {
    const t = this.traces.get(traceId);
    if (t === undefined) return undefined;
    const children = new Map<string | undefined, SpanRecord[]>();
    const ids = new Set(t.spans.map((s) => s.spanId));
    for (const s of t.spans) {
      // A parent that is not kept here (remote, unfinished or dropped) makes its children roots.
      const parent = s.parentId !== undefined && ids.has(s.parentId) ? s.parentId : undefined;
      const list = children.get(parent) ?? [];
      list.push(s);
      children.set(parent, list);
    }
    const out: WaterfallRow[] = [];
    const walk = (parent: string | undefined, depth: number): void => {
      for (const s of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
        out.push({ span: s, depth });
        walk(s.spanId, depth + 1);
      }
    };
    walk(undefined, 0);
    return out;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
