/**
 * The metrics of one OS instance: a prom-client Registry of its own (never the process-global one, so
 * two booted systems in one process never mix their figures), with every metric AIOS exports defined
 * here, in one place. Counters and histograms (series.ts) are fed from the kernel event bus (metrics-feed.ts);
 * gauges that describe current state (mailbox depth, pool use, audit chain length, memory records,
 * free disk) are sampled at scrape time from the sources the composition root passes in.
 *
 * Series are bounded by design: no label carries an agent id; data-derived labels (model, tenant,
 * tool, pool) admit a fixed number of distinct values (labels.ts) and the syscall label only names
 * registered syscalls. Worst case, with the limits below: syscalls 32 names x 3 outcomes x
 * (10 buckets + 3) for the latency histogram; everything else is an order of magnitude smaller.
 */
import type * as PromClient from "prom-client";
// prom-client's index also loads the summary, pushgateway (http, https, url), default process
// metrics and cluster aggregation modules, which AIOS never uses: ~80 CPU-ms of every boot (issue
// #17 item 6). Only its registry (which renders the exposition) and gauges are loaded, from their
// files; counters and histograms are series.ts's, fed on the hot path without a label hash. The
// version is pinned in package.json, so these internal paths are stable;
// tests/observe/metrics.test.ts scrapes through them. They are static imports (typed in
// prom-client-lib.d.ts), not a created require: a bundler must see them, or a bundle that includes
// its packages (the MCP conformance client) fails to find them at run time.
import Registry from "prom-client/lib/registry.js";
import Gauge from "prom-client/lib/gauge.js";
import { AiosError, type AgentStatus } from "../core/index.js";
import { BoundedLabel } from "./labels.js";
import { CounterFamily, HistogramFamily } from "./series.js";

type Gauge<T extends string = string> = PromClient.Gauge<T>;

export interface PoolSample {
  readonly name: string;
  readonly capacity: number;
  readonly inUse: number;
  readonly queued: number;
}

/** What the composition root lets the metrics sample at scrape time. Every source is optional. */
export interface MetricsSources {
  /** Messages waiting in all mailboxes, and in the deepest one. */
  readonly mailboxes?: () => { readonly total: number; readonly max: number };
  /** Inference and tool slot pools: capacity, slots in use, requests queued. */
  readonly pools?: () => readonly PoolSample[];
  /** Committed entries in the audit hash chain. */
  readonly auditEntries?: () => number;
  /** Records currently held by the memory fabric. */
  readonly memoryRecords?: () => number;
  /** Free and total bytes on the file system of the data directory. */
  readonly disk?: () => { readonly free: number; readonly size: number } | undefined;
}

export const STATUSES: readonly AgentStatus[] = ["pending", "running", "paused", "completed", "failed", "killed"];

/** Seconds; syscalls range from microseconds (Noop) to minutes (a model call). */
const LATENCY_BUCKETS = [0.0001, 0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.25, 1, 5, 30];

export interface MetricsLimits {
  readonly syscalls?: number;
  readonly models?: number;
  readonly tenants?: number;
  readonly tools?: number;
  readonly pools?: number;
}

export class AiosMetrics {
  readonly registry = new Registry();
  readonly labels: {
    readonly syscall: BoundedLabel;
    readonly model: BoundedLabel;
    readonly tenant: BoundedLabel;
    readonly tool: BoundedLabel;
    readonly pool: BoundedLabel;
    readonly op: BoundedLabel;
    readonly code: BoundedLabel;
  };
  /** Whether a name is a registered syscall (set by the feed from the kernel's registry). */
  knownSyscall: (name: string) => boolean = () => true;

  readonly agents: Gauge<"state">;
  readonly spawns: CounterFamily<"kind">;
  readonly exits: CounterFamily<"status">;
  readonly restarts: CounterFamily;
  readonly crashes: CounterFamily;
  readonly syscalls: CounterFamily<"syscall" | "outcome">;
  readonly syscallSeconds: HistogramFamily<"syscall" | "outcome">;
  readonly denials: CounterFamily<"syscall" | "code">;
  readonly modelCalls: CounterFamily<"model" | "tenant">;
  readonly modelTokens: CounterFamily<"model" | "tenant" | "type">;
  readonly modelCost: CounterFamily<"model" | "tenant">;
  readonly modelSeconds: HistogramFamily<"model">;
  readonly queueWait: HistogramFamily<"pool">;
  readonly toolCalls: CounterFamily<"tool" | "outcome">;
  readonly toolSeconds: HistogramFamily<"tool">;
  readonly journalCommitSeconds: HistogramFamily;
  readonly journalRecords: CounterFamily;
  readonly journalCommits: CounterFamily<"idle">;
  readonly memoryWrites: CounterFamily<"op">;
  readonly memoryQuerySeconds: HistogramFamily;
  readonly auditVerifications: CounterFamily<"result">;
  readonly sloFiring: Gauge<"alert">;
  readonly anomalies: CounterFamily<"kind">;
  readonly eventsDropped: Gauge;

