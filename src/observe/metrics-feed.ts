/**
 * Feeds an instance's metrics from the kernel event bus (DESIGN invariant 4: metrics read the bus)
 * through one tap (EventBus.tap): each event's type, data and agent, told synchronously by `emit`,
 * with no event object, buffer or drain; the same tap hands the anomaly detector its events. A
 * type only the tap wants costs its emitter the data object and nothing else. Nothing is dropped
 * (aios_observe_events_dropped stays, counting the tap's drops: none). Tenants come from a look-up
 * the composition root passes in (events name the agent; the agent's tenant is a bounded label, the
 * agent id is not). Syscall outcomes are read from `syscall.completed` / `syscall.denied` events
 * unless the door's record stage tells them (`door: true`, observer.ts): the installed observe/
 * takes them there, so the kernel builds no event per call for it.
 */
import type { AgentId, EventBus, EventDataMap, EventType, Subscription } from "../core/index.js";
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
  /** The anomaly detector, given its event types from the same tap (at `now`). */
  readonly anomaly?: AnomalyDetector;
  /** The time the anomaly detector sees (the kernel clock's; default Date.now). */
  readonly now?: () => number;
  /** True: the door's record stage tells syscall outcomes (metricsObserver), so their events are not read. */
  readonly door?: boolean;
}

const ANOMALY_TYPES: ReadonlySet<string> = new Set(AnomalyDetector.TYPES);
const FEED_TYPES: readonly string[] = [...new Set<string>([...METRIC_EVENT_TYPES, ...AnomalyDetector.TYPES])];
/** The syscall outcomes the door tells the observer directly. */
const DOOR_TYPES: ReadonlySet<string> = new Set(["syscall.completed", "syscall.denied"]);
const FEED_TYPES_DOOR: readonly string[] = FEED_TYPES.filter((t) => !DOOR_TYPES.has(t));

export function feedMetrics(bus: EventBus, m: AiosMetrics, o: FeedOptions = {}): Subscription {
  const tenantOf = o.tenantOf ?? (() => undefined);
  const isSyscall = o.isSyscall;
  if (isSyscall !== undefined) m.knownSyscall = isSyscall;
  const anomaly = o.anomaly;
  const now = o.now ?? Date.now;
  const tap = bus.tap(o.door === true ? FEED_TYPES_DOOR : FEED_TYPES, (type, data, agent) => {
    apply(m, type, data, agent, tenantOf);
    if (anomaly !== undefined && agent !== undefined && ANOMALY_TYPES.has(type)) anomaly.tell(type, data, agent, now());
  });
  m.dropSources.push(tap);
  return tap;
}

/** Records one syscall outcome (from the door's record stage through the Observer, or from its event). */
export function recordSyscall(m: AiosMetrics, name: string, outcome: "ok" | "error" | "denied", durationUs: number): void {
  const syscall = syscallLabel(m, name);
  m.syscalls.at(syscall, outcome).inc();
  m.syscallSeconds.at(syscall, outcome).observe(durationUs / 1e6);
  if (name === "MemoryQuery" && outcome === "ok") m.memoryQuerySeconds.at().observe(durationUs / 1e6);
}

/** Counts one refused call (by syscall, and by syscall and error code). */
export function recordDenied(m: AiosMetrics, name: string, code: string): void {
  const syscall = syscallLabel(m, name);
  m.syscalls.at(syscall, "denied").inc();
  m.denials.at(syscall, m.labels.code.of(code)).inc();
}

function syscallLabel(m: AiosMetrics, name: string): string {
  return m.knownSyscall(name) ? m.labels.syscall.of(name) : "unknown";
}

/** One event's data, of the type `type` names (a tap is told both apart; they agree by construction). */
function dataOf<T extends EventType>(_type: T, data: EventDataMap[EventType]): EventDataMap[T] {
  return data as EventDataMap[T];
}

function apply(m: AiosMetrics, type: EventType, data: EventDataMap[EventType], agent: AgentId | undefined, tenantOf: (a: AgentId) => string | undefined): void {
  switch (type) {
    case "agent.spawned": {
      const kind = dataOf(type, data).kind;
      m.spawns.at(kind === "llm" || kind === "code" ? kind : "other").inc();
      return;
    }
    case "agent.transition": {
      const { from, to } = dataOf(type, data);
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
    case "syscall.completed": {
      // An async syscall reports its start (handle) here; its end is not a door latency.
      const d = dataOf(type, data);
      recordSyscall(m, d.name, d.ok ? "ok" : "error", d.durationUs);
      return;
    }
    case "syscall.batch": {
      // Sends allowed on the fast path, counted per agent and interval (no per-call latency).
      const d = dataOf(type, data);
      m.syscalls.at(syscallLabel(m, d.name), "ok").inc(d.count);
      return;
    }
    case "syscall.denied": {
      const d = dataOf(type, data);
      recordDenied(m, d.name, d.code);
      return;
    }
    case "model.call": {
      const d = dataOf(type, data);
      const model = m.labels.model.of(d.model);
      const tenant = m.labels.tenant.of((agent === undefined ? undefined : tenantOf(agent)) ?? "unknown");
      m.modelCalls.at(model, tenant).inc();
      m.modelTokens.at(model, tenant, "input").inc(d.promptTokens);
      m.modelTokens.at(model, tenant, "output").inc(d.completionTokens);
      if (d.cost > 0) m.modelCost.at(model, tenant).inc(d.cost);
      m.modelSeconds.at(model).observe(d.durationMs / 1000);
      return;
    }
    case "sched.granted": {
      const d = dataOf(type, data);
      m.queueWait.at(m.labels.pool.of(d.pool)).observe(d.waitedMs / 1000);
      return;
    }
    case "memory.stored":
      m.memoryWrites.at(m.labels.op.of(dataOf(type, data).op)).inc();
      return;
    default:
      return;
  }
}
