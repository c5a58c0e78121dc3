/**
 * The ToolCall syscall. Parsing validates the tool's own input (so the dispatcher's capability stage
 * sees the tool's real requirements: `tool:<name>#call` plus e.g. `file:/data/x#read`), the handler
 * runs the tool with a ToolContext whose re-checks go through the kernel's current checker.
 * `sideEffect` follows the tool: a durable caller's file.write is journaled before it runs, while a
 * pure tool's result is only journaled for replay (ToolInfo.sideEffect says which).
 * A call without `args` (`ctx.sys.ToolCall({ tool: "clock.now" })`) hands the tool `{}`: a tool whose
 * schema accepts the empty object runs, any other is refused naming its missing field.
 * A call with an idempotency key runs at most once per (agent, key) while the key is remembered.
 * The dispatcher audits its own decision before the handler runs; what the tool's execution-time
 * re-checks refuse (a symlink out of scope, a redirect to a forbidden host) is audited by the door as a
 * second, `denied` entry for the same call, and told as `tool.denied` by the registry (registry.ts run).
 */
import { z } from "zod";
import type { AgentId, Clock, EventBus } from "../core/index.js";
import type { AgentSpecInput, Caller, CapabilityChecker, SyscallCall, SyscallDef, ToolHost, TraceSpan } from "./kernel-seam.js";
import { makeToolContext, type ContextParts } from "./context.js";
import type { ToolRegistry } from "./registry.js";
import type { SecretSource } from "./secret-slots.js";
import { parseWith } from "./validation.js";

/** Exported for the fast-path property test. A call without `args` means `{}` (a tool taking no input). */
export const ToolCallArgs = z.strictObject({
  tool: z.string().min(1).max(128),
  args: z.unknown().optional(),
  idempotencyKey: z.string().min(1).max(256).optional(),
});

type ToolCallArgsT = z.output<typeof ToolCallArgs>;

/**
 * The common call shape checked by hand (this runs on every tool call): true only for what
 * ToolCallArgs certainly accepts — a plain object with just its keys and in-range strings. Anything
 * else goes to zod, which decides and names the field (tests/tools/syscall-fast-path.test.ts).
 */
export function isPlainToolCall(raw: unknown): raw is ToolCallArgsT {
  if (typeof raw !== "object" || raw === null) return false;
  const proto: unknown = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in raw) if (k !== "tool" && k !== "args" && k !== "idempotencyKey") return false;
  const { tool, idempotencyKey } = raw as Record<string, unknown>;
  return typeof tool === "string" && tool.length >= 1 && tool.length <= 128
    && (idempotencyKey === undefined || (typeof idempotencyKey === "string" && idempotencyKey.length >= 1 && idempotencyKey.length <= 256));
}

export interface ToolCallOptions {
  /** How many idempotency keys are remembered (oldest forgotten first). */
  readonly idempotencyKeys?: number;
  /** Where tools' secret slots get their values (the security subsystem's store). */
  readonly secrets?: SecretSource;
}

export function toolCallSyscall(registry: ToolRegistry, host: ToolHost, options: ToolCallOptions = {}): SyscallDef<"ToolCall"> {
  const remembered = new Map<string, Promise<unknown>>();
  const capacity = options.idempotencyKeys ?? 10_000;
  // Read at call time: the security subsystem may install its checker after this syscall is built.
  const checker = (): CapabilityChecker => host.guards.capabilities;

  return {
    name: "ToolCall",
    parse(raw) {
      const a = isPlainToolCall(raw) ? raw : parseWith(ToolCallArgs, raw, "ToolCall");
      // No args (absent or undefined) is the empty input; the tool's own schema still decides on it.
      const { args } = registry.parse(a.tool, a.args ?? {});
      return { tool: a.tool, args, ...(a.idempotencyKey === undefined ? {} : { idempotencyKey: a.idempotencyKey }) };
    },
    requires: (a, caller) => registry.requirements({ tool: registry.get(a.tool), args: a.args }, caller),
    sideEffect: (a) => registry.get(a.tool).sideEffect,
    honoursKeys: (a) => registry.get(a.tool).honoursKeys === true,
    replay: true,
    pool: () => "tool",
    handler(a, call) {
      const ctx = makeToolContext(new CallParts(call, host, checker, options.secrets));
      // Only the agent's own key is remembered here: a derived key is unique per call already.
      const key = a.idempotencyKey;
      if (key === undefined) return registry.run({ tool: registry.get(a.tool), args: a.args }, ctx);
      const k = `${call.caller.agent}\u0000${a.tool}\u0000${key}`;
      const prior = remembered.get(k);
      if (prior !== undefined) return prior;
      const p = registry.run({ tool: registry.get(a.tool), args: a.args }, ctx);
      // A failed call may be retried with the same key: only successes are remembered.
      void p.catch(() => remembered.delete(k));
      remembered.set(k, p);
      if (remembered.size > capacity) {
        const oldest = remembered.keys().next().value;
        if (oldest !== undefined) remembered.delete(oldest);
      }
      return p;
    },
  };
}

/**
 * A ToolCall's context parts, read from the call and the host: the caller's key is the agent's, else
 * the door's (derived from agent and call sequence). A class with getters, not a literal with two
 * closures: every tool call makes one, and most tools never spawn or ask another agent.
 */
class CallParts implements ContextParts {
  constructor(
    readonly call: SyscallCall,
    private readonly host: ToolHost,
    readonly checker: () => CapabilityChecker,
    readonly secrets: SecretSource | undefined,
  ) {}
  get caller(): Caller {
    return this.call.caller;
  }
  get clock(): Clock {
    return this.host.clock;
  }
  get events(): EventBus {
    return this.host.events;
  }
  get trace(): TraceSpan | undefined {
    return this.call.trace;
  }
  get idempotencyKey(): string | undefined {
    return this.call.idempotencyKey;
  }
  get spawn(): (spec: AgentSpecInput) => Promise<AgentId> {
    const { host, call } = this;
    return (spec) => host.spawnAs(call.caller, spec);
  }
  get request(): ((to: string, payload: unknown, timeoutMs?: number) => Promise<unknown>) | undefined {
    const request = this.host.request;
    if (request === undefined) return undefined;
    const call = this.call;
    return (to, payload, timeoutMs) => request(to, payload, timeoutMs, call.caller.agent, call.trace);
  }
}