  private sampling = false;
  /** Subscriptions whose dropped events the eventsDropped gauge reports. */
  readonly dropSources: { readonly dropped: number }[] = [];

  /** Agent counts by state, kept from transitions (the gauge reads them at scrape time). */
  readonly byState = new Map<AgentStatus, number>(STATUSES.map((s) => [s, 0]));

  constructor(limits: MetricsLimits = {}) {
    const registers = [this.registry];
    this.labels = {
      syscall: new BoundedLabel(limits.syscalls ?? 32),
      model: new BoundedLabel(limits.models ?? 16),
      tenant: new BoundedLabel(limits.tenants ?? 16),
      tool: new BoundedLabel(limits.tools ?? 64),
      pool: new BoundedLabel(limits.pools ?? 32),
      op: new BoundedLabel(16),
      code: new BoundedLabel(64),
    };
    const byState = this.byState;
    this.agents = new Gauge({
      name: "aios_agents", help: "Agents in the process table by lifecycle state", labelNames: ["state"], registers,
      collect() {
        for (const [s, n] of byState) this.set({ state: s }, n);
      },
    });
    this.spawns = new CounterFamily({ name: "aios_agent_spawns_total", help: "Agents spawned, by kind", labelNames: ["kind"], registers });
    this.exits = new CounterFamily({ name: "aios_agent_exits_total", help: "Agents that reached a terminal state, by that state", labelNames: ["status"], registers });
    this.restarts = new CounterFamily({ name: "aios_agent_restarts_total", help: "Agents restarted by their supervisor", registers });
    this.crashes = new CounterFamily({ name: "aios_agent_crashes_total", help: "Agent receives that threw", registers });
    this.syscalls = new CounterFamily({ name: "aios_syscalls_total", help: "Syscalls by name and outcome (ok, error, denied)", labelNames: ["syscall", "outcome"], registers });
    this.syscallSeconds = new HistogramFamily({
      name: "aios_syscall_duration_seconds", help: "Syscall latency through the door, by name and outcome", labelNames: ["syscall", "outcome"], buckets: LATENCY_BUCKETS, registers,
    });
    this.denials = new CounterFamily({ name: "aios_syscall_denials_total", help: "Syscalls refused before their handler, by name and error code", labelNames: ["syscall", "code"], registers });
    this.modelCalls = new CounterFamily({ name: "aios_model_calls_total", help: "Model calls by model and tenant", labelNames: ["model", "tenant"], registers });
    this.modelTokens = new CounterFamily({ name: "aios_model_tokens_total", help: "Model tokens by model, tenant and type (input, output)", labelNames: ["model", "tenant", "type"], registers });
    this.modelCost = new CounterFamily({ name: "aios_model_cost_credits_total", help: "Model cost in credits by model and tenant", labelNames: ["model", "tenant"], registers });
    this.modelSeconds = new HistogramFamily({ name: "aios_model_call_duration_seconds", help: "Model call latency by model", labelNames: ["model"], buckets: LATENCY_BUCKETS, registers });
    this.queueWait = new HistogramFamily({ name: "aios_sched_wait_seconds", help: "Time a request waited for a slot, by pool", labelNames: ["pool"], buckets: WAIT_BUCKETS, registers });
    this.toolCalls = new CounterFamily({ name: "aios_tool_calls_total", help: "Tool calls by tool and outcome (ok, error)", labelNames: ["tool", "outcome"], registers });
    this.toolSeconds = new HistogramFamily({ name: "aios_tool_call_duration_seconds", help: "Tool handler latency by tool", labelNames: ["tool"], buckets: LATENCY_BUCKETS, registers });
    this.journalCommitSeconds = new HistogramFamily({ name: "aios_journal_commit_duration_seconds", help: "Journal group-commit latency (one durable batch)", buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers });
    this.journalRecords = new CounterFamily({ name: "aios_journal_records_total", help: "Records stored by journal commits (rows written; records a batch leaves out, ADR 0071, are not counted)", registers });
    this.journalCommits = new CounterFamily({ name: "aios_journal_commits_total", help: "Journal batches committed, by whether they went with nothing else waiting to run (idle: committed on the kernel's thread where the driver has a writer thread, ADR 0072)", labelNames: ["idle"], registers });
    this.memoryWrites = new CounterFamily({ name: "aios_memory_writes_total", help: "Memory record writes by operation", labelNames: ["op"], registers });
    this.memoryQuerySeconds = new HistogramFamily({ name: "aios_memory_query_duration_seconds", help: "Memory query latency (MemoryQuery syscalls)", buckets: LATENCY_BUCKETS, registers });
    this.auditVerifications = new CounterFamily({ name: "aios_audit_verifications_total", help: "Audit chain verifications by result (ok, failed)", labelNames: ["result"], registers });
    this.sloFiring = new Gauge({ name: "aios_slo_alerts_firing", help: "1 while an in-process SLO alert fires, by alert", labelNames: ["alert"], registers });
    this.anomalies = new CounterFamily({ name: "aios_security_anomalies_total", help: "Behavioural anomalies raised, by kind", labelNames: ["kind"], registers });
    const drops = this.dropSources;
    this.eventsDropped = new Gauge({
      name: "aios_observe_events_dropped", help: "Kernel events the observability subscribers dropped (buffer full)", registers,
      collect() {
        let n = 0;
        for (const d of drops) n += d.dropped;
        this.set(n);
      },
    });
  }

