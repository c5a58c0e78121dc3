/**
 * The control API's operator services beyond process control — memory, tools, secrets — as plain
 * JSON in and out. ControlPlane implements them over the SDK facade: every effect is a syscall
 * through the door as the operator (`os.call`), or as an agent when `as` names one, so it is
 * validated, capability- and policy-checked and audited like an agent's own call. Reads of the
 * tool catalogue (list, describe) are not effects and read the registry.
 */
import type { AgentOpsApi, RunsApi } from "./agents-plane.js";
import type { SecurityApi } from "./security-plane.js";
import type { MemoryHit, MemoryRecord, MemoryVersion, Neighbour, SnapshotInfo, GrantRow } from "../memory/index.js";
import type { MemGrantInput, MemLinkInput, MemNeighboursInput, MemPutInput, MemQueryInput, MemSnapshotInput, MemUpdateInput, ToolCallInput } from "./schemas-os.js";

export interface MemoryApi {
  put(input: MemPutInput): Promise<{ id: string; version: string }>;
  /** A new version of a record (based on `base` when given: a stale base makes a concurrent branch). */
  update(id: string, input: MemUpdateInput): Promise<{ id: string; version: string; conflicts?: readonly string[] }>;
  /** Hybrid (BM25 + dense vectors, fused) search unless `mode` says lexical or vector; hits carry their scores. */
  query(input: MemQueryInput): Promise<{ hits: MemoryHit[] }>;
  get(id: string, as?: string): Promise<MemoryRecord>;
  history(id: string, as?: string): Promise<{ versions: MemoryVersion[]; heads: readonly string[] }>;
  link(input: MemLinkInput): Promise<{ created: boolean }>;
  neighbours(id: string, input: MemNeighboursInput): Promise<{ nodes: Neighbour[] }>;
  snapshot(input: MemSnapshotInput): Promise<{ id: string; records: number }>;
  snapshots(scope?: string, as?: string): Promise<{ snapshots: SnapshotInfo[] }>;
  restore(snapshot: string, as?: string): Promise<{ reverted: number; removed: number; revived: number }>;
  grant(input: MemGrantInput): Promise<{ namespace: string; agent: string; access: "read" | "write" | null }>;
  grants(namespace?: string): Promise<{ grants: GrantRow[] }>;
}

export interface ToolSummary {
  readonly name: string;
  readonly description: string;
  readonly sideEffect: boolean;
}

export interface ToolDescription extends ToolSummary {
  /** JSON Schema of the arguments. */
  readonly inputSchema: unknown;
  readonly outputSchema?: unknown;
}

export interface ToolsApi {
  list(): Promise<{ tools: ToolSummary[] }>;
  describe(name: string): Promise<ToolDescription>;
  /** Runs the tool through the door as the operator (or `as` an agent); audited like an agent's ToolCall. */
  call(name: string, input: ToolCallInput): Promise<{ result: unknown }>;
}

/** Secrets: set, list names, delete. No member returns a value, by design. */
export interface SecretsApi {
  set(name: string, value: string): Promise<{ name: string }>;
  list(): Promise<{ names: string[] }>;
  delete(name: string): Promise<{ name: string; deleted: boolean }>;
}

export interface OsApi {
  readonly memory: MemoryApi;
  readonly tools: ToolsApi;
  readonly secrets: SecretsApi;
  readonly agentOps: AgentOpsApi;
  readonly runs: RunsApi;
  readonly security: SecurityApi;
}
