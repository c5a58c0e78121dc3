/**
 * The memory syscalls (MemoryStore, MemoryQuery, MemoryGet, MemoryUpdate, MemoryHistory,
 * MemoryLink, MemoryNeighbors, AgentMemAlloc, AgentMemFree). Capabilities: an agent's own private
 * scope needs none; shared and global scopes need `memory:shared/<ns>` / `memory:global` with
 * action read or write, checked by the dispatcher when the scope is known from the arguments and by
 * the fabric's scope hook (the same checker) when it is only known from the record or the results.
 */
import { z } from "zod";
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
    handler: (a, call) => f.store({ ...a, ...who(call.caller) }),
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
    handler: ({ id, ...rest }, call) => f.update(id, { ...rest, ...who(call.caller) }),
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
