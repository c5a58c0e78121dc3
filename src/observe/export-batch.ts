/**
 * The export side of tracing: ended spans queued and handed to an exporter in batches, with the SDK
 * BatchSpanProcessor's defaults and behaviour (a queue of 2,048 spans, newer ones dropped when it is
 * full; batches of 512; a batch exported 5 s after the first span of it, or at once when 512 wait;
 * one timed export in flight; 30 s for an export to answer; forceFlush exports everything queued;
 * shutdown flushes, then shuts the exporter). Written out because the SDK's processor makes a
 * closure per queued span (its timer check): on the traced step that was a tenth of what tracing
 * still allocated once spans were recorded compactly (ADR 0051).
 */
import { diag } from "@opentelemetry/api";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

const MAX_QUEUE = 2048;
const MAX_BATCH = 512;
const DELAY_MS = 5000;
const TIMEOUT_MS = 30_000;
/** ExportResultCode.SUCCESS (@opentelemetry/core, not a dependency of ours). */
const SUCCESS = 0;

export class ExportBatch {
  private queue: ReadableSpan[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private exporting = false;
  private dropped = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly exporter: SpanExporter) {}

  /** Queues an ended (sampled) span. */
  add(span: ReadableSpan): void {
    if (this.closing !== undefined) return;
    if (this.queue.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      diag.warn(`aios tracing: dropped ${this.dropped} spans because the export queue was full`);
      this.dropped = 0;
    }
    this.queue.push(span);
    this.schedule();
  }

  /** Exports every queued span now. */
  forceFlush(): Promise<void> {
    return this.closing ?? this.flushAll();
  }

  /** Flushes, then shuts the exporter (once). */
  shutdown(): Promise<void> {
    this.closing ??= this.flushAll().then(() => this.exporter.shutdown());
    return this.closing;
  }

  private schedule(): void {
    if (this.exporting) return;
    if (this.queue.length >= MAX_BATCH) {
      this.exportInBackground();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.onTimer, DELAY_MS);
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.exportInBackground();
  };

  private exportInBackground(): void {
    this.exporting = true;
    this.exportOne()
      .catch((e: unknown) => diag.error("aios tracing: span export failed", e))
      .finally(() => {
        this.exporting = false;
        if (this.queue.length > 0) {
          this.clearTimer();
          this.schedule();
        }
      });
  }

  private flushAll(): Promise<void> {
    const batches: Promise<void>[] = [];
    for (let i = 0, n = Math.ceil(this.queue.length / MAX_BATCH); i < n; i++) batches.push(this.exportOne());
    return Promise.all(batches).then(() => undefined);
  }

  /** Exports the oldest batch; resolves when the exporter answers. */
  private exportOne(): Promise<void> {
    this.clearTimer();
    if (this.queue.length === 0) return Promise.resolve();
    let spans: ReadableSpan[];
    if (this.queue.length <= MAX_BATCH) {
      spans = this.queue;
      this.queue = [];
    } else spans = this.queue.splice(0, MAX_BATCH);
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error("aios tracing: span export timed out")), TIMEOUT_MS);
      this.exporter.export(spans, (result) => {
        clearTimeout(timeout);
        if ((result.code as number) === SUCCESS) resolve();
        else reject(result.error ?? new Error("aios tracing: span export failed"));
      });
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
