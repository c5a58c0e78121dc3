/**
 * The embedded default stack (the composition root's wiring): boot() builds
 * the store (journal), security (keys, tokens, policy, secrets, taint), the audit log, the tools,
 * the inference scheduler, the MCP client, the models (when configured), the memory fabric, semantic
 * IPC, the planner (plans, market, ledger, reputation, critic) and observability, in that order, each keeping its files in the one data directory. The order
 * is checked by the compiler (stack.ts) and again by boot. Without a data directory boot() builds it
 * in a temporary one; `stack: "bare"` gives the kernel core alone (tests, kernel benchmarks).
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AnySubsystem, SubsystemHost } from "../abi/index.js";
import { auditSubsystem, DEFAULT_LIFECYCLE_EVENTS, type AuditService, type CheckpointSigner } from "../audit/index.js";
import { memorySubsystem, UseLiteEmbedder, type Embedder, type MemoryService, type MemorySubsystemOptions } from "../memory/index.js";
import { ipcSubsystem, type IpcSubsystemOptions } from "../ipc/index.js";
import { modelsSubsystem, type ModelsSubsystemOptions } from "../models/index.js";
import { schedSubsystem, type SchedService } from "../sched/index.js";
import { securitySubsystem, type Security, type SecurityOptions } from "../security/index.js";
import { mcpSubsystem, toolsSubsystem, type McpSubsystemOptions, type ToolsSubsystemOptions } from "../tools/index.js";
import { storeSubsystem } from "../kernel/index.js";
import type { StorageConfig } from "../store/index.js";
import { AiosMetrics, observeSubsystem, type ObserveOptions } from "../observe/index.js";
import { plannerSubsystem, type EscalationRequest, type PlannerSubsystemOptions } from "../planner/index.js";
import { dataDirDisk, mailboxStats } from "./observe-sources.js";
import { stack, wired } from "./stack.js";

type SchedOptions = Parameters<typeof schedSubsystem>[0];

export interface SubsystemOptions {
  readonly security?: Omit<SecurityOptions, "dataDir">;
  readonly tools?: ToolsSubsystemOptions;
  readonly sched?: SchedOptions;
  /** Model entries by name; the models subsystem is installed only when some are configured. */
  readonly models?: Omit<ModelsSubsystemOptions, "tools">;
  readonly memory?: Omit<MemorySubsystemOptions, "dataDir"> | false;
  /** headPath: where the latest signed audit head is also written; keep it outside the data dir. */
  readonly audit?: {
    readonly checkpointEvery?: number; readonly headPath?: string; readonly headEveryMs?: number;
    /** Rotation and retention (ADR 0019): entries per segment (default 1,000,000), archived segments kept (default 8). */
    readonly segmentEntries?: number; readonly keepSegments?: number;
    /** Allowed sends are written as one packed aggregate batch this often (default 10 s; ADR 0019, 0034). */
    readonly aggregateMs?: number;
    /** Agents per packed aggregate entry (default 1000). */
    readonly aggregateRows?: number;
  } | false;
  readonly ipc?: Omit<IpcSubsystemOptions, "embedder">;
  /** Metrics (always) and traces (when `tracing` is given) of this instance; `false` leaves them out. */
  readonly observe?: Pick<ObserveOptions, "tracing" | "limits"> | false;
  /** The embedder memory search and intent routing share (default: USE Lite, offline, loaded on first use). */
  readonly embedder?: Embedder | false;
  /** MCP servers whose tools join the registry (`mcp.<server>.<tool>`); `false` leaves the MCP client out. */
  readonly mcp?: McpSubsystemOptions | false;
  /**
   * The journal: `onLoss: "accept"` is `aios recover --accept-loss` (ADR 0012); `storage` picks its
   * driver (SQLite in the data dir by default, or `{ driver: "postgres", url }`; ADR 0029);
   * `hereMaxMs`: the slowest last write (ms) after which a batch is still committed on the kernel's
   * thread when nothing else waits to run there (default 2; ADR 0072).
   */
  readonly store?: { readonly onLoss?: "refuse" | "accept"; readonly storage?: StorageConfig; readonly hereMaxMs?: number } | false;
  /** The planner, market, ledger, reputation and critic (issue #14); `false` leaves them out. */
  readonly planner?: Omit<PlannerSubsystemOptions, "dataDir" | "escalate"> | false;
}

