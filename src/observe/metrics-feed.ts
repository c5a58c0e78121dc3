/**
 * Feeds an instance's metrics from the kernel event bus (DESIGN invariant 4: metrics read the bus).
 * One subscription with a large buffer, which also hands the anomaly detector its events (one
 * buffer and one drain for both); if it ever overflows, the drop count is exported
 * (aios_observe_events_dropped) rather than hidden. Tenants come from a look-up the composition root
 * passes in (events name the agent; the agent's tenant is a bounded label, the agent id is not).
 */
import type { AgentId, AnyKernelEvent, EventBus, Subscription } from "../core/index.js";
import type { AiosMetrics } from "./metrics.js";
import { AnomalyDetector } from "./anomaly.js";

/** The event types the metrics read. */
export const METRIC_EVENT_TYPES = [
  "agent.spawned", "agent.transition", "agent.restarted", "agent.crashed",
  "syscall.completed", "syscall.denied", "syscall.batch",
  "model.call", "sched.granted", "memory.stored",
] as const;

const TERMINAL = new Set(["completed", "failed", "killed"]);

export interface FeedOptions {
  /** The tenant of an agent, for per-tenant model figures ("unknown" when the agent is gone). */
  readonly tenantOf?: (agent: AgentId) => string | undefined;
  /** True for a registered syscall; other names (a call to no syscall is a denial) count as "unknown". */
  readonly isSyscall?: (name: string) => boolean;
  /** Events buffered for the metrics subscriber (default 100,000). */
  readonly bufferSize?: number;
  /** The anomaly detector, given its event types from the same subscription. */
  readonly anomaly?: AnomalyDetector;
}

const ANOMALY_TYPES: ReadonlySet<string> = new Set(AnomalyDetector.TYPES);
const FEED_TYPES: readonly string[] = [...new Set<string>([...METRIC_EVENT_TYPES, ...AnomalyDetector.TYPES])];

export function feedMetrics(bus: EventBus, m: AiosMetrics, o: FeedOptions = {}): Subscription {
  const tenantOf = o.tenantOf ?? (() => undefined);
  const isSyscall = o.isSyscall;
  if (isSyscall !== undefined) m.knownSyscall = isSyscall;
  const anomaly = o.anomaly;
  const listener = anomaly === undefined
    ? (e: AnyKernelEvent) => apply(m, e, tenantOf)
    : (e: AnyKernelEvent) => {
        apply(m, e, tenantOf);
        if (ANOMALY_TYPES.has(e.type)) anomaly.observe(e);
      };
  const sub = bus.subscribe({ types: FEED_TYPES }, listener, { bufferSize: o.bufferSize ?? 100_000 });
  m.dropSources.push(sub);
  return sub;
}

/** Records one syscall outcome (the door's record stage calls this through the Observer, too). */
export function recordSyscall(m: AiosMetrics, name: string, outcome: "ok" | "error" | "denied", durationUs: number): void {
  const syscall = syscallLabel(m, name);
  m.syscalls.at(syscall, outcome).inc();
  m.syscallSeconds.at(syscall, outcome).observe(durationUs / 1e6);
  if (name === "MemoryQuery" && outcome === "ok") m.memoryQuerySeconds.at().observe(durationUs / 1e6);
}

function syscallLabel(m: AiosMetrics, name: string): string {
  return m.knownSyscall(name) ? m.labels.syscall.of(name) : "unknown";
}

function apply(m: AiosMetrics, e: AnyKernelEvent, tenantOf: (a: AgentId) => string | undefined): void {
  switch (e.type) {
    case "agent.spawned":
      m.spawns.at(e.data.kind === "llm" || e.data.kind === "code" ? e.data.kind : "other").inc();
      return;
    case "agent.transition": {
      const { from, to } = e.data;
      if (from !== "none") m.byState.set(from, Math.max(0, (m.byState.get(from) ?? 0) - 1));
      m.byState.set(to, (m.byState.get(to) ?? 0) + 1);
      if (TERMINAL.has(to)) m.exits.at(to).inc();
      return;
    }
    case "agent.restarted":
      m.restarts.at().inc();
      return;
    case "agent.crashed":
      m.crashes.at().inc();
      return;
    case "syscall.completed":
      // An async syscall reports its start (handle) here; its end is not a door latency.
      recordSyscall(m, e.data.name, e.data.ok ? "ok" : "error", e.data.durationUs);
      return;
    case "syscall.batch":
      // Sends allowed on the fast path, counted per agent and interval (no per-call latency).
      m.syscalls.at(syscallLabel(m, e.data.name), "ok").inc(e.data.count);
      return;
    case "syscall.denied": {
      const syscall = syscallLabel(m, e.data.name);
      m.syscalls.at(syscall, "denied").inc();
      m.denials.at(syscall, m.labels.code.of(e.data.code)).inc();
      return;
    }
    case "model.call": {
      const d = e.data;
      const model = m.labels.model.of(d.model);
      const tenant = m.labels.tenant.of((e.agent === undefined ? undefined : tenantOf(e.agent)) ?? "unknown");
      m.modelCalls.at(model, tenant).inc();
      m.modelTokens.at(model, tenant, "input").inc(d.promptTokens);
      m.modelTokens.at(model, tenant, "output").inc(d.completionTokens);
      if (d.cost > 0) m.modelCost.at(model, tenant).inc(d.cost);
      m.modelSeconds.at(model).observe(d.durationMs / 1000);
      return;
    }
    case "sched.granted":
      m.queueWait.at(m.labels.pool.of(e.data.pool)).observe(e.data.waitedMs / 1000);
      return;
    case "memory.stored":
      m.memoryWrites.at(m.labels.op.of(e.data.op)).inc();
      return;
    default:
      return;
  }
}
