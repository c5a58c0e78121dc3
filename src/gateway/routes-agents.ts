/**
 * The route table's rows for the rest of the agent lifecycle (clone, upgrade, merge, split,
 * specialize), LLM runs (JSON, or a text/event-stream of the answer's chunks), and the capability,
 * policy and audit read routes (tokens of every agent, the policy in force, entries, tree heads,
 * inclusion and consistency proofs).
 */
import type { z } from "zod";
import { errorBody } from "./http-errors.js";
import type { RouteDef, RouteInput } from "./route-def.js";
import {
  AuditConsistencyQuery, AuditEntriesQuery, AuditHeadQuery, AuditProofQuery, CloneBody, MergeBody, RunBody, SeqParams, SpecializeBody, SplitBody, UpgradeBody,
} from "./schemas-agents.js";
import { parseInput } from "./schemas.js";
import { AgentInfoSchema } from "./responses.js";
import {
  AgentIdSchema, AgentTokensSchema, AuditConsistencySchema, AuditEntriesSchema, AuditHeadSchema, AuditProofSchema, PolicySchema, RunAnswerSchema, SplitSchema,
} from "./responses-os.js";

const param = (input: RouteInput, name: string): string => input.params[name] ?? "";
const runBody = (i: RouteInput): z.output<typeof RunBody> => parseInput(RunBody, i.body, "body");

export const AGENT_ROUTES: readonly RouteDef[] = [
  {
    method: "post", path: "/v1/agents/:id/clone", operationId: "clone", response: AgentIdSchema, tag: "agents", body: CloneBody,
    summary: "A new agent with the same spec (plus overrides) and a copy of the state, under the same parent",
    run: (api, i) => api.agentOps.clone(param(i, "id"), parseInput(CloneBody, i.body ?? {}, "body").overrides),
  },
  {
    method: "post", path: "/v1/agents/:id/upgrade", operationId: "upgrade", response: AgentInfoSchema, tag: "agents", body: UpgradeBody,
    summary: "Hot-swap an agent's spec or code version, keeping (or migrating) its state; answers its status",
    run: (api, i) => api.agentOps.upgrade(param(i, "id"), parseInput(UpgradeBody, i.body, "body").spec),
  },
  {
    method: "post", path: "/v1/agents/:id/merge", operationId: "merge", response: AgentIdSchema, tag: "agents", body: MergeBody,
    summary: "Merge two agents into a new one (states combined by a named strategy, both mailboxes carried over)",
    run: (api, i) => api.agentOps.merge(param(i, "id"), parseInput(MergeBody, i.body, "body")),
  },
  {
    method: "post", path: "/v1/agents/:id/split", operationId: "split", response: SplitSchema, tag: "agents", body: SplitBody,
    summary: "Split an agent into two (state copied or divided by keys; its mail goes to the first)",
    run: (api, i) => api.agentOps.split(param(i, "id"), parseInput(SplitBody, i.body, "body")),
  },
  {
    method: "post", path: "/v1/agents/:id/specialize", operationId: "specialize", response: AgentIdSchema, tag: "agents", body: SpecializeBody,
    summary: "A child of the agent with a narrower spec (capabilities and tools a subset of its own)",
    run: (api, i) => api.agentOps.specialize(param(i, "id"), parseInput(SpecializeBody, i.body, "body").narrow),
  },
  {
    method: "post", path: "/v1/runs", operationId: "run", response: RunAnswerSchema, tag: "runs", body: RunBody,
    summary: "Run a goal on a fresh llm agent: its answer as JSON, or with stream: true (or Accept: text/event-stream) `chunk` events then `answer`",
    run: (api, i) => api.runs.run(runBody(i)),
    stream: {
      wants: (i, accept) => runBody(i).stream === true || (accept ?? "").includes("text/event-stream"),
      run: async (api, i, send, signal) => {
        let sending = Promise.resolve();
        try {
          const answer = await api.runs.run(runBody(i), (text) => {
            sending = sending.then(() => send("chunk", { text }));
          }, signal);
          await sending;
          await send("answer", answer);
        } catch (e) {
          await sending.catch(() => undefined);
          if (!signal.aborted) await send("error", errorBody(e).body);
        }
      },
    },
  },
  { method: "get", path: "/v1/caps", operationId: "capsAll", response: AgentTokensSchema, tag: "caps", summary: "Every agent's capability tokens (ids and capabilities, never token bytes)", run: (api) => api.security.tokens() },
  { method: "get", path: "/v1/policy", operationId: "policy", response: PolicySchema, tag: "policy", summary: "The policy in force: combining rule, default, rules, and the taint guard", run: (api) => api.security.policy() },
  {
    method: "get", path: "/v1/audit/entries", operationId: "auditEntries", response: AuditEntriesSchema, tag: "audit", query: AuditEntriesQuery,
    summary: "Audit entries in order (from a sequence number, of one agent)",
    run: (api, i) => api.security.auditEntries(parseInput(AuditEntriesQuery, i.query, "query")),
  },
  {
    method: "get", path: "/v1/audit/head", operationId: "auditHead", response: AuditHeadSchema, tag: "audit", query: AuditHeadQuery,
    summary: "The Merkle tree head (RFC 9162) of the log, or of its first `size` entries",
    run: (api, i) => api.security.auditHead(parseInput(AuditHeadQuery, i.query, "query").size),
  },
  {
    method: "get", path: "/v1/audit/proof/:seq", operationId: "auditProof", response: AuditProofSchema, tag: "audit", query: AuditProofQuery,
    summary: "Inclusion proof of one entry in the tree head of `treeSize` entries (default: the whole log), with the entry",
    run: (api, i) => api.security.auditProof(parseInput(SeqParams, i.params, "params").seq, parseInput(AuditProofQuery, i.query, "query").treeSize),
  },
  {
    method: "get", path: "/v1/audit/consistency", operationId: "auditConsistency", response: AuditConsistencySchema, tag: "audit", query: AuditConsistencyQuery,
    summary: "Consistency proof: the log at `to` entries extends the log at `from` without rewriting it",
    run: (api, i) => {
      const q = parseInput(AuditConsistencyQuery, i.query, "query");
      return api.security.auditConsistency(q.from, q.to);
    },
  },
];
