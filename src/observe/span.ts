/**
 * The span Tracing records (ADR 0051): one object per span that is at once the API's `Span` (what a
 * handler, the market steps and the context helpers call) and the SDK's `ReadableSpan` (what the
 * batch processor and every exporter read), holding only what the span has — its ids, the parent's
 * span context, name, kind, a start (wall-clock ms and a monotonic reading, as the SDK takes them),
 * an end reading, its attributes, status, and links and events when it has any. The SDK's own span
 * builds a context object per parent, copies its attribute object twice, keeps six arrays and
 * three time pairs per span from its start, and its tracer runs the sampler and span limits through
 * option objects: on the agent step that was most of what tracing allocated. Here the times in the
 * SDK's [seconds, nanoseconds] form, and anything else only an exporter reads, are made when the
 * exporter reads them, off the traced path. Sampling (parent-based, with a trace-id ratio at the
 * root) and the ended-span and attribute rules follow the SDK's, so an exporter sees the same spans.
 */
import { randomFillSync } from "node:crypto";
import { SpanStatusCode, TraceFlags, type Attributes, type AttributeValue, type Exception, type HrTime, type Link, type Span, type SpanAttributes, type SpanContext, type SpanKind, type SpanStatus, type TimeInput } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from "@opentelemetry/semantic-conventions";

/** Where an ended span goes (Tracing: the recent-trace store and the export batches). */
export interface SpanSink {
  readonly resource: Resource;
  readonly scope: ReadableSpan["instrumentationScope"];
  ended(span: RecordedSpan): void;
}

/** The SDK's default span limits (OTEL_SPAN_*_COUNT_LIMIT unset). */
const ATTRIBUTE_LIMIT = 128;
const EVENT_LIMIT = 128;

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_TIME: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;
const NONE: readonly never[] = Object.freeze([]);

