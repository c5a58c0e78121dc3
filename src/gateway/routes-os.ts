/**
 * The route table's memory, tools and secrets rows (os-api.ts): mounted and described with the
 * rest of ROUTES. A secret's value goes in (PUT) and never comes out: no row answers one.
 */
import { z } from "zod";
import type { RouteDef, RouteInput } from "./route-def.js";
import { parseInput } from "./schemas.js";
import {
  MemGrantSchema, MemGrantsSchema, MemHistorySchema, MemHitsSchema, MemLinkSchema, MemNeighboursSchema, MemRecordSchema, MemRestoreSchema, MemSnapshotSchema, MemSnapshotsSchema,
  MemWriteSchema, SecretDeleteSchema, SecretNamesSchema, SecretSetSchema, ToolCallSchema, ToolDescribeSchema, ToolsListSchema,
} from "./responses-os.js";
import {
  AsQuery, MemUpdateBody, MemGrantBody, MemGrantsQuery, MemLinkBody, MemNeighboursQuery, MemPutBody, MemQueryBody, MemSnapshotBody, MemSnapshotsQuery, SecretNameParam, SecretPutBody, ToolCallBody,
} from "./schemas-os.js";

const param = (input: RouteInput, name: string): string => input.params[name] ?? "";
const as = (i: RouteInput): string | undefined => parseInput(AsQuery, i.query, "query").as;
const SecretParams = z.strictObject({ name: SecretNameParam });
const secretName = (i: RouteInput): string => parseInput(SecretParams, i.params, "params").name;

export const OS_ROUTES: readonly RouteDef[] = [
  {
    method: "post", path: "/v1/memory/records", operationId: "memPut", response: MemWriteSchema, tag: "memory", body: MemPutBody,
    summary: "Store a typed memory record (scope agent | global | shared/<ns>); answers its id and content-addressed version",
    run: (api, i) => api.memory.put(parseInput(MemPutBody, i.body, "body")),
  },
  {
    method: "put", path: "/v1/memory/records/:id", operationId: "memUpdate", response: MemWriteSchema, tag: "memory", body: MemUpdateBody,
    summary: "Write a new version of a record (content and/or tags; `base` names the version it is based on)",
    run: (api, i) => api.memory.update(param(i, "id"), parseInput(MemUpdateBody, i.body, "body")),
  },
  {
    method: "post", path: "/v1/memory/query", operationId: "memQuery", response: MemHitsSchema, tag: "memory", body: MemQueryBody,
    summary: "Search memory: hybrid (BM25 + vectors, reciprocal-rank fused) by default, or lexical / vector; each hit has its score and ranks",
    run: (api, i) => api.memory.query(parseInput(MemQueryBody, i.body ?? {}, "body")),
  },
  {
    method: "get", path: "/v1/memory/records/:id", operationId: "memGet", response: MemRecordSchema, tag: "memory", query: AsQuery,
    summary: "One record's current version", run: (api, i) => api.memory.get(param(i, "id"), as(i)),
  },
  {
    method: "get", path: "/v1/memory/records/:id/history", operationId: "memHistory", response: MemHistorySchema, tag: "memory", query: AsQuery,
    summary: "Every version of a record (causal parents, op, author) and its current heads", run: (api, i) => api.memory.history(param(i, "id"), as(i)),
  },
  {
    method: "get", path: "/v1/memory/records/:id/neighbours", operationId: "memNeighbours", response: MemNeighboursSchema, tag: "memory", query: MemNeighboursQuery,
    summary: "Records reachable over typed edges (filter by edge types, direction, depth)",
    run: (api, i) => api.memory.neighbours(param(i, "id"), parseInput(MemNeighboursQuery, i.query, "query")),
  },
  {
    method: "post", path: "/v1/memory/links", operationId: "memLink", response: MemLinkSchema, tag: "memory", body: MemLinkBody,
    summary: "Add a typed edge between two records", run: (api, i) => api.memory.link(parseInput(MemLinkBody, i.body, "body")),
  },
  {
    method: "post", path: "/v1/memory/snapshots", operationId: "memSnapshot", response: MemSnapshotSchema, tag: "memory", body: MemSnapshotBody,
    summary: "Snapshot a scope (the head version of every live record; no content is copied)",
    run: (api, i) => api.memory.snapshot(parseInput(MemSnapshotBody, i.body ?? {}, "body")),
  },
  {
    method: "get", path: "/v1/memory/snapshots", operationId: "memSnapshots", response: MemSnapshotsSchema, tag: "memory", query: MemSnapshotsQuery,
    summary: "Snapshots of a scope, oldest first",
    run: (api, i) => {
      const q = parseInput(MemSnapshotsQuery, i.query, "query");
      return api.memory.snapshots(q.scope, q.as);
    },
  },
  {
    method: "post", path: "/v1/memory/snapshots/:id/restore", operationId: "memRestore", response: MemRestoreSchema, tag: "memory", body: AsQuery,
    summary: "Make the snapshot's scope look like the snapshot again, by writing new versions (history is kept)",
    run: (api, i) => api.memory.restore(param(i, "id"), parseInput(AsQuery, i.body ?? {}, "body").as),
  },
  {
    method: "post", path: "/v1/memory/grants", operationId: "memGrant", response: MemGrantSchema, tag: "memory", body: MemGrantBody,
    summary: "Give an agent read or write access to a shared namespace (access none revokes it)",
    run: (api, i) => api.memory.grant(parseInput(MemGrantBody, i.body, "body")),
  },
  {
    method: "get", path: "/v1/memory/grants", operationId: "memGrants", response: MemGrantsSchema, tag: "memory", query: MemGrantsQuery,
    summary: "Explicit grants on shared namespaces", run: (api, i) => api.memory.grants(parseInput(MemGrantsQuery, i.query, "query").namespace),
  },
  { method: "get", path: "/v1/tools", operationId: "toolsList", response: ToolsListSchema, tag: "tools", summary: "Registered tools (names, descriptions, whether they have side effects)", run: (api) => api.tools.list() },
  {
    method: "get", path: "/v1/tools/:name", operationId: "toolDescribe", response: ToolDescribeSchema, tag: "tools",
    summary: "One tool with the JSON Schema of its arguments (and of its result when it declares one)", run: (api, i) => api.tools.describe(param(i, "name")),
  },
  {
    method: "post", path: "/v1/tools/:name/call", operationId: "toolCall", response: ToolCallSchema, tag: "tools", body: ToolCallBody,
    summary: "Call a tool as the operator (or as an agent with `as`): the same checks, scheduling and audit as an agent's ToolCall",
    run: (api, i) => api.tools.call(param(i, "name"), parseInput(ToolCallBody, i.body ?? {}, "body")),
  },
  { method: "get", path: "/v1/secrets", operationId: "secretsList", response: SecretNamesSchema, tag: "secrets", summary: "Secret names (values are never returned)", run: (api) => api.secrets.list() },
  {
    method: "put", path: "/v1/secrets/:name", operationId: "secretSet", response: SecretSetSchema, tag: "secrets", body: SecretPutBody,
    summary: "Set a secret (tools use it as {{secret:NAME}} in a declared secret slot); answers its name only",
    run: (api, i) => api.secrets.set(secretName(i), parseInput(SecretPutBody, i.body, "body").value),
  },
  { method: "delete", path: "/v1/secrets/:name", operationId: "secretDelete", response: SecretDeleteSchema, tag: "secrets", summary: "Delete a secret", run: (api, i) => api.secrets.delete(secretName(i)) },
];
