/**
 * The kernel's own syscalls: AgentSpawn, AgentKill, SemanticSend, GetAsyncResult and Noop. Other
 * subsystems register theirs (ToolCall, LlmInvoke, MemoryStore, CapGrant, ...) through plugins.
 */
import { z } from "zod";
import { AiosError, toAiosError } from "../core/index.js";
import type { Kernel } from "./kernel.js";
import type { ArgParser, Caller, SyscallDef } from "./syscalls.js";
import { coveredBy, parseCapability, type Capability } from "../security/index.js";

/** Wraps a zod schema as an ArgParser that throws E_INVALID_ARG naming the field. */
export function zodArgs<T>(syscall: string, schema: z.ZodType<T>): ArgParser<T> {
  return (raw) => {
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const i = r.error.issues[0];
    const path = i?.path.map(String).join(".") || "(args)";
    throw new AiosError("E_INVALID_ARG", `${syscall}: ${path}: ${i?.message ?? "invalid"}`, { details: { syscall, path, issues: r.error.issues } });
  };
}

const Spawn = z.object({ spec: z.record(z.string(), z.unknown()) });
const Kill = z.object({ id: z.string().min(1), reason: z.string().optional() });
const GetResult = z.object({ handle: z.string().min(1), waitMs: z.number().int().min(0).max(600_000).optional() });

export function builtinSyscalls(k: Kernel): SyscallDef[] {
  const spawn: SyscallDef<"AgentSpawn"> = {
    name: "AgentSpawn",
    parse: zodArgs("AgentSpawn", Spawn) as ArgParser<{ spec: never }>,
    requires: () => [{ resource: "agent", action: "spawn" }],
    sideEffect: false,
    handler: async ({ spec }, call) => {
      const parsed = k.parse(spec, "AgentSpawn.spec");
      checkSubset(k, call.caller, parsed.capabilities);
      return { id: await k.spawn(parsed, { parent: call.caller.agent }) };
    },
  };
  const kill: SyscallDef<"AgentKill"> = {
    name: "AgentKill",
    parse: zodArgs("AgentKill", Kill) as ArgParser<{ id: string; reason?: string }>,
    requires: ({ id }) => [{ resource: `agent:${id}`, action: "kill" }],
    sideEffect: false,
    handler: async ({ id, reason }, call) => ({ killed: await k.ops.kill(id, reason ?? `killed by ${call.caller.agent}`) }),
  };
  const send: SyscallDef<"SemanticSend"> = {
    name: "SemanticSend",
    parse: (raw) => {
      if (typeof raw !== "object" || raw === null) throw new AiosError("E_INVALID_ARG", "SemanticSend: expected { to, payload }", { details: { path: "(args)" } });
      const { to, payload, onFull } = raw as { to?: unknown; payload?: unknown; onFull?: unknown };
      if (typeof to !== "string" || to === "") throw new AiosError("E_INVALID_ARG", "SemanticSend: to: expected an agent id", { details: { path: "to" } });
      if (onFull !== undefined && onFull !== "wait" && onFull !== "fail") throw new AiosError("E_INVALID_ARG", 'SemanticSend: onFull: expected "wait" or "fail"', { details: { path: "onFull" } });
      return { to, payload, ...(onFull === undefined ? {} : { onFull }) };
    },
    requires: ({ to }) => [{ resource: `agent:${to}`, action: "send" }],
    sideEffect: false,
    handler: async ({ to, payload, onFull }, call) => {
      if (to === undefined) throw new AiosError("E_INVALID_ARG", "SemanticSend: to: expected an agent id", { details: { path: "to" } });
      await k.deliver(k.find(call.caller.agent), to, payload, onFull, undefined);
      return undefined;
    },
  };
  const getResult: SyscallDef<"GetAsyncResult"> = {
    name: "GetAsyncResult",
    parse: zodArgs("GetAsyncResult", GetResult) as ArgParser<{ handle: string; waitMs?: number }>,
    requires: () => [],
    sideEffect: false,
    handler: ({ handle, waitMs }, call) => k.dispatcher.results.get(call.caller.agent, handle, waitMs ?? 0),
  };
  const noop: SyscallDef<"Noop"> = {
    name: "Noop",
    parse: (raw) => {
      if (raw !== undefined && (typeof raw !== "object" || raw === null)) throw new AiosError("E_INVALID_ARG", "Noop: expected {}", { details: { path: "(args)" } });
      return {};
    },
    requires: () => [{ resource: "kernel", action: "noop" }],
    sideEffect: false,
    handler: () => null,
  };
  return [spawn, kill, send, getResult, noop] as unknown as SyscallDef[];
}

/**
 * A child never gets more than its parent: every capability it asks for must be covered by one the
 * parent holds — a resource glob at least as wide, a superset of actions, and every constraint of the
 * parent's kept at least as strict (security's attenuation rule). The parent's holdings are its spec's
 * capabilities, plus whatever the installed checker says it holds beyond them (granted tokens).
 */
export function checkSubset(k: Kernel, parent: Caller, caps: readonly string[]): void {
  const held = parent.capabilities.map((c) => parseCap(c, "parent capability"));
  for (const c of caps) {
    const child = parseCap(c, "capabilities");
    if (coveredBy(held, child)) continue;
    if (k.guards.capabilities.covers?.(parent, c) === true) continue;
    throw new AiosError("E_CAP_DENIED", `a child cannot get ${c}: its parent ${parent.name} holds nothing that covers it`, { details: { capability: c } });
  }
}

function parseCap(c: string, field: string): Capability {
  try {
    return parseCapability(c, field);
  } catch (e) {
    throw new AiosError("E_INVALID_SPEC", toAiosError(e).message, { details: { path: field } });
  }
}
