/**
 * The embedded default stack (the composition root's wiring): with a data directory, boot() installs
 * the store (journal), security (keys, tokens, policy, secrets, taint), the audit log, the tools,
 * the inference scheduler, the MCP client, the models (when configured), the memory fabric and semantic IPC, in that order, each
 * keeping its files in the one data directory. Without a data directory boot() gives a bare kernel
 * (in memory, spec-granted capabilities) — what tests and the kernel benchmarks use.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { auditPlugin, DEFAULT_LIFECYCLE_EVENTS, type AuditPlugin, type CheckpointSigner } from "../audit/index.js";
import { memoryPlugin, UseLiteEmbedder, type Embedder, type MemoryPlugin, type MemoryPluginOptions } from "../memory/index.js";
import { ipcPlugin, type IpcPlugin, type IpcPluginOptions } from "../ipc/index.js";
import { modelsPlugin, type ModelsPluginOptions } from "../models/index.js";
import { schedPlugin } from "../sched/index.js";
import { securityPlugin, type SecurityOptions, type SecurityPlugin } from "../security/index.js";
import { mcpPlugin, toolsPlugin, type McpPlugin, type McpPluginOptions, type ToolsPlugin, type ToolsPluginOptions } from "../tools/index.js";
import { Aios, durableStorePlugin, type Plugin, type StorePlugin } from "../kernel/index.js";
import { observePlugin, type ObserveOptions, type ObservePlugin } from "../observe/index.js";
import { plannerPlugin, type EscalationRequest, type PlannerPlugin, type PlannerPluginOptions } from "../planner/index.js";
import { dataDirDisk, mailboxStats } from "./observe-sources.js";

type SchedOptions = Parameters<typeof schedPlugin>[0];

export interface SubsystemOptions {
  readonly security?: Omit<SecurityOptions, "dataDir">;
  readonly tools?: ToolsPluginOptions;
  readonly sched?: SchedOptions;
  /** Model entries by name; the models subsystem is installed only when some are configured. */
  readonly models?: Omit<ModelsPluginOptions, "tools">;
  readonly memory?: Omit<MemoryPluginOptions, "dataDir"> | false;
  /** headPath: where the latest signed audit head is also written; keep it outside the data dir. */
  readonly audit?: {
    readonly checkpointEvery?: number; readonly headPath?: string; readonly headEveryMs?: number;
    /** Rotation and retention (ADR 0019): entries per segment (default 1,000,000), archived segments kept (default 8). */
    readonly segmentEntries?: number; readonly keepSegments?: number;
    /** Allowed sends are aggregated per agent this often (default 10 s). */
    readonly aggregateMs?: number;
  } | false;
  readonly ipc?: Omit<IpcPluginOptions, "identities" | "embedder">;
  /** Metrics (always) and traces (when `tracing` is given) of this instance; `false` leaves them out. */
  readonly observe?: Pick<ObserveOptions, "tracing" | "limits"> | false;
  /** The embedder memory search and intent routing share (default: USE Lite, offline, loaded on first use). */
  readonly embedder?: Embedder | false;
  /** MCP servers whose tools join the registry (`mcp.<server>.<tool>`); `false` leaves the MCP client out. */
  readonly mcp?: Omit<McpPluginOptions, "registry"> | false;
  /** The journal: `onLoss: "accept"` is `aios recover --accept-loss` (ADR 0012). */
  readonly store?: { readonly onLoss?: "refuse" | "accept" };
  /** The planner, market, ledger, reputation and critic (issue #14); `false` leaves them out. */
  readonly planner?: Omit<PlannerPluginOptions, "dataDir" | "escalate"> | false;
}

/** The installed subsystems, for the SDK facade (os.memory, os.tools, os.caps, os.audit). */
export interface Subsystems {
  readonly store?: StorePlugin;
  readonly security?: SecurityPlugin;
  readonly audit?: AuditPlugin;
  readonly tools?: ToolsPlugin;
  readonly memory?: MemoryPlugin;
  readonly ipc?: IpcPlugin;
  readonly mcp?: McpPlugin;
  readonly observe?: ObservePlugin;
  readonly planner?: PlannerPlugin;
}