/** The default stack's subsystems for a data directory, in build order. */
export function defaultStack(dataDir: string, o: SubsystemOptions): readonly AnySubsystem[] {
  // One data directory, one folder per subsystem (DESIGN "Where the state lives").
  for (const sub of ["journal", "security", "audit", "memory"]) mkdirSync(join(dataDir, sub), { recursive: true, mode: 0o700 });
  // Made first: the journal reports its commits into them, observe feeds the rest.
  const metrics = o.observe === false ? undefined : new AiosMetrics(o.observe?.limits);
  const journalCommit = metrics === undefined ? {} : { onCommit: (n: number, s: number, here: boolean) => metrics.journalCommitted(n, s, here) };
  const embedder = o.embedder === false ? undefined : (o.embedder ?? new UseLiteEmbedder());
  const audit = o.audit;
  const memory = o.memory;
  const observe = o.observe;
  const planner = o.planner;
  // `store: false`: the journal stage comes from a subsystem in `add` (a cluster node's, docs/adr/0033).
  return stack()
    .maybe(o.store === false ? undefined : storeSubsystem({ dataDir: join(dataDir, "journal"), ...journalCommit, ...(o.store ?? {}) }))
    .add(securitySubsystem({ ...(o.security ?? {}), dataDir: join(dataDir, "security") }))
    .maybe(audit === false ? undefined : wired({
      name: "audit",
      needs: ["security"],
      make: ({ security }: { security: Security }) => auditSubsystem({
        dataDir: join(dataDir, "audit"),
        signer: kernelKeySigner(security, "kernel.audit"),
        redact: (v) => security.redactor.redact(v),
        ...(audit?.checkpointEvery === undefined ? {} : { checkpointEvery: audit.checkpointEvery }),
        ...(audit?.headPath === undefined ? {} : { headPath: audit.headPath }),
        ...(audit?.headEveryMs === undefined ? {} : { headEveryMs: audit.headEveryMs }),
        // A critic's verdict is an audit entry as well as an event (issue #14).
        ...(o.planner === false ? {} : { eventTypes: [...DEFAULT_LIFECYCLE_EVENTS, "critic.verdict", "plan.escalated"] }),
        ...(audit?.segmentEntries === undefined ? {} : { segmentEntries: audit.segmentEntries }),
        ...(audit?.keepSegments === undefined ? {} : { keepSegments: audit.keepSegments }),
        ...(audit?.aggregateMs === undefined ? {} : { aggregateMs: audit.aggregateMs }),
        ...(audit?.aggregateRows === undefined ? {} : { aggregateRows: audit.aggregateRows }),
      }),
    }))
    .add(toolsSubsystem(o.tools ?? {}))
    .add(schedSubsystem(schedOptions(o)))
    .maybe(o.mcp === false ? undefined : mcpSubsystem(o.mcp ?? {}))
    .maybe(o.models === undefined ? undefined : modelsSubsystem(o.models))
    .maybe(memory === false ? undefined : memorySubsystem({ ...(embedder ? { embedder } : {}), ...(memory ?? {}), dataDir: join(dataDir, "memory") }))
    .add(ipcSubsystem({ ...(o.ipc ?? {}), ...(embedder ? { embedder } : {}) }))
    .maybe(planner === false ? undefined : wired({
      name: "planner",
      needs: ["security"],
      make: ({ security }: { security: Security }) => plannerSubsystem({ ...(planner ?? {}), dataDir, escalate: (r) => escalateVeto(security, r) }),
    }))
    // Last: it needs sched and reads audit's and memory's figures.
    .maybe(observe === false || metrics === undefined ? undefined : wired({
      name: "observe",
      needs: ["sched"],
      uses: ["audit", "memory"],
      make: (s: { sched: SchedService; audit?: AuditService; memory?: MemoryService }) => observeSubsystem({
        ...(observe ?? {}),
        metrics,
        sources: (host: SubsystemHost) => ({
          mailboxes: () => mailboxStats(host.agents()),
          pools: () => s.sched.scheduler.stats(),
          disk: () => dataDirDisk(dataDir),
          ...(s.audit === undefined ? {} : { auditEntries: () => s.audit?.log.size ?? 0 }),
          ...(s.memory === undefined ? {} : { memoryRecords: () => s.memory?.fabric.records ?? 0 }),
        }),
      }),
    })).list;
}