/** Milliseconds as [seconds, nanoseconds] (the SDK's millisToHrTime). */
function hr(ms: number): HrTime {
  const s = Math.trunc(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

/** a + b of two [seconds, nanoseconds] pairs, carried. */
function addHr(a: HrTime, b: HrTime): HrTime {
  let s = a[0] + b[0];
  let ns = a[1] + b[1];
  if (ns >= 1e9) {
    s += 1;
    ns -= 1e9;
  }
  return [s, ns];
}

function isAttributeValue(v: unknown): v is AttributeValue {
  const t = typeof v;
  if (t === "string" || t === "number" || t === "boolean") return true;
  if (!Array.isArray(v)) return false;
  for (const x of v as unknown[]) {
    if (x === null || x === undefined) continue;
    const e = typeof x;
    if (e !== "string" && e !== "number" && e !== "boolean") return false;
  }
  return true;
}

export class RecordedSpan implements Span, ReadableSpan {
  readonly attributes: Attributes;
  status: SpanStatus = UNSET;
  /** Epoch ms at the start (Date.now(), as the SDK's span takes it). */
  readonly startMs = Date.now();
  /** Monotonic readings (performance.now()) at the start and the end (NaN while open). */
  private readonly startPerf = performance.now();
  private endPerf = NaN;
  private attributeCount = 0;
  private dropped = 0;
  private eventList: TimedEvent[] | undefined = undefined;
  private linkList: Link[] | undefined;
  /** Made when first asked for (a leaf's is asked for by exporters only, off the traced path). */
  private context: SpanContext | undefined = undefined;
  /** The parent's span context (none at a root; the field exists on every span, undefined there). */
  readonly parentSpanContext?: SpanContext;

  constructor(
    private readonly sink: SpanSink,
    public name: string,
    readonly kind: SpanKind,
    readonly traceId: string,
    readonly spanId: string,
    parent: SpanContext | undefined,
    links: Link[] | undefined,
    attributes: Attributes | undefined,
    count: number,
  ) {
    if (parent !== undefined) this.parentSpanContext = parent;
    this.linkList = links;
    // Tracing's own start attributes come as one object literal (its keys constant at its site,
    // valid values, `count` of them): set one by one through setAttribute, each key and value was
    // checked and stored at one site every span of every kind went through.
    this.attributes = attributes ?? {};
    this.attributeCount = count;
  }

  /**
   * Room for `n` more attributes Tracing sets itself (keys it names, values it checked): the
   * attribute object to write them into, its count already taken, or undefined when the span has
   * ended or they would pass the limit (then set them through setAttribute). Each writer stores at a
   * constant key, which stays fast where one generic store site for every key does not.
   */
  claim(n: number): Attributes | undefined {
    if (this.ended || this.attributeCount + n > ATTRIBUTE_LIMIT) return undefined;
    this.attributeCount += n;
    return this.attributes;
  }

  spanContext(): SpanContext {
    if (this.context !== undefined) return this.context;
    // The parent's tracestate is inherited (the SDK's rule); sampled, or this span would not record.
    const traceState = this.parentSpanContext?.traceState;
    const { traceId, spanId } = this;
    this.context = traceState === undefined ? { traceId, spanId, traceFlags: TraceFlags.SAMPLED } : { traceId, spanId, traceFlags: TraceFlags.SAMPLED, traceState };
    return this.context;
  }

  /** The parent's span id (undefined at a root). */
  get parentId(): string | undefined {
    return this.parentSpanContext?.spanId;
  }

  get ended(): boolean {
    return this.endPerf === this.endPerf; // not NaN
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.ended || key.length === 0 || !isAttributeValue(value)) return this;
    if (!Object.prototype.hasOwnProperty.call(this.attributes, key)) {
      if (this.attributeCount >= ATTRIBUTE_LIMIT) {
        this.dropped++;
        return this;
      }
      this.attributeCount++;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isTime = (x: unknown): x is TimeInput => typeof x === "number" || x instanceof Date || (Array.isArray(x) && x.length === 2 && typeof x[0] === "number");
    let attributes: SpanAttributes | undefined;
    if (isTime(attributesOrTime)) {
      if (!isTime(time)) time = attributesOrTime;
    } else attributes = attributesOrTime;
    const kept: Attributes = {};
    for (const k in attributes) if (Object.prototype.hasOwnProperty.call(attributes, k) && isAttributeValue(attributes[k])) kept[k] = attributes[k];
    const events = (this.eventList ??= []);
    if (events.length >= EVENT_LIMIT) events.shift();
    events.push({ name, attributes: kept, time: this.timeOf(time), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) (this.linkList ??= []).push(link.attributes === undefined ? { context: link.context } : { context: link.context, attributes: { ...link.attributes } });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === "string" ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(): void {
    if (this.ended) return;
    this.endPerf = performance.now();
    this.sink.ended(this);
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: SpanAttributes = {};
    if (typeof exception === "string") attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (exception !== undefined && exception !== null) {
      if (exception.code !== undefined) attributes[ATTR_EXCEPTION_TYPE] = String(exception.code);
      else if (exception.name !== undefined) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message !== undefined) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] !== undefined || attributes[ATTR_EXCEPTION_MESSAGE] !== undefined) this.addEvent("exception", attributes, time);
  }

  /** The span's duration in ms (0 while open). */
  get durationMs(): number {
    return this.ended ? this.endPerf - this.startPerf : 0;
  }

  // What exporters read, made when they read it.
  get startTime(): HrTime {
    return hr(this.startMs);
  }

  get endTime(): HrTime {
    return this.ended ? addHr(hr(this.startMs), hr(this.endPerf - this.startPerf)) : NO_TIME;
  }

  get duration(): HrTime {
    return this.ended ? hr(this.endPerf - this.startPerf) : NO_DURATION;
  }

  get links(): Link[] {
    return this.linkList ?? (NONE as unknown as Link[]);
  }

  get events(): TimedEvent[] {
    return this.eventList ?? (NONE as unknown as TimedEvent[]);
  }

  get resource(): Resource {
    return this.sink.resource;
  }

  get instrumentationScope(): ReadableSpan["instrumentationScope"] {
    return this.sink.scope;
  }

  get droppedAttributesCount(): number {
    return this.dropped;
  }

  get droppedEventsCount(): number {
    return 0;
  }

  get droppedLinksCount(): number {
    return 0;
  }

  /** A time input as [seconds, nanoseconds]: a number under the monotonic clock's reading is a performance.now() value (the SDK's rule). */
  private timeOf(t: TimeInput | undefined): HrTime {
    if (t === undefined) return addHr(hr(this.startMs), hr(performance.now() - this.startPerf));
    if (typeof t === "number") return t <= performance.now() ? hr(t + performance.timeOrigin) : hr(t);
    if (t instanceof Date) return hr(t.getTime());
    return t;
  }
}

/**
 * Random ids from a pooled buffer of crypto randomness: one string per id, made in JavaScript from
 * the pool's bytes by one String.fromCharCode (a Buffer's toString("hex") per id was a call into
 * the runtime for 8 or 16 bytes).
 */
const POOL = Buffer.allocUnsafe(4096);
let at = POOL.length;
const ZERO_SPAN = "0".repeat(16);
const ZERO_TRACE = "0".repeat(32);
/** The hex digit character codes of a byte's high and low nibbles. */
const HI = new Uint8Array(256);
const LO = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  HI[b] = "0123456789abcdef".charCodeAt(b >> 4);
  LO[b] = "0123456789abcdef".charCodeAt(b & 15);
}

/** The offset of `bytes` fresh random bytes in the pool. */
function take(bytes: number): number {
  if (at + bytes > POOL.length) {
    randomFillSync(POOL);
    at = 0;
  }
  const i = at;
  at += bytes;
  return i;
}

/** 8 pooled bytes as 16 hex digits. */
function hex8(i: number): string {
  const p = POOL;
  const b0 = p[i] as number, b1 = p[i + 1] as number, b2 = p[i + 2] as number, b3 = p[i + 3] as number;
  const b4 = p[i + 4] as number, b5 = p[i + 5] as number, b6 = p[i + 6] as number, b7 = p[i + 7] as number;
  return String.fromCharCode(
    HI[b0] as number, LO[b0] as number, HI[b1] as number, LO[b1] as number, HI[b2] as number, LO[b2] as number, HI[b3] as number, LO[b3] as number,
    HI[b4] as number, LO[b4] as number, HI[b5] as number, LO[b5] as number, HI[b6] as number, LO[b6] as number, HI[b7] as number, LO[b7] as number,
  );
}

export function newSpanId(): string {
  let id = hex8(take(8));
  while (id === ZERO_SPAN) id = hex8(take(8));
  return id;
}

export function newTraceId(): string {
  let id = hex8(take(8)) + hex8(take(8));
  while (id === ZERO_TRACE) id = hex8(take(8)) + hex8(take(8));
  return id;
}

/** The SDK's TraceIdRatioBasedSampler decision for a root span: the trace id's 32-bit words XORed, under ratio x 2^32. */
export function ratioSampler(ratio: number): (traceId: string) => boolean {
  const r = Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
  const upper = r === 1 ? 0x100000000 : Math.floor(r * 0xffffffff);
  return (traceId) => {
    let acc = 0;
    for (let i = 0; i < 32; i += 8) acc = (acc ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
    return acc < upper;
  };
}
