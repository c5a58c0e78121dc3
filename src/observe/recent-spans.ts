/**
 * The spans the dashboard's traces view shows: a span processor that keeps the most recent finished
 * traces in memory, each span as what a waterfall needs (ids, name, kind, times, status and the
 * attributes a person reads: tokens, model, tool, agent, error), read when the view asks: keeping a
 * span Tracing recorded is a reference to it, the records are made off the traced path. Bounded twice — at most
 * `maxTraces` traces (the oldest dropped whole) and `maxSpans` spans per trace (later ones counted,
 * not kept) — so a long-running daemon's memory stays flat. Installed with tracing only: with tracing
 * off there are no spans, and the view says how to turn it on.
 */
import { SpanKind, SpanStatusCode, type AttributeValue } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { RecordedSpan } from "./span.js";

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
  "aios.message.kind", "aios.agent.status", "aios.cost.credits", "aios.plan.id", "aios.market.worker", "aios.market.price",
  "aios.ledger.escrow", "aios.critic.score", "error.type",
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

/**
 * A finished span as kept: what the waterfall reads of it, none of which changes once the span has
 * ended (ids, name, kind, start and duration in ms, status, attributes). A span Tracing recorded is
 * kept as it is (it is one of these already, and the export queue holds it anyway), so keeping it
 * allocates nothing; an SDK span is wrapped once. The record a reader sees (the shown attributes
 * only) is made when the view asks.
 */
interface Kept {
  readonly spanId: string;
  readonly parentId: string | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: ReadableSpan["status"];
  readonly attributes: ReadableSpan["attributes"];
}

/** An SDK span's figures, read once at its end (the store as an SDK span processor). */
class SdkKept implements Kept {
  constructor(
    readonly spanId: string,
    readonly parentId: string | undefined,
    readonly name: string,
    readonly kind: SpanKind,
    readonly startMs: number,
    readonly durationMs: number,
    readonly status: ReadableSpan["status"],
    readonly attributes: ReadableSpan["attributes"],
  ) {}
}

const endMs = (s: Kept): number => s.startMs + s.durationMs;
const errorOf = (s: Kept): string | undefined => (s.status.code === SpanStatusCode.ERROR ? (s.status.message ?? "error") : undefined);

function record(s: Kept, traceId: string): SpanRecord {
  const attributes: Record<string, string | number> = {};
  const all = s.attributes;
  for (const k in all) {
    if (!SHOWN.has(k)) continue;
    const v = shown(all[k]);
    if (v !== undefined) attributes[k] = v;
  }
  return { traceId, spanId: s.spanId, parentId: s.parentId, name: s.name, kind: KINDS[s.kind], startMs: s.startMs, durationMs: s.durationMs, error: errorOf(s), attributes };
}

interface Trace {
  readonly spans: Kept[];
  dropped: number;
}

export class RecentSpans implements SpanProcessor {
  /** Insertion order is recency order: a trace is moved to the end when a span of it finishes. */
  private readonly traces = new Map<string, Trace>();
  /** The most recently active trace (last in `traces`) and its entry: its spans need no lookup and no move. */
  private newest: string | undefined;
  private newestTrace: Trace | undefined;

  constructor(
    private readonly maxTraces = 200,
    private readonly maxSpans = 1_000,
  ) {}

  onStart(): void {}

  /** An SDK span (the store as a span processor of an SDK provider). */
  onEnd(span: ReadableSpan): void {
    const sc = span.spanContext();
    this.add(sc.traceId, new SdkKept(sc.spanId, span.parentSpanContext?.spanId, span.name, span.kind, ms(span.startTime), ms(span.duration), span.status, span.attributes));
  }

  /** A span Tracing recorded, kept as it is (its times in ms, no [s, ns] pairs or span context made). */
  keep(span: RecordedSpan): void {
    this.add(span.traceId, span);
  }

  private add(traceId: string, kept: Kept): void {
    let t = this.newestTrace;
    if (t === undefined || traceId !== this.newest) {
      t = this.traces.get(traceId);
      if (t === undefined) {
        t = { spans: [], dropped: 0 };
        if (this.traces.size >= this.maxTraces) {
          for (const oldest of this.traces.keys()) {
            this.traces.delete(oldest);
            break;
          }
        }
      } else this.traces.delete(traceId);
      this.traces.set(traceId, t);
      this.newest = traceId;
      this.newestTrace = t;
    }
    if (t.spans.length >= this.maxSpans) {
      t.dropped++;
      return;
    }
    t.spans.push(kept);
  }

  /** The kept traces, most recently active first. */
  list(): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const [traceId, t] of this.traces) {
      if (t.spans.length === 0) continue;
      let start = Infinity;
      let end = -Infinity;
      let errors = 0;
      const ids = new Set<string>();
      for (const s of t.spans) {
        start = Math.min(start, s.startMs);
        end = Math.max(end, endMs(s));
        if (errorOf(s) !== undefined) errors++;
        ids.add(s.spanId);
      }
      const root = t.spans.find((s) => s.parentId === undefined) ?? t.spans.find((s) => s.parentId !== undefined && !ids.has(s.parentId)) ?? t.spans[0];
      out.push({ traceId, root: root?.name ?? "?", startMs: start, durationMs: end - start, spans: t.spans.length, dropped: t.dropped, errors });
    }
    return out.reverse();
  }

  /** One trace's spans, parents before children and siblings by start time (undefined: not kept). */
  trace(traceId: string): WaterfallRow[] | undefined {
    const t = this.traces.get(traceId);
    if (t === undefined) return undefined;
    const records = t.spans.map((s) => record(s, traceId));
    const children = new Map<string | undefined, SpanRecord[]>();
    const ids = new Set(records.map((s) => s.spanId));
    for (const s of records) {
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
