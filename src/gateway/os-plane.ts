/**
 * The memory, tools and secrets services of the control API (os-api.ts) over the SDK facade.
 * Effects go through the door with `os.call` (as the operator, or as the agent `as` names);
 * the syscalls' results are passed on as they are. The syscall table types some results loosely
 * (`unknown`), so the one narrowing per call below restates what the memory module returns.
 */
import type { SyscallArgs, SyscallName } from "../abi/index.js";
import type { GrantRow, MemoryHit, MemoryRecord, MemoryVersion, Neighbour } from "../memory/index.js";
import { describeTool } from "../tools/index.js";
import type { Aios } from "../sdk/index.js";
import type { MemoryApi, SecretsApi, ToolDescription, ToolsApi } from "./os-api.js";
import type { MemGrantInput, MemLinkInput, MemNeighboursInput, MemPutInput, MemQueryInput, MemSnapshotInput, MemUpdateInput, ToolCallInput } from "./schemas-os.js";

/** The zod output of a body (absent optionals present as undefined) as a syscall's arguments. */
function args<N extends SyscallName>(o: object): SyscallArgs<N> {
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== "as"));
  return out;
}

const who = (as: string | undefined): { as?: string } => (as === undefined ? {} : { as });

export class MemoryPlane implements MemoryApi {
  constructor(private readonly os: Aios) {}

  put(b: MemPutInput): Promise<{ id: string; version: string }> {
    return this.os.call("MemoryStore", args<"MemoryStore">(b), who(b.as));
  }
  update(id: string, b: MemUpdateInput): ReturnType<MemoryApi["update"]> {
    return this.os.call("MemoryUpdate", { ...args<"MemoryUpdate">(b), id }, who(b.as));
  }
  async query(b: MemQueryInput): Promise<{ hits: MemoryHit[] }> {
    const r = await this.os.call("MemoryQuery", args<"MemoryQuery">(b), who(b.as));
    return { hits: r.hits as MemoryHit[] };
  }
  async get(id: string, as?: string): Promise<MemoryRecord> {
    return (await this.os.call("MemoryGet", { id }, who(as))) as MemoryRecord;
  }
  async history(id: string, as?: string): Promise<{ versions: MemoryVersion[]; heads: readonly string[] }> {
    const r = await this.os.call("MemoryHistory", { id }, who(as));
    return { versions: r.versions as MemoryVersion[], heads: r.heads };
  }
  link(b: MemLinkInput): Promise<{ created: boolean }> {
    return this.os.call("MemoryLink", args<"MemoryLink">(b), who(b.as));
  }
  async neighbours(id: string, q: MemNeighboursInput): Promise<{ nodes: Neighbour[] }> {
    const r = await this.os.call("MemoryNeighbors", { ...args<"MemoryNeighbors">(q), id }, who(q.as));
    return { nodes: r.nodes as Neighbour[] };
  }
  snapshot(b: MemSnapshotInput): ReturnType<MemoryApi["snapshot"]> {
    return this.os.call("MemorySnapshot", args<"MemorySnapshot">(b), who(b.as));
  }
  snapshots(scope?: string, as?: string): ReturnType<MemoryApi["snapshots"]> {
    return this.os.call("MemorySnapshots", scope === undefined ? {} : { scope }, who(as));
  }
  restore(snapshot: string, as?: string): ReturnType<MemoryApi["restore"]> {
    return this.os.call("MemoryRestore", { snapshot }, who(as));
  }
  grant(b: MemGrantInput): ReturnType<MemoryApi["grant"]> {
    // Grants are held by agent id: a name is resolved; "operator" is the API's own caller.
    const agent = b.agent === "operator" ? b.agent : this.os.status(b.agent).id;
    return this.os.call("MemoryGrant", { namespace: b.namespace, agent, access: b.access === "none" ? null : b.access });
  }
  grants(namespace?: string): Promise<{ grants: GrantRow[] }> {
    return this.os.call("MemoryGrants", namespace === undefined ? {} : { namespace });
  }
}

export class ToolsPlane implements ToolsApi {
  constructor(private readonly os: Aios) {}

  async list(): ReturnType<ToolsApi["list"]> {
    return { tools: this.os.tools.list().map((t) => ({ name: t.name, description: t.description, sideEffect: t.sideEffect })) };
  }
  async describe(name: string): Promise<ToolDescription> {
    return describeTool(this.os.tools.get(name));
  }
  async call(name: string, b: ToolCallInput): Promise<{ result: unknown }> {
    const result = await this.os.call("ToolCall", { tool: name, args: b.args ?? {}, ...(b.idempotencyKey === undefined ? {} : { idempotencyKey: b.idempotencyKey }) }, who(b.as));
    return { result };
  }
}

export class SecretsPlane implements SecretsApi {
  constructor(private readonly os: Aios) {}

  set(name: string, value: string): Promise<{ name: string }> {
    return this.os.call("SecretSet", { name, value });
  }
  list(): Promise<{ names: string[] }> {
    return this.os.call("SecretList", {});
  }
  delete(name: string): Promise<{ name: string; deleted: boolean }> {
    return this.os.call("SecretDelete", { name });
  }
}
