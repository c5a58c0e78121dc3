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
 * second, `denied` entry for the same call, and emitted as `tool.denied`.
 */
import { z } from "zod";
import { isAiosError } from "../core/index.js";
import type { CapabilityChecker, SyscallDef, ToolHost } from "./kernel-seam.js";
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
      // Built field by field: optional spreads take a slow generic path on this per-call object.
      const parts: { -readonly [K in keyof ContextParts]: ContextParts[K] } = {
        caller: call.caller,
        checker,
        clock: host.clock,
        events: host.events,
        call,
        spawn: (spec) => host.spawnAs(call.caller, spec),
      };
      if (call.trace !== undefined) parts.trace = call.trace;
      // The agent's key, else the door's (derived from agent and call sequence).
      if (call.idempotencyKey !== undefined) parts.idempotencyKey = call.idempotencyKey;
      const request = host.request;
      if (request !== undefined) parts.request = (to: string, payload: unknown, timeoutMs?: number) => request(to, payload, timeoutMs, call.caller.agent, call.trace);
      if (options.secrets !== undefined) parts.secrets = options.secrets;
      const ctx = makeToolContext(parts);
      const run = (): Promise<unknown> =>
        registry.run({ tool: registry.get(a.tool), args: a.args }, ctx).catch((e: unknown) => {
          if (isAiosError(e, "E_CAP_DENIED")) {
            const resource = typeof e.details["resource"] === "string" ? e.details["resource"] : "?";
            const action = typeof e.details["action"] === "string" ? e.details["action"] : "?";
            // The door audits this refusal (it is decided inside the handler); the event names the tool.
            host.events.emit("tool.denied", { tool: a.tool, resource, action, reason: e.message }, call.caller.agent, "warn");
          }
          throw e;
        });
      // Only the agent's own key is remembered here: a derived key is unique per call already.
      const key = a.idempotencyKey;
      if (key === undefined) return run();
      const k = `${call.caller.agent}\u0000${a.tool}\u0000${key}`;
      const prior = remembered.get(k);
      if (prior !== undefined) return prior;
      const p = run();
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