  /** Adds the gauges read from `s` at scrape time (once per instance: a second call is refused). */
  sample(s: MetricsSources): void {
    if (this.sampling) throw new AiosError("E_CONFIG", "observe: metrics sources are already attached");
    this.sampling = true;
    const registers = [this.registry];
    const { mailboxes, pools, auditEntries, memoryRecords, disk } = s;
    const pool = this.labels.pool;
    if (mailboxes !== undefined) {
      new Gauge({ name: "aios_mailbox_messages", help: "Messages waiting in all mailboxes", registers, collect() { this.set(mailboxes().total); } });
      new Gauge({ name: "aios_mailbox_depth_max", help: "Messages waiting in the deepest mailbox", registers, collect() { this.set(mailboxes().max); } });
    }
    if (pools !== undefined) {
      const gauge = (name: string, help: string, pick: (p: PoolSample) => number): void => {
        new Gauge({ name, help, labelNames: ["pool"], registers, collect() { for (const p of pools()) this.set({ pool: pool.of(p.name) }, pick(p)); } });
      };
      gauge("aios_sched_slots", "Slots (capacity) of each pool", (p) => p.capacity);
      gauge("aios_sched_slots_in_use", "Slots in use in each pool", (p) => p.inUse);
      gauge("aios_sched_queued", "Requests waiting for a slot in each pool", (p) => p.queued);
    }
    if (auditEntries !== undefined) {
      new Gauge({ name: "aios_audit_chain_entries", help: "Committed entries in the audit hash chain", registers, collect() { this.set(auditEntries()); } });
    }
    if (memoryRecords !== undefined) {
      new Gauge({ name: "aios_memory_records", help: "Records held by the memory fabric", registers, collect() { this.set(memoryRecords()); } });
    }
    if (disk !== undefined) {
      new Gauge({ name: "aios_data_dir_free_bytes", help: "Free bytes on the data directory's file system", registers, collect() { const d = disk(); if (d !== undefined) this.set(d.free); } });
      new Gauge({ name: "aios_data_dir_size_bytes", help: "Size in bytes of the data directory's file system", registers, collect() { const d = disk(); if (d !== undefined) this.set(d.size); } });
    }
  }

  /** One durable journal batch (the store's onCommit); `here`: it went with nothing else waiting to run. */
  journalCommitted(records: number, seconds: number, here = false): void {
    this.journalCommitSeconds.at().observe(seconds);
    this.journalRecords.at().inc(records);
    this.journalCommits.at(here ? "true" : "false").inc();
  }

  /** The Prometheus text exposition of every metric of this instance. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
