/**
 * The port between the door and observability. The door's record stage calls `onSyscall` once per
 * call (allowed, failed or refused); its run stage, when `around` is present (tracing on), runs the
 * handler through it, which puts the call's span on the call object (`call.trace`: outgoing HTTP
 * carries its `traceparent`). With tracing off `around` is absent: the door pays one property read.
 * `around` takes the handler and its arguments, not a closure over them: a traced call allocates
 * no wrapper function.
 *
 * Until the door lands, `instrumentSyscalls` stands in for it: it decorates registered handlers
 * through the registry's public `replace`, and syscall counts and latency come from the kernel's
 * `syscall.completed` / `syscall.denied` events (metrics-feed.ts).
 */
import type { Caller, SyscallCall, SyscallRegistryPort } from "./kernel-types.js";
import type { AiosMetrics } from "./metrics.js";
import { recordSyscall } from "./metrics-feed.js";

export type SyscallDecision = "ok" | "error" | "denied";

export interface SyscallDetail {
  readonly args?: unknown;
  readonly result?: unknown;
  /** The error code of a refused or failed call. */
  readonly code?: string;
}

export interface Observer {
  onSyscall(caller: Caller, name: string, decision: SyscallDecision, durationUs: number, detail?: SyscallDetail): void;
  /**
   * Runs `handler(args, call)` inside the call's span. The door made `call` for this one call: the
   * span is set on it (`call.trace`) rather than on a copy.
   */
  readonly around?: <A, T>(call: SyscallCall, name: string, args: A, handler: (args: A, call: SyscallCall) => T | Promise<T>) => Promise<T>;
}

/** The metrics side of the Observer: syscall counts and latency, and per-tool figures for ToolCall. */
export function metricsObserver(m: AiosMetrics, around?: Observer["around"]): Observer {
  return {
    onSyscall(_caller, name, decision, durationUs, detail) {
      recordSyscall(m, name, decision, durationUs);
      if (name === "ToolCall" && decision !== "denied") recordTool(m, toolName(detail?.args), decision, durationUs);
    },
    ...(around === undefined ? {} : { around }),
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

/**
 * The stand-in for the door's run stage: decorates the named syscalls' handlers (all registered ones
 * when `names` is absent). `onHandled` sees each handler's outcome and time; `around` wraps it.
 */
export function instrumentSyscalls(
  registry: SyscallRegistryPort,
  o: {
    readonly names?: readonly string[];
    readonly onHandled?: (caller: Caller, name: string, args: unknown, ok: boolean, durationUs: number) => void;
    readonly around?: Observer["around"];
  },
): void {
  const { onHandled, around } = o;
  for (const name of o.names ?? registry.names()) {
    const def = registry.get(name);
    if (def === undefined) continue;
    const inner = def.handler;
    if (onHandled === undefined) {
      // Nothing to time: the handler runs straight through `around` (or is left alone).
      if (around !== undefined) registry.replace({ ...def, handler: (args, call) => around(call, name, args, inner) });
      continue;
    }
    const handler: typeof inner = async (args, call) => {
      const t0 = performance.now();
      let ok = false;
      try {
        const r = around === undefined ? await inner(args, call) : await around(call, name, args, inner);
        ok = true;
        return r;
      } finally {
        onHandled?.(call.caller, name, args, ok, (performance.now() - t0) * 1000);
      }
    };
    registry.replace({ ...def, handler });
  }
}
