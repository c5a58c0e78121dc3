/**
 * Answers of the memory, tools, secrets, lifecycle, run, policy and audit routes as zod schemas
 * (see responses.ts for the rules they follow).
 */
import { z } from "zod";
import { TokenSummarySchema } from "./responses.js";

const Hash = z.string().regex(/^[0-9a-f]{64}$/);

export const MemWriteSchema = z.object({ id: z.string(), version: Hash, conflicts: z.array(Hash).optional() });
export const MemRecordSchema = z.object({
  id: z.string(),
  type: z.string(),
  scope: z.enum(["agent", "shared", "global"]),
  namespace: z.string(),
  owner: z.string(),
  content: z.unknown(),
  tags: z.array(z.string()),
  version: Hash,
  conflicts: z.array(Hash).describe("Other heads when concurrent branches are kept unmerged"),
  createdAt: z.number(),
  updatedAt: z.number(),
  expiresAt: z.number().nullable(),
});
export const MemHitsSchema = z.object({
  hits: z.array(z.object({
    id: z.string(),
    score: z.number().describe("Fused score (reciprocal-rank fusion in hybrid mode); hits are sorted by it, best first"),
    type: z.string(),
    scope: z.string(),
    namespace: z.string(),
    tags: z.array(z.string()),
    version: Hash,
    content: z.unknown(),
    lexicalRank: z.number().int().optional(),
    vectorRank: z.number().int().optional(),
    similarity: z.number().optional().describe("Cosine similarity of the vector match"),
  })),
});
export const MemHistorySchema = z.object({
  versions: z.array(z.object({
    hash: Hash,
    recordId: z.string(),
    parents: z.array(Hash),
    type: z.string(),
    content: z.unknown(),
    tags: z.array(z.string()),
    agent: z.string(),
    ts: z.number(),
    op: z.string(),
    deleted: z.boolean(),
  })),
  heads: z.array(Hash),
});
export const MemLinkSchema = z.object({ created: z.boolean() });
export const MemNeighboursSchema = z.object({ nodes: z.array(z.object({ id: z.string(), type: z.string(), depth: z.number().int().min(1), from: z.string(), via: z.string() })) });
export const MemSnapshotSchema = z.object({ id: z.string(), records: z.number().int().min(0) });
export const MemSnapshotsSchema = z.object({ snapshots: z.array(z.object({ id: z.string(), scope: z.string(), label: z.string().nullable(), ts: z.number(), records: z.number().int().min(0) })) });
export const MemRestoreSchema = z.object({ reverted: z.number().int().min(0), removed: z.number().int().min(0), revived: z.number().int().min(0) });
export const MemGrantSchema = z.object({ namespace: z.string(), agent: z.string(), access: z.enum(["read", "write"]).nullable() });
export const MemGrantsSchema = z.object({ grants: z.array(z.object({ tenant: z.string(), namespace: z.string(), agent: z.string(), access: z.enum(["read", "write"]) })) });

const ToolSummary = z.object({ name: z.string(), description: z.string(), sideEffect: z.boolean() });
export const ToolsListSchema = z.object({ tools: z.array(ToolSummary) });
export const ToolDescribeSchema = ToolSummary.extend({
  inputSchema: z.record(z.string(), z.unknown()).describe("JSON Schema of the arguments"),
  outputSchema: z.record(z.string(), z.unknown()).optional().describe("JSON Schema of the result, when the tool declares one"),
});
export const ToolCallSchema = z.object({ result: z.unknown().describe("The tool's result (validated against its output schema when it has one)") });

export const SecretNamesSchema = z.object({ names: z.array(z.string()).describe("Names only: a value is never returned") });
export const SecretSetSchema = z.object({ name: z.string() });
export const SecretDeleteSchema = z.object({ name: z.string(), deleted: z.boolean() });

export const AgentIdSchema = z.object({ id: z.string() });
export const SplitSchema = z.object({ ids: z.tuple([z.string(), z.string()]) });
export const RunAnswerSchema = z.object({
  output: z.unknown().describe("Structured output when the spec asks for one, else the text"),
  text: z.string(),
  steps: z.number().int().min(0),
  usage: z.object({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0), cost: z.number().min(0) }),
  agent: z.string().describe("The run's agent (ended when the run ends)"),
});

export const AgentTokensSchema = z.array(z.object({ agent: z.string(), name: z.string(), tokens: z.array(TokenSummarySchema) }));
export const PolicySchema = z.object({
  combine: z.enum(["first-match", "deny-overrides"]),
  default: z.enum(["allow", "deny"]),
  rules: z.array(z.object({ id: z.string(), effect: z.enum(["allow", "deny", "approve"]), reason: z.string().optional(), timeout: z.union([z.string(), z.number()]).optional(), when: z.record(z.string(), z.unknown()) })),
  generation: z.number().int().min(0),
  taintGuard: z.object({ mode: z.enum(["deny", "approve", "off"]), guard: z.array(z.string()), allowHosts: z.array(z.string()) }),
});

const AuditEntrySchema = z.object({
  v: z.literal(1),
  seq: z.number().int().positive(),
  ts: z.number().int(),
  kind: z.enum(["syscall", "lifecycle", "audit", "aggregate"]),
  agent: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export const AuditEntriesSchema = z.object({ size: z.number().int().min(0), entries: z.array(AuditEntrySchema) });
export const AuditHeadSchema = z.object({ size: z.number().int().min(0), root: Hash.describe("RFC 9162 Merkle tree hash, hex") });
export const AuditProofSchema = z.object({
  entry: AuditEntrySchema,
  leafIndex: z.number().int().min(0),
  treeSize: z.number().int().positive(),
  leaf: Hash,
  path: z.array(Hash).describe("Audit path, leaf to root (RFC 9162 section 2.1.3)"),
  root: Hash,
});
export const AuditConsistencySchema = z.object({ fromSize: z.number().int().min(0), toSize: z.number().int().min(0), fromRoot: Hash, toRoot: Hash, path: z.array(Hash) });
