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
// Types only: the tracing SDK is loaded (dynamic import) only when tracing is configured.
import type { Tracing, TracingOptions, TracingPorts } from "./tracing.js";

export interface ObserveOptions {
  /** Traces: off unless given (then spans go to `tracing.endpoint` by OTLP/HTTP, or `tracing.exporter`). */
  readonly tracing?: TracingOptions & Pick<TracingPorts, "sandboxOf">;
  /** Sources sampled at scrape time; a function receives the kernel once it is installed. */
  readonly sources?: MetricsSources | ((kernel: Kernel) => MetricsSources);
  readonly limits?: MetricsLimits;
}

export interface ObservePlugin extends Plugin {
  readonly metrics: AiosMetrics;
  /** The port the door's record and run stages call (`around` only while tracing is on). */
  readonly observer: Observer;
  /** The instance's tracing, when configured. */
  readonly tracing: Tracing | undefined;
}

export function observePlugin(o: ObserveOptions = {}): ObservePlugin {
  const m = new AiosMetrics(o.limits);
  const subs: Subscription[] = [];
  let tracing: Tracing | undefined;
  let observer = metricsObserver(m);
  return {
    name: "observe",
    metrics: m,
    get observer(): Observer {
      return observer;
    },
    get tracing(): Tracing | undefined {
      return tracing;
    },
    async install(kernel: Kernel): Promise<void> {
      m.sample(typeof o.sources === "function" ? o.sources(kernel) : (o.sources ?? {}));
      subs.push(feedMetrics(kernel.events, m, { tenantOf: (id: AgentId) => kernel.find(id)?.spec.tenant }));
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
        for (const s of subs) s.unsubscribe();
        await tracing?.shutdown();
      });
    },
  };
}
