/**
 * The memory syscalls (MemoryStore, MemoryQuery, MemoryGet, MemoryUpdate, MemoryHistory,
 * MemoryLink, MemoryNeighbors, AgentMemAlloc, AgentMemFree). Capabilities: an agent's own private
 * scope needs none; shared and global scopes need `memory:shared/<ns>` / `memory:global` with
 * action read or write, checked by the dispatcher when the scope is known from the arguments and by
 * the fabric's scope hook (the same checker) when it is only known from the record or the results.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { TAINT_TAG } from "../security/index.js";
import type { AnySyscallDef, Caller, CapabilityRequest, SyscallArgs, SyscallDef, SyscallName } from "../abi/index.js";
import type { MemoryFilter } from "./catalog.js";
import { parseScope, scopeResource } from "./access.js";
import type { MemoryFabric } from "./fabric.js";
import { parseInput, QueryInputSchema, StoreInputSchema, TraverseInputSchema, UpdateInputSchema } from "./inputs.js";

const who = (c: Caller): { agent: string; tenant: string } => ({ agent: c.agent, tenant: c.tenant });
const Id = z.object({ id: z.string().min(1).max(256) }).strict();
const Bytes = z.object({ bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict();
const Link = z.object({ from: z.string().min(1), to: z.string().min(1), type: z.string().min(1) }).strict();
const StoreArgs = StoreInputSchema.omit({ agent: true, tenant: true });
const QueryArgs = QueryInputSchema.omit({ agent: true, tenant: true });
const UpdateArgs = UpdateInputSchema.omit({ agent: true, tenant: true }).extend({ id: z.string().min(1) });
const NeighborArgs = TraverseInputSchema.omit({ agent: true, tenant: true, filter: true }).extend({ id: z.string().min(1) });

/** The capability a write to an existing record needs (none for the caller's private records). */
function recordWrite(f: MemoryFabric, id: string): CapabilityRequest[] {
  const m = f.catalog.byRecordId(id);
  return m === undefined || m.scope === "agent" ? [] : [{ resource: scopeResource({ kind: m.scope, namespace: m.namespace }), action: "write" }];
}

const MAX_TAGS = 64;
const MAX_LABELS = 16;

/**
 * A write's tags with its taint labels (issue #15.5): the writer's live taint and the labels the
 * record already had, each as a `taint:<label>` tag (security/'s TaintTracker reads them back on every
 * read, so a reader of a tainted record is tainted). Nothing to add: the tags as given.
 */
function taintTags(tags: readonly string[] | undefined, before: readonly string[], caller: Caller): { tags?: string[] } {
  const labels = new Set<string>(before.filter((t) => t.startsWith(TAINT_TAG)));
  for (const l of caller.taint) labels.add((TAINT_TAG + l).slice(0, 128));
  if (labels.size === 0) return tags === undefined ? {} : { tags: [...tags] };
  const own = (tags ?? []).filter((t) => !t.startsWith(TAINT_TAG));
  let marks = [...labels].sort();
  if (marks.length > MAX_LABELS) marks = [...marks.slice(0, MAX_LABELS - 1), `${TAINT_TAG}more`];
  if (own.length + marks.length > MAX_TAGS) {
    throw new AiosError("E_INVALID_ARG", `tags: ${own.length} tags and ${marks.length} taint labels exceed ${MAX_TAGS}`, { details: { path: "tags" } });
  }
  return { tags: [...new Set([...own, ...marks])] };
}

/** zod's output marks absent optionals `| undefined`; the SyscallMap's shapes omit them — same data. */
function args<N extends SyscallName>(schema: z.ZodType, raw: unknown): SyscallArgs<N> {
  return parseInput(schema, raw) as SyscallArgs<N>;
}

export function memorySyscalls(f: MemoryFabric): AnySyscallDef[] {
  const store: SyscallDef<"MemoryStore"> = {
    name: "MemoryStore",
    parse: (raw) => args<"MemoryStore">(StoreArgs, raw),
    requires: (a, c) => {
      const scope = parseScope(a.scope, who(c));
      return scope.kind === "agent" ? [] : [{ resource: scopeResource(scope), action: "write" }];
    },
    sideEffect: false,
    handler: (a, call) => f.store({ ...a, ...who(call.caller), ...taintTags(a.tags, [], call.caller) }),
  };
  const query: SyscallDef<"MemoryQuery"> = {
    name: "MemoryQuery",
    parse: (raw) => args<"MemoryQuery">(QueryArgs, raw),
    requires: (a, c) => {
      const s = (a.filter as MemoryFilter | undefined)?.scope;
      if (s === undefined || s === "agent" || s === "shared") return [];
      return [{ resource: scopeResource(parseScope(s, who(c), "filter.scope")), action: "read" }];
    },
    sideEffect: false,
    handler: async (a, call) => ({ hits: await f.query({ ...(a as Parameters<MemoryFabric["query"]>[0]), ...who(call.caller) }) }),
  };
  const get: SyscallDef<"MemoryGet"> = {
    name: "MemoryGet",
    parse: (raw) => parseInput(Id, raw),
    requires: () => [],
    sideEffect: false,
    handler: (a, call) => f.get(a.id, who(call.caller)),
  };
  const update: SyscallDef<"MemoryUpdate"> = {
    name: "MemoryUpdate",
    parse: (raw) => args<"MemoryUpdate">(UpdateArgs, raw),
    requires: (a) => recordWrite(f, a.id),
    sideEffect: false,
    // The record keeps the labels it had: a clean writer's update does not launder tainted content.
    handler: ({ id, ...rest }, call) => {
      const before = f.catalog.byRecordId(id)?.tags ?? [];
      return f.update(id, { ...rest, ...who(call.caller), ...taintTags(rest.tags ?? (before.length > 0 ? before : undefined), before, call.caller) });
    },
  };
  const history: SyscallDef<"MemoryHistory"> = {
    name: "MemoryHistory",
    parse: (raw) => parseInput(Id, raw),
    requires: () => [],
    sideEffect: false,
    handler: async (a, call) => {
      const h = await f.history(a.id, who(call.caller));
      return { versions: h.versions, heads: h.heads };
    },
  };
  const linkDef: SyscallDef<"MemoryLink"> = {
    name: "MemoryLink",
    parse: (raw) => parseInput(Link, raw),
    requires: (a) => recordWrite(f, a.from),
    sideEffect: false,
    handler: (a, call) => f.link(a.from, a.to, a.type, who(call.caller)),
  };
  const neighborsDef: SyscallDef<"MemoryNeighbors"> = {
    name: "MemoryNeighbors",
    parse: (raw) => args<"MemoryNeighbors">(NeighborArgs, raw),
    requires: () => [],
    sideEffect: false,
    handler: ({ id, ...o }, call) => ({ nodes: f.neighbors(id, { ...o, ...who(call.caller) }) }),
  };
  const alloc: SyscallDef<"AgentMemAlloc"> = {
    name: "AgentMemAlloc",
    parse: (raw) => parseInput(Bytes, raw),
    requires: () => [],
    sideEffect: false,
    handler: async (a, call) => ({ allocated: await f.alloc(call.caller.agent, a.bytes) }),
  };
  const free: SyscallDef<"AgentMemFree"> = {
    name: "AgentMemFree",
    parse: (raw) => parseInput(Bytes, raw),
    requires: () => [],
    sideEffect: false,
    handler: async (a, call) => ({ allocated: await f.free(call.caller.agent, a.bytes) }),
  };
  return [store, query, get, update, history, linkDef, neighborsDef, alloc, free];
}
