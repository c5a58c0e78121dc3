/**
 * Read routes of security and audit: every agent's capability tokens, the policy in force, the
 * audit log's entries, tree heads and RFC 9162 proofs (one entry's inclusion in a tree head, one
 * head's consistency with a later one). Reads change nothing, so they read the services directly.
 * Buffered audit entries are committed first, so a proof can be asked for what just happened.
 * Hashes travel as lowercase hex.
 */
import { AiosError } from "../core/index.js";
import type { AuditEntry } from "../audit/index.js";
import type { PolicyDoc } from "../security/index.js";
import type { Aios } from "../sdk/index.js";
import type { TokenSummary } from "./api.js";
import { summarizeToken } from "./token-summary.js";
import type { AuditEntriesInput } from "./schemas-agents.js";

export interface AgentTokens {
  readonly agent: string;
  readonly name: string;
  readonly tokens: TokenSummary[];
}

export interface PolicyView extends PolicyDoc {
  /** Bumped on every reload of the rules. */
  readonly generation: number;
  /** The default policy for tainted agents (mode, guarded categories, hosts still allowed). */
  readonly taintGuard: { readonly mode: string; readonly guard: readonly string[]; readonly allowHosts: readonly string[] };
}

export interface InclusionProofJson {
  readonly entry: AuditEntry;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leaf: string;
  readonly path: string[];
  readonly root: string;
}

export interface ConsistencyProofJson {
  readonly fromSize: number;
  readonly toSize: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly path: string[];
}

export interface SecurityApi {
  tokens(): Promise<AgentTokens[]>;
  policy(): Promise<PolicyView>;
  auditEntries(q: AuditEntriesInput): Promise<{ size: number; entries: AuditEntry[] }>;
  auditHead(size?: number): Promise<{ size: number; root: string }>;
  auditProof(seq: number, treeSize?: number): Promise<InclusionProofJson>;
  auditConsistency(from: number, to?: number): Promise<ConsistencyProofJson>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export class SecurityPlane implements SecurityApi {
  constructor(private readonly os: Aios) {}

  async tokens(): Promise<AgentTokens[]> {
    const checker = this.os.caps.checker;
    return [...this.os.kernel.table.values()].map((p) => ({ agent: p.id, name: p.spec.name, tokens: checker.tokens(p).map(summarizeToken) }));
  }

  async policy(): Promise<PolicyView> {
    const p = this.os.caps.policy;
    const g = p.guard.settings;
    return { ...p.document, generation: p.generation, taintGuard: { mode: g.mode, guard: g.guard, allowHosts: g.allowHosts } };
  }

  async auditEntries(q: AuditEntriesInput): Promise<{ size: number; entries: AuditEntry[] }> {
    const log = this.committed();
    const entries = log.entries({ ...(q.from === undefined ? {} : { fromSeq: q.from }), ...(q.agent === undefined ? {} : { agent: q.agent }), limit: q.limit ?? 100 });
    return { size: log.size, entries };
  }

  async auditHead(size?: number): Promise<{ size: number; root: string }> {
    const h = this.committed().treeHead(size);
    return { size: h.size, root: hex(h.root) };
  }

  async auditProof(seq: number, treeSize?: number): Promise<InclusionProofJson> {
    const log = this.committed();
    const size = treeSize ?? log.size;
    if (seq > size) throw new AiosError("E_NOT_FOUND", `no audit entry ${seq} in a log of ${size} entries`, { details: { path: "params.seq" } });
    const p = log.inclusionProof(seq, size);
    const [entry] = log.entries({ fromSeq: seq, limit: 1 });
    if (entry === undefined || entry.seq !== seq) throw new AiosError("E_NOT_FOUND", `no audit entry ${seq}`, { details: { path: "params.seq" } });
    return { entry, leafIndex: p.leafIndex, treeSize: p.treeSize, leaf: hex(p.leaf), path: p.path.map(hex), root: hex(p.root) };
  }

  async auditConsistency(from: number, to?: number): Promise<ConsistencyProofJson> {
    const p = this.committed().consistencyProof(from, to);
    return { fromSize: p.fromSize, toSize: p.toSize, fromRoot: hex(p.fromRoot), toRoot: hex(p.toRoot), path: p.path.map(hex) };
  }

  private committed(): Aios["audit"] {
    const log = this.os.audit;
    log.flush();
    return log;
  }
}
