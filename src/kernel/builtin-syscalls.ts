/**
 * The kernel's own syscalls: AgentSpawn, AgentKill, SemanticSend, AgentRequest, GetAsyncResult and Noop. Other
 * subsystems register theirs (ToolCall, LlmInvoke, MemoryStore, CapGrant, ...) through plugins.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { AgentId } from "../core/index.js";
import type { AgentSpec, Caller, SendOptions, TraceSpan } from "../abi/index.js";
import type { AsyncResults } from "./async-results.js";
import type { Proc } from "./proc.js";
import { inheritTenant, zodArgs, type ArgParser, type SyscallDef } from "../abi/index.js";

const Spawn = z.object({ spec: z.record(z.string(), z.unknown()) });
const Kill = z.object({ id: z.string().min(1), reason: z.string().optional() });
const Request = z.object({ to: z.string().min(1), payload: z.unknown(), timeoutMs: z.number().int().positive().max(86_400_000).optional() });
const GetResult = z.object({ handle: z.string().min(1), waitMs: z.number().int().min(0).max(600_000).optional() });

/** What the built-in syscalls call: the spawner, the operations' kill, the mail and the door's async results. */
export interface BuiltinDeps {
  readonly parse: (input: unknown, source?: string) => AgentSpec;
  readonly spawnAs: (creator: Caller, spec: AgentSpec) => Promise<AgentId>;
  readonly kill: (id: string, reason: string) => Promise<boolean>;
  readonly find: (id: string) => Proc | undefined;
  readonly deliver: (from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: undefined) => void | Promise<void>;
  readonly request: (from: Proc | undefined, to: string, payload: unknown, timeoutMs?: number, span?: TraceSpan) => Promise<unknown>;
  readonly results: AsyncResults;
}

export function builtinSyscalls(k: BuiltinDeps): SyscallDef[] {
  const spawn: SyscallDef<"AgentSpawn"> = {
    name: "AgentSpawn",
    parse: zodArgs("AgentSpawn", Spawn) as ArgParser<{ spec: never }>,
    requires: () => [{ resource: "agent", action: "spawn" }],
    sideEffect: false,
    handler: async ({ spec }, call) => {
      // The kernel checks the whole tree against the caller (spawn-rule.ts): one rule for every route.
      // A node that names no tenant is in the caller's.
      return { id: await k.spawnAs(call.caller, k.parse(inheritTenant(spec, call.caller.tenant), "AgentSpawn.spec")) };
    },
  };
  const kill: SyscallDef<"AgentKill"> = {
    name: "AgentKill",
    parse: zodArgs("AgentKill", Kill) as ArgParser<{ id: string; reason?: string }>,
    requires: ({ id }) => [{ resource: `agent:${id}`, action: "kill" }],
    sideEffect: false,
    handler: async ({ id, reason }, call) => ({ killed: await k.kill(id, reason ?? `killed by ${call.caller.agent}`) }),
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
  // ctx.request: the same door as a send (capability agent:<to>#send, policy, quota, audit, event).
  const request: SyscallDef<"AgentRequest"> = {
    name: "AgentRequest",
    parse: zodArgs("AgentRequest", Request) as ArgParser<{ to: string; payload: unknown; timeoutMs?: number }>,
    requires: ({ to }) => [{ resource: `agent:${to}`, action: "send" }],
    sideEffect: false,
    // The letter carries the call's span (tracing on): the recipient's handling is its child.
    handler: ({ to, payload, timeoutMs }, call) => k.request(k.find(call.caller.agent), to, payload, timeoutMs, call.trace),
  };
  const getResult: SyscallDef<"GetAsyncResult"> = {
    name: "GetAsyncResult",
    parse: zodArgs("GetAsyncResult", GetResult) as ArgParser<{ handle: string; waitMs?: number }>,
    requires: () => [],
    sideEffect: false,
    handler: ({ handle, waitMs }, call) => k.results.get(call.caller.agent, handle, waitMs ?? 0),
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
  return [spawn, kill, send, request, getResult, noop] as unknown as SyscallDef[];
}
