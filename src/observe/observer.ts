/**
 * The port between the door and observability. The door's record stage tells it each call's
 * outcome (`completed`, `denied`: abi's SyscallObserver, a stage observe/ provides), synchronously
 * and with no event object: the metrics and the anomaly detector read syscalls there, not from
 * `syscall.completed` / `syscall.denied` events, which the kernel then builds only for their other
 * subscribers. ToolCall's per-tool figures come from the same call (its arguments name the tool),
 * so no handler is wrapped for them. Spans are not this port's: while tracing is on, the door's run
 * stage opens and closes a traced call's span through the trace stage (abi's CallTracer, Tracing),
 * and no handler is wrapped then either (ADR 0057).
 */
import type { SyscallObserver } from "./kernel-types.js";
import type { AiosMetrics } from "./metrics.js";
import { recordDenied, recordSyscall } from "./metrics-feed.js";
import type { AnomalyDetector } from "./anomaly.js";

export type SyscallDecision = "ok" | "error" | "denied";

export type Observer = SyscallObserver;

/**
 * The metrics side of the Observer: syscall counts and latency, per-tool figures for ToolCall, and
 * the anomaly detector's per-agent syscall mix and denials (at `now`, the kernel clock's time).
 */
export function metricsObserver(m: AiosMetrics, o: { readonly anomaly?: AnomalyDetector; readonly now: () => number }): Observer {
  const { anomaly, now } = o;
  return {
    completed(caller, name, ok, durationUs, args) {
      recordSyscall(m, name, ok ? "ok" : "error", durationUs);
      if (name === "ToolCall") recordTool(m, toolName(args), ok ? "ok" : "error", durationUs);
      anomaly?.call(caller.agent, name, false, now());
    },
    denied(caller, name, code) {
      recordDenied(m, name, code);
      anomaly?.call(caller.agent, name, true, now());
    },
  };
}

export function recordTool(m: AiosMetrics, tool: string, outcome: "ok" | "error", durationUs: number): void {
  const t = m.labels.tool.of(tool);
  m.toolCalls.at(t, outcome).inc();
  m.toolSeconds.at(t).observe(durationUs / 1e6);
}

export function toolName(args: unknown): string {
  const t = typeof args === "object" && args !== null ? (args as { tool?: unknown }).tool : undefined;
  return typeof t === "string" ? t : "unknown";
}
