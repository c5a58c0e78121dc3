/**
 * How observe/ joins the kernel: a plugin that feeds the instance's metrics from the event bus,
 * decorates the ToolCall handler for per-tool figures (the door's record stage will replace that),
 * and, when tracing is configured, wraps the traced syscalls in spans. Install it after every plugin
 * that registers syscalls (the composition root puts it last) so the handlers it decorates exist.
 */
import type { AgentId, Subscription } from "../core/index.js";
import type { Kernel, Plugin } from "./kernel-types.js";
import { AiosMetrics, type MetricsLimits, type MetricsSources } from "./metrics.js";
import { feedMetrics } from "./metrics-feed.js";
import { instrumentSyscalls, metricsObserver, recordTool, toolName, type Observer } from "./observer.js";
import { AnomalyDetector, type AnomalyOptions } from "./anomaly.js";
import { SloEvaluator } from "./slo.js";
// Types only: the tracing SDK is loaded (dynamic import) only when tracing is configured.
import type { Tracing, TracingOptions, TracingPorts } from "./tracing.js";

export interface ObserveOptions {
  /** Traces: off unless given (then spans go to `tracing.endpoint` by OTLP/HTTP, or `tracing.exporter`). */
  readonly tracing?: TracingOptions & Pick<TracingPorts, "sandboxOf">;
  /** Sources sampled at scrape time; a function receives the kernel once it is installed. */
  readonly sources?: MetricsSources | ((kernel: Kernel) => MetricsSources);
  readonly limits?: MetricsLimits;
  /** In-process SLO rules, evaluated every `intervalMs` of kernel time (default 15 s); `false`: off. */
  readonly slo?: { readonly intervalMs?: number } | false;
  /** Per-agent behavioural anomaly detection (default on); `false`: off. */
  readonly anomaly?: AnomalyOptions | false;
}

export interface ObservePlugin extends Plugin {
  readonly metrics: AiosMetrics;
  /** The port the door's record and run stages call (`around` only while tracing is on). */
  readonly observer: Observer;
  /** The instance's tracing, when configured. */
  readonly tracing: Tracing | undefined;
  readonly slo: SloEvaluator | undefined;
  readonly anomaly: AnomalyDetector | undefined;
}

export function observePlugin(o: ObserveOptions = {}): ObservePlugin {
  const m = new AiosMetrics(o.limits);
  const subs: Subscription[] = [];
  let tracing: Tracing | undefined;
  let observer = metricsObserver(m);
  let slo: SloEvaluator | undefined;
  let anomaly: AnomalyDetector | undefined;
  return {
    name: "observe",
    metrics: m,
    get observer(): Observer {
      return observer;
    },
    get tracing(): Tracing | undefined {
      return tracing;
    },
    get slo(): SloEvaluator | undefined {
      return slo;
    },
    get anomaly(): AnomalyDetector | undefined {
      return anomaly;
    },
    async install(kernel: Kernel): Promise<void> {
      m.sample(typeof o.sources === "function" ? o.sources(kernel) : (o.sources ?? {}));
      subs.push(feedMetrics(kernel.events, m, { tenantOf: (id: AgentId) => kernel.find(id)?.spec.tenant, isSyscall: (name) => kernel.syscalls.get(name) !== undefined }));
      const timers = watch(kernel, m, o, subs);
      slo = timers.slo;
      anomaly = timers.anomaly;
      let traced: readonly string[] = ["ToolCall"];
      if (o.tracing !== undefined) {
        const mod = await import("./tracing.js");
        traced = mod.TRACED_SYSCALLS;
        const t = new mod.Tracing(o.tracing, {
          onExit: (id, cb) => void kernel.wait(id).then((info) => cb(info.status), () => cb("gone")),
          ...(o.tracing.sandboxOf === undefined ? {} : { sandboxOf: o.tracing.sandboxOf }),
        });
        tracing = t;
        observer = metricsObserver(m, t.around);
      }
      instrumentSyscalls(kernel.syscalls, {
        names: traced,
        onHandled: (_caller, name, args, ok, us) => {
          if (name === "ToolCall") recordTool(m, toolName(args), ok ? "ok" : "error", us);
        },
        ...(tracing === undefined ? {} : { around: tracing.around }),
      });
      kernel.onShutdown(async () => {
        timers.stop();
        for (const s of subs) s.unsubscribe();
        await tracing?.shutdown();
      });
    },
  };
}

/**
 * Starts the SLO evaluator and the anomaly detector on the kernel's clock: one timer that evaluates
 * the rules and closes idle anomaly windows every interval.
 */
function watch(kernel: Kernel, m: AiosMetrics, o: ObserveOptions, subs: Subscription[]): { slo: SloEvaluator | undefined; anomaly: AnomalyDetector | undefined; stop(): void } {
  const slo = o.slo === false ? undefined : new SloEvaluator(m, kernel.events);
  let anomaly: AnomalyDetector | undefined;
  if (o.anomaly !== false) {
    const a = new AnomalyDetector(kernel.events, o.anomaly ?? {});
    a.onAnomaly = (kind) => m.anomalies.inc({ kind });
    subs.push(kernel.events.subscribe({ types: AnomalyDetector.TYPES }, (e) => a.observe(e), { bufferSize: 100_000 }));
    m.dropSources.push(subs[subs.length - 1] as Subscription);
    anomaly = a;
  }
  const every = o.slo === false ? 15_000 : (o.slo?.intervalMs ?? 15_000);
  let timer: ReturnType<Kernel["clock"]["setTimeout"]> | undefined;
  let stopped = false;
  const round = async (): Promise<void> => {
    const now = kernel.clock.now();
    anomaly?.tick(now);
    if (slo !== undefined) await slo.evaluate(now);
  };
  const arm = (): void => {
    if (stopped) return;
    timer = kernel.clock.setTimeout(() => {
      round().catch((e: unknown) => kernel.kernelError(e, "observe: SLO evaluation")).finally(arm);
    }, every);
  };
  if (slo !== undefined || anomaly !== undefined) arm();
  return {
    slo,
    anomaly,
    stop() {
      stopped = true;
      if (timer !== undefined) kernel.clock.clearTimeout(timer);
    },
  };
}
