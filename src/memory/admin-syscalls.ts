/**
 * The memory's administrative syscalls: MemorySnapshot, MemorySnapshots, MemoryRestore,
 * MemoryGrant and MemoryGrants. They exist so that the operator's snapshot and grant actions (the
 * HTTP API, the CLI) pass the door like every other effect — schema, capability, policy, audit —
 * and an agent holding the capability may do the same. Capabilities: a snapshot or a listing of
 * a shared or global scope needs `memory:<scope>#read`; a restore is checked by the fabric against
 * the snapshot's scope (write), which is only known once the snapshot is read; granting access to
 * a shared namespace needs `memory:shared/<ns>#grant` (an agent's private scope needs nothing).
 */
import { z } from "zod";
import type { Caller, CapabilityRequest, SyscallDef } from "../abi/index.js";
import { parseScope, scopeResource } from "./access.js";
import type { MemoryFabric } from "./fabric.js";
import { parseInput } from "./inputs.js";
import type { SnapshotInfo } from "./snapshots.js";
import type { GrantRow } from "./storage.js";

declare module "../abi/syscalls.js" {
  interface SyscallMap {
    MemorySnapshot: { args: { scope?: string; label?: string }; result: { id: string; records: number } };
    MemorySnapshots: { args: { scope?: string }; result: { snapshots: SnapshotInfo[] } };
    MemoryRestore: { args: { snapshot: string }; result: { reverted: number; removed: number; revived: number } };
    MemoryGrant: { args: { namespace: string; agent: string; access: "read" | "write" | null }; result: { namespace: string; agent: string; access: "read" | "write" | null } };
    MemoryGrants: { args: { namespace?: string }; result: { grants: GrantRow[] } };
  }
}

const who = (c: Caller): { agent: string; tenant: string } => ({ agent: c.agent, tenant: c.tenant });
const Scope = z.string().min(1).max(200);
const Namespace = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "a namespace: 1-128 of A-Z a-z 0-9 _ . : -");
const SnapshotArgs = z.strictObject({ scope: Scope.optional(), label: z.string().min(1).max(200).optional() });
const SnapshotsArgs = z.strictObject({ scope: Scope.optional() });
const RestoreArgs = z.strictObject({ snapshot: z.string().min(1).max(256) });
const GrantArgs = z.strictObject({ namespace: Namespace, agent: z.string().min(1).max(256), access: z.enum(["read", "write"]).nullable() });
const GrantsArgs = z.strictObject({ namespace: Namespace.optional() });

/** Drops undefined members (exactOptionalPropertyTypes: the SyscallMap's shapes omit them). */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** What reading `scope` needs: nothing for the caller's own scope. */
function readScope(scope: string | undefined, c: Caller): CapabilityRequest[] {
  const s = parseScope(scope, who(c));
  return s.kind === "agent" && s.namespace === c.agent ? [] : [{ resource: scopeResource(s), action: "read" }];
}

export function memoryAdminSyscalls(f: MemoryFabric): [
  SyscallDef<"MemorySnapshot">, SyscallDef<"MemorySnapshots">, SyscallDef<"MemoryRestore">, SyscallDef<"MemoryGrant">, SyscallDef<"MemoryGrants">,
] {
  const snapshot: SyscallDef<"MemorySnapshot"> = {
    name: "MemorySnapshot",
    parse: (raw) => defined(parseInput(SnapshotArgs, raw)),
    requires: (a, c) => readScope(a.scope, c),
    sideEffect: false,
    handler: (a, call) => f.snapshot(a.scope, a.label, who(call.caller)),
  };
  const snapshots: SyscallDef<"MemorySnapshots"> = {
    name: "MemorySnapshots",
    parse: (raw) => defined(parseInput(SnapshotsArgs, raw)),
    requires: (a, c) => readScope(a.scope, c),
    sideEffect: false,
    handler: async (a, call) => ({ snapshots: await f.snapshots(a.scope, who(call.caller)) }),
  };
  const restore: SyscallDef<"MemoryRestore"> = {
    name: "MemoryRestore",
    parse: (raw) => parseInput(RestoreArgs, raw),
    requires: () => [],
    sideEffect: false,
    handler: (a, call) => f.restore(a.snapshot, who(call.caller)),
  };
  const grant: SyscallDef<"MemoryGrant"> = {
    name: "MemoryGrant",
    parse: (raw) => parseInput(GrantArgs, raw),
    requires: (a) => [{ resource: scopeResource({ kind: "shared", namespace: a.namespace }), action: "grant" }],
    sideEffect: false,
    handler: async (a, call) => {
      await f.grant(a.namespace, a.agent, a.access, call.caller.tenant);
      return { namespace: a.namespace, agent: a.agent, access: a.access };
    },
  };
  const grants: SyscallDef<"MemoryGrants"> = {
    name: "MemoryGrants",
    parse: (raw) => defined(parseInput(GrantsArgs, raw)),
    requires: (a) => [{ resource: a.namespace === undefined ? "memory:shared/*" : scopeResource({ kind: "shared", namespace: a.namespace }), action: "read" }],
    sideEffect: false,
    handler: (a, call) => ({ grants: f.grants(a.namespace, call.caller.tenant) }),
  };
  return [snapshot, snapshots, restore, grant, grants];
}