/** A vetoed last attempt goes to a person: an approval request on the API, CLI and dashboard. */
function escalateVeto(security: Security, r: EscalationRequest): Promise<boolean> {
  return security.approvals.request({
    agent: `plan:${r.planId}`, agentName: `plan ${r.planId}`, tenant: "default", syscall: "CriticVerdict",
    args: { planId: r.planId, taskId: r.taskId, marketTask: r.marketTaskId, worker: r.worker, score: r.verdict.score, reasons: r.verdict.reasons },
    rule: "critic.veto",
    reason: `the critic vetoed task "${r.taskId}" of plan ${r.planId} (score ${r.verdict.score} < ${r.verdict.threshold}); approve to accept the result and pay ${r.worker}, deny to fail the task`,
  });
}

/**
 * Signs audit checkpoints with an Ed25519 key from the security key store, created on first use
 * (audit needs security, so the store is open by the time anything is signed).
 */
function kernelKeySigner(security: Security, owner: string): CheckpointSigner {
  let cached: { id: string; key: KeyObject } | undefined;
  const current = (): { id: string; key: KeyObject } => {
    const rec = security.identities.ensure(owner, "ed25519");
    if (cached?.id !== rec.id) cached = { id: rec.id, key: createPrivateKey({ key: Buffer.from(rec.secret, "base64url"), format: "der", type: "pkcs8" }) };
    return cached;
  };
  return {
    get keyId(): string {
      return current().id;
    },
    get publicKeyPem(): string {
      return createPublicKey(current().key).export({ type: "spki", format: "pem" }).toString();
    },
    sign: (data) => new Uint8Array(sign(null, data, current().key)),
  };
}

/**
 * Scheduler pools for the stack: one `inference:<model>` pool per configured model (weighted fair
 * queueing; capacity from the entry's maxConcurrency, else 4 for a local model and 16 for a remote
 * one), a `tool` pool, and a default for pools first named at run time. Explicit settings win.
 */
function schedOptions(o: SubsystemOptions): NonNullable<SchedOptions> {
  const given = o.sched ?? {};
  // The tool pool is shared by every agent: round robin between agents, and no agent holds more than
  // half of it, so one flooding it with slow calls (32 x sleep 4) leaves 8 slots to everyone else.
  const pools: Record<string, { capacity: number; policy: "wfq" | "fifo" | "round-robin"; maxPerAgent?: number }> = { tool: { capacity: 16, policy: "round-robin", maxPerAgent: 8 } };
  for (const [name, entry] of Object.entries(o.models?.models ?? {})) {
    const e = entry as { provider?: string; maxConcurrency?: number };
    pools[`inference:${name}`] = { capacity: e.maxConcurrency ?? (e.provider === "local" ? 4 : 16), policy: "wfq" };
  }
  return { defaultPool: { capacity: 8, policy: "fifo" }, ...given, pools: { ...pools, ...(given.pools ?? {}) } };
}
