/**
 * The port between the door and observability. The door's record stage tells it each call's
 * outcome (`completed`, `denied`: abi's SyscallObserver, a stage observe/ provides), synchronously
 * and with no event object: the metrics and the anomaly detector read syscalls there, not from
 * `syscall.completed` / `syscall.denied` events, which the kernel then builds only for their other
 * subscribers. ToolCall's per-tool figures come from the same call (its arguments name the tool),
 * so no handler is wrapped for them. When tracing is on, `around` runs the traced handlers (wrapped
 * through the registry's public `replace` by `instrumentSyscalls`), which puts each call's span on
 * the call object (`call.trace`: outgoing HTTP carries its `traceparent`). `around` takes the
 * handler and its arguments, not a closure over them: a traced call allocates no wrapper function.
 */
import type { SyscallCall, SyscallObserver, SyscallRegistryPort } from "./kernel-types.js";
import type { AiosMetrics } from "./metrics.js";
import { recordDenied, recordSyscall } from "./metrics-feed.js";
import type { AnomalyDetector } from "./anomaly.js";

export type SyscallDecision = "ok" | "error" | "denied";

export interface Observer extends SyscallObserver {
  /**
   * Runs `handler(args, call)` inside the call's span. The door made `call` for this one call: the
   * span is set on it (`call.trace`) rather than on a copy.
   */
  readonly around?: <A, T>(call: SyscallCall, name: string, args: A, handler: (args: A, call: SyscallCall) => T | Promise<T>) => Promise<T>;
}

/**
 * The metrics side of the Observer: syscall counts and latency, per-tool figures for ToolCall, and
 * the anomaly detector's per-agent syscall mix and denials (at `now`, the kernel clock's time).
 */
export function metricsObserver(m: AiosMetrics, o: { readonly anomaly?: AnomalyDetector; readonly now: () => number; readonly around?: Observer["around"] }): Observer {
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
    ...(o.around === undefined ? {} : { around: o.around }),
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

/** Runs the named syscalls' handlers (all registered ones when `names` is absent) through `around`. */
export function instrumentSyscalls(registry: SyscallRegistryPort, o: { readonly names?: readonly string[]; readonly around: NonNullable<Observer["around"]> }): void {
  const { around } = o;
  for (const name of o.names ?? registry.names()) {
    const def = registry.get(name);
    if (def === undefined) continue;
    const inner = def.handler;
    registry.replace({ ...def, handler: (args, call) => around(call, name, args, inner) });
  }
}
