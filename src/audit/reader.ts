/**
 * Reading a log: entries by range or agent, tree heads, and RFC 9162 inclusion and consistency
 * proofs. Proofs come from an in-memory MerkleTree over the committed leaves, built on first use and
 * extended as the log grows (64 bytes per entry; the log is append-only, so it never goes stale
 * under a well-behaved writer). This reads what is stored and trusts it — `verifyAudit` is what
 * checks it.
 */
import { AiosError } from "../core/index.js";
import { openReaderDb, auditPaths, type Db } from "./db.js";
import { auditEntrySchema, type AuditEntry } from "./entry.js";
import { leafHash } from "./hashing.js";
import { agentView, isPacked, parsePacked, rowHead } from "./packed.js";
import { MerkleTree, type TreeHead } from "./merkle.js";
import { lifecycleView } from "./transitions.js";

export interface InclusionProof {
  readonly seq: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leaf: Buffer;
  readonly path: Buffer[];
  readonly root: Buffer;
}

export interface ConsistencyProof {
  readonly fromSize: number;
  readonly toSize: number;
  readonly fromRoot: Buffer;
  readonly toRoot: Buffer;
  readonly path: Buffer[];
}

export interface EntryQuery {
  readonly fromSeq?: number;
  readonly agent?: string;
  readonly limit?: number;
}

export class AuditReader {
  private tree: MerkleTree | null = null;

  constructor(protected db: Db) {}

  /** The log moved to a new database (rotation): proofs are rebuilt from it on next use. */
  protected resetTree(): void {
    this.tree = null;
  }

  static open(dataDir: string): AuditReader {
    return new AuditReader(openReaderDb(auditPaths(dataDir).db));
  }

  get size(): number {
    const n: unknown = this.db.prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_entries").pluck().get();
    return typeof n === "number" ? n : 0;
  }

  /**
   * Entries in seq order from `fromSeq`, at most `limit`. With `agent`: the agent's own entries and
   * its rows of the packed aggregate entries (ADR 0034), each row shown as an entry of the older
   * per-agent form at the packed entry's seq (packed.ts agentView) — so an agent's history shows its
   * counts whichever form wrote them. A packed entry is a candidate when its body holds the agent's
   * row opening (`["<agent>",`); the rows are then read exactly. Packed lifecycle transitions
   * (ADR 0054, transitions.ts) are shown the same way: the agent's rows, each in the per-agent form.
   */
  entries(q: EntryQuery = {}): AuditEntry[] {
    const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 1000)), 100_000);
    const from = Math.max(1, Math.trunc(q.fromSeq ?? 1));
    if (q.agent === undefined) {
      const rows = this.db.prepare("SELECT body FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?").pluck().all(from, limit) as string[];
      return rows.map((b) => auditEntrySchema.parse(JSON.parse(b)));
    }
    const agent = q.agent;
    const page = this.db.prepare(
      "SELECT seq, agent, body FROM audit_entries WHERE seq >= ? AND (agent = ? OR (agent IS NULL AND kind IN ('aggregate', 'lifecycle') AND instr(body, ?) > 0)) ORDER BY seq LIMIT ?",
    );
    const needle = rowHead(agent);
    const out: AuditEntry[] = [];
    for (let at = from; out.length < limit; ) {
      const rows = page.all(at, agent, needle, limit - out.length) as { seq: number; agent: string | null; body: string }[];
      for (const r of rows) {
        const e = auditEntrySchema.parse(JSON.parse(r.body));
        if (r.agent !== null) out.push(e);
        else if (e.kind === "lifecycle") out.push(...lifecycleView(e.seq, e.ts, e.data, agent));
        else if (isPacked(e.data)) {
          const d = parsePacked(e.data);
          // A packed entry that does not parse is shown whole (verify says what is wrong with it).
          if (typeof d === "string") out.push(e);
          else out.push(...agentView(e.seq, e.ts, d, agent));
        }
      }
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      at = last.seq + 1;
    }
    return out.slice(0, limit);
  }

  treeHead(size: number = this.size): TreeHead {
    return this.treeFor(size).head(size);
  }

  /** Proof that entry `seq` is in the tree of `treeSize` entries (default: the whole log). */
  inclusionProof(seq: number, treeSize: number = this.size): InclusionProof {
    const t = this.treeFor(treeSize);
    if (!Number.isInteger(seq) || seq < 1 || seq > treeSize) throw new AiosError("E_INVALID_ARG", `seq ${seq} is not within 1..${treeSize}`, { details: { path: "seq" } });
    return { seq, leafIndex: seq - 1, treeSize, leaf: t.leaf(seq - 1), path: t.inclusionProof(seq - 1, treeSize), root: t.hash(0, treeSize) };
  }

  /** Proof that the log at `toSize` extends the log at `fromSize` without rewriting it. */
  consistencyProof(fromSize: number, toSize: number = this.size): ConsistencyProof {
    const t = this.treeFor(toSize);
    if (!Number.isInteger(fromSize) || fromSize < 0 || fromSize > toSize) throw new AiosError("E_INVALID_ARG", `fromSize ${fromSize} is not within 0..${toSize}`, { details: { path: "fromSize" } });
    return { fromSize, toSize, fromRoot: t.hash(0, fromSize), toRoot: t.hash(0, toSize), path: t.consistencyProof(fromSize, toSize) };
  }

  private treeFor(size: number): MerkleTree {
    const have = this.size;
    if (!Number.isInteger(size) || size < 0 || size > have) throw new AiosError("E_INVALID_ARG", `tree size ${size} is not within 0..${have}`, { details: { path: "treeSize" } });
    const t = this.tree ?? (this.tree = new MerkleTree());
    if (t.size < size) {
      const it = this.db.prepare("SELECT body FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq").pluck().iterate(t.size, size);
      for (const body of it) t.push(leafHash(String(body)));
    }
    return t;
  }

  close(): void {
    this.db.close();
  }
}
