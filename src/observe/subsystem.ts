/**
 * observeSubsystem: observe/ as a factory (abi/subsystem.ts). It feeds the instance's metrics from
 * the event bus and, for syscall outcomes, from the door's record stage (its `observer` stage),
 * runs the SLO evaluator and the anomaly detector on the kernel clock and, when tracing is
 * configured, provides the door's trace stage (Tracing: the spans of traced calls, opened and closed
 * by the door's run stage, and trace context on messages; no handler is wrapped). Its service
 * (`observe`) is the metrics, the observer port, tracing, SLO and anomaly.
 */
import type { AgentId, EventDataMap, Subscription } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Subsystem, SubsystemHost } from "./kernel-types.js";
import { AiosMetrics, type MetricsLimits, type MetricsSources } from "./metrics.js";
import { feedMetrics } from "./metrics-feed.js";
import { metricsObserver, type Observer } from "./observer.js";
import { AnomalyDetector, type AnomalyOptions } from "./anomaly.js";
import { SloEvaluator } from "./slo.js";
// Types only: the tracing SDK is loaded (dynamic import) only when tracing is configured.
import type { Tracing, TracingOptions, TracingPorts } from "./tracing.js";

export interface ObserveOptions {
  /** Traces: off unless given (then spans go to `tracing.endpoint` by OTLP/HTTP, or `tracing.exporter`). */
  readonly tracing?: TracingOptions & Pick<TracingPorts, "sandboxOf">;
  /** Sources sampled at scrape time; a function receives the host port at build. */
  readonly sources?: MetricsSources | ((host: SubsystemHost) => MetricsSources);
  readonly limits?: MetricsLimits;
  /** The metrics to feed (default: new ones with `limits`); the composition root makes them first so the journal can report commits into them. */
  readonly metrics?: AiosMetrics;
  /** In-process SLO rules, evaluated every `intervalMs` of kernel time (default 15 s); `false`: off. */
  readonly slo?: { readonly intervalMs?: number } | false;
  /** Per-agent behavioural anomaly detection (default on); `false`: off. */
  readonly anomaly?: AnomalyOptions | false;
}

export interface ObserveService {
  readonly metrics: AiosMetrics;
  /** The door's record stage's observer (syscall outcomes for the metrics and the anomaly detector). */
  readonly observer: Observer;
  /** The instance's tracing, when configured. */
  readonly tracing: Tracing | undefined;
  readonly slo: SloEvaluator | undefined;
  readonly anomaly: AnomalyDetector | undefined;
}

export function observeSubsystem(o: ObserveOptions = {}): Subsystem<"observe", ObserveService> {
  return {
    name: "observe",
    needs: [],
    async build(host) {
      const m = o.metrics ?? new AiosMetrics(o.limits);
      const subs: Subscription[] = [];
      m.sample(typeof o.sources === "function" ? o.sources(host) : (o.sources ?? {}));
      const anomaly = o.anomaly === false ? undefined : new AnomalyDetector(host.events, o.anomaly ?? {});
      if (anomaly !== undefined) anomaly.onAnomaly = (kind) => m.anomalies.at(kind).inc();
      const now = (): number => host.clock.now();
      // Syscall outcomes come from the door's record stage (the observer below), the rest from the bus.
      subs.push(feedMetrics(host.events, m, { door: true, now, tenantOf: (id: AgentId) => host.agent(id)?.spec.tenant, isSyscall: (name) => host.hasSyscall(name), ...(anomaly === undefined ? {} : { anomaly }) }));
      const timers = watch(host, m, o, anomaly);
      let tracing: Tracing | undefined;
      const observer = metricsObserver(m, { now, ...(anomaly === undefined ? {} : { anomaly }) });
      if (o.tracing !== undefined) {
        const mod = await import("./tracing.js");
        const t = await mod.Tracing.start(o.tracing, {
          nameOf: (id) => host.agent(id)?.spec.name,
          statusOf: (id) => host.agent(id)?.status,
          ...(o.tracing.sandboxOf === undefined ? {} : { sandboxOf: o.tracing.sandboxOf }),
        });
        tracing = t;
        // An agent's run span ends with its terminal transition, told synchronously (no waiter per agent).
        subs.push(host.events.tap(["agent.transition"], (_type, data, agent) => {
          const to = (data as EventDataMap["agent.transition"]).to;
          if (agent !== undefined && isTerminal(to)) t.endAgent(agent, to);
        }));
      }
      return {
        service: { metrics: m, observer, tracing, slo: timers.slo, anomaly: timers.anomaly },
        // The record stage tells the observer each call's outcome. Tracing on, the run stage opens
        // and closes the traced calls' spans and messages carry the trace context (the kernel's
        // letter field, journaled for a durable recipient); no handler is wrapped, on or off.
        stages: tracing === undefined ? { observer } : { observer, trace: tracing },
        stop: async () => {
          timers.stop();
          for (const s of subs) s.unsubscribe();
          await tracing?.shutdown();
        },
      };
    },
  };
}

/**
 * Starts the SLO evaluator and the anomaly detector (fed by the metrics' subscription) on the
 * kernel's clock: one timer that evaluates the rules and closes idle anomaly windows every interval.
 */
function watch(kernel: SubsystemHost, m: AiosMetrics, o: ObserveOptions, anomaly: AnomalyDetector | undefined): { slo: SloEvaluator | undefined; anomaly: AnomalyDetector | undefined; stop(): void } {
  const slo = o.slo === false ? undefined : new SloEvaluator(m, kernel.events);
  const every = o.slo === false ? 15_000 : (o.slo?.intervalMs ?? 15_000);
  let timer: ReturnType<SubsystemHost["clock"]["setTimeout"]> | undefined;
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
