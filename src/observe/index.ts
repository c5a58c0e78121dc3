/**
 * observe/: the metrics, traces and alerts of one OS instance. Prometheus metrics in a registry of
 * the instance's own (bounded series, no agent ids as labels), fed from the kernel event bus; the
 * Observer port the door's record stage calls; OpenTelemetry traces after the GenAI conventions,
 * off unless configured; SLO alert rules evaluated in process (and exported for Prometheus); per-agent
 * behavioural anomaly detection against each agent's own EWMA baseline. Sits beside security/ and audit/: imports core/ and
 * the kernel's contract types, never sdk/ or gateway/.
 */
import "./events.js";
export { AiosMetrics, STATUSES, type MetricsSources, type MetricsLimits, type PoolSample } from "./metrics.js";
export { feedMetrics, recordSyscall, recordDenied, METRIC_EVENT_TYPES, type FeedOptions } from "./metrics-feed.js";
export { BoundedLabel, OVERFLOW } from "./labels.js";
export { metricsObserver, type Observer, type SyscallDecision } from "./observer.js";
export type { Tracing, TracingOptions, TracingPorts } from "./tracing.js";
export { tracingFromConfig, otlpTracesUrl, TracingConfigSchema, type TracingConfig } from "./tracing-config.js";
export type { RecentSpans, SpanRecord, TraceSummary, WaterfallRow } from "./recent-spans.js";
export { traceHeaders, traceMeta, remoteParent, parseTraceparent, formatTraceparent } from "./trace-context.js";
export { ATTR, AIOS_ATTR, OPERATION, SPAN } from "./semconv.js";
export { SloEvaluator, type AlertState } from "./slo.js";
export { SLO_RULES, prometheusRules, quantile, type SloRule, type SloSample } from "./slo-rules.js";
export { AnomalyDetector, type AnomalyOptions } from "./anomaly.js";
export { observeSubsystem, type ObserveService, type ObserveOptions } from "./subsystem.js";