export function defaultPlugins(dataDir: string, o: SubsystemOptions): { plugins: Plugin[]; subsystems: Subsystems } {
  // One data directory, one folder per subsystem (DESIGN "Where the state lives").
  for (const sub of ["journal", "security", "audit", "memory"]) mkdirSync(join(dataDir, sub), { recursive: true, mode: 0o700 });
  const security = securityPlugin({ ...(o.security ?? {}), dataDir: join(dataDir, "security") });
  const tools = toolsPlugin(o.tools ?? {});
  const sched = schedPlugin(schedOptions(o));
  let audit: AuditPlugin | undefined;
  let memory: MemoryPlugin | undefined;
  const observe = o.observe === false ? undefined : observePlugin({
    ...(o.observe ?? {}),
    sources: (kernel) => ({
      mailboxes: () => mailboxStats(new Aios(kernel, dataDir).ps()),
      pools: () => sched.scheduler.stats(),
      disk: () => dataDirDisk(dataDir),
      ...(o.audit === false ? {} : { auditEntries: () => audit?.log?.size ?? 0 }),
      ...(o.memory === false ? {} : { memoryRecords: () => memory?.fabric.records ?? 0 }),
    }),
  });
  const journalCommit = observe === undefined ? {} : { onCommit: (n: number, s: number) => observe.metrics.journalCommitted(n, s) };
  const store = durableStorePlugin({ dataDir: join(dataDir, "journal"), ...journalCommit, ...(o.store ?? {}) });
  const plugins: Plugin[] = [store, security];
  if (o.audit !== false) {
    audit = auditPlugin({
      dataDir: join(dataDir, "audit"),
      signer: kernelKeySigner(security, "kernel.audit"),
      redact: (v) => security.security.redactor.redact(v),
      ...(o.audit?.checkpointEvery === undefined ? {} : { checkpointEvery: o.audit.checkpointEvery }),
      ...(o.audit?.headPath === undefined ? {} : { headPath: o.audit.headPath }),
      ...(o.audit?.headEveryMs === undefined ? {} : { headEveryMs: o.audit.headEveryMs }),
      // A critic's verdict is an audit entry as well as an event (issue #14).
      ...(o.planner === false ? {} : { eventTypes: [...DEFAULT_LIFECYCLE_EVENTS, "critic.verdict", "plan.escalated"] }),
      ...(o.audit?.segmentEntries === undefined ? {} : { segmentEntries: o.audit.segmentEntries }),
      ...(o.audit?.keepSegments === undefined ? {} : { keepSegments: o.audit.keepSegments }),
      ...(o.audit?.aggregateMs === undefined ? {} : { aggregateMs: o.audit.aggregateMs }),
    });
    plugins.push(audit);
  }
  plugins.push(tools, sched);
  const mcp = o.mcp === false ? undefined : mcpPlugin({ ...(o.mcp ?? {}), registry: tools.registry });
  if (mcp !== undefined) plugins.push(mcp);
  if (o.models !== undefined) plugins.push(modelsPlugin({ ...o.models, tools: tools.registry }));
  const embedder = o.embedder === false ? undefined : (o.embedder ?? new UseLiteEmbedder());
  if (o.memory !== false) {
    memory = memoryPlugin({ ...(embedder ? { embedder } : {}), ...(o.memory ?? {}), dataDir: join(dataDir, "memory") });
    plugins.push(memory);
  }
  const ipc = ipcPlugin({ ...(o.ipc ?? {}), identities: () => security.security.identities, ...(embedder ? { embedder } : {}) });
  plugins.push(ipc);
  const planner = o.planner === false ? undefined : plannerPlugin({ ...(o.planner ?? {}), dataDir, escalate: (r) => escalateVeto(security, r) });
  if (planner !== undefined) plugins.push(planner);
  // Last: it decorates handlers the plugins before it registered.
  if (observe !== undefined) plugins.push(observe);
  return { plugins, subsystems: { store, security, tools, ipc, ...(audit ? { audit } : {}), ...(memory ? { memory } : {}), ...(mcp ? { mcp } : {}), ...(observe ? { observe } : {}), ...(planner ? { planner } : {}) } };
}

/** A vetoed last attempt goes to a person: an approval request on the API, CLI and dashboard. */
function escalateVeto(security: SecurityPlugin, r: EscalationRequest): Promise<boolean> {
  return security.security.approvals.request({
    agent: `plan:${r.planId}`, agentName: `plan ${r.planId}`, tenant: "default", syscall: "CriticVerdict",
    args: { planId: r.planId, taskId: r.taskId, marketTask: r.marketTaskId, worker: r.worker, score: r.verdict.score, reasons: r.verdict.reasons },
    rule: "critic.veto",
    reason: `the critic vetoed task "${r.taskId}" of plan ${r.planId} (score ${r.verdict.score} < ${r.verdict.threshold}); approve to accept the result and pay ${r.worker}, deny to fail the task`,
  });
}

/**
 * Signs audit checkpoints with an Ed25519 key from the security key store, created on first use
 * (security is installed before audit, so the store is open by the time anything is signed).
 */
function kernelKeySigner(security: SecurityPlugin, owner: string): CheckpointSigner {
  let cached: { id: string; key: KeyObject } | undefined;
  const current = (): { id: string; key: KeyObject } => {
    const rec = security.security.identities.ensure(owner, "ed25519");
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
