/**
 * What a tool is: a name, zod schemas for input and output (exported as JSON Schema for models and
 * MCP), the capabilities a call needs (computed from the validated input, so the dispatcher checks
 * them before anything runs), whether a call has an effect outside the kernel, and the
 * implementation. Implementations get a ToolContext and nothing else: no ambient authority.
 */
import type { z } from "zod";
import type { Clock, EventBus } from "../core/index.js";
import type { AgentSpecInput, Caller, CapabilityRequest, TraceSpan } from "./kernel-seam.js";
import type { AgentId } from "../core/index.js";

export interface ToolContext {
  readonly caller: Caller;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly events: EventBus | undefined;
  /** The agent's key, or one derived from (agent, call sequence): the same when a call is re-run after a crash. */
  readonly idempotencyKey?: string;
  /** The tool call's span (tracing on): an outgoing request made for the call carries its traceparent. */
  readonly trace?: TraceSpan;
  /**
   * Re-checks a capability at execution time (after canonicalising a path, resolving DNS, following
   * a redirect). Throws E_CAP_DENIED naming the resource when no capability allows it.
   */
  check(req: CapabilityRequest): void;
  /** The constraints (`{allow=[ls,cat]}`) of every capability of the caller that allows `req`. */
  constraints(req: CapabilityRequest): ReadonlyArray<Readonly<Record<string, string>>>;
  /**
   * A secret's value for one of the tool's secret slots (secret-slots.ts): checks
   * `secret:NAME#use` first (E_CAP_DENIED), E_NOT_FOUND when no such secret exists. Only the
   * registry calls it, while it fills the slots of the copy of the arguments `execute` receives.
   */
  revealSecret(name: string): string;
  /** Spawns an agent through the kernel (agent.spawn); absent outside a kernel. */
  readonly spawn?: ((spec: AgentSpecInput) => Promise<AgentId>) | undefined;
  /** Sends a request to another agent as the caller and resolves with its reply (agent.request); absent outside a kernel. */
  readonly request?: ((to: string, payload: unknown, timeoutMs?: number) => Promise<unknown>) | undefined;
}

export interface Tool<I = unknown, O = unknown> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<I>;
  readonly output?: z.ZodType<O>;
  /** True when running the call twice would be visible outside the kernel. */
  readonly sideEffect: boolean;
  /**
   * True when `execute` dedupes on `ctx.idempotencyKey` (e.g. passes it as an HTTP Idempotency-Key):
   * a durable agent's call in flight at a crash is then run again under the same key instead of
   * being reported E_EFFECT_UNKNOWN.
   */
  readonly honoursKeys?: boolean;
  /** Capabilities the call needs, beyond `tool:<name>#call`, from the validated input. */
  readonly requires: (args: I, caller: Caller) => readonly CapabilityRequest[];
  /**
   * Dotted paths into the input (`*` = any key or index) whose strings may hold `{{secret:NAME}}`
   * references, replaced by the value only in what `execute` receives (secret-slots.ts). A reference
   * in any other field is refused.
   */
  readonly secretSlots?: readonly string[];
  readonly execute: (args: I, ctx: ToolContext) => Promise<O>;
  /**
   * The JSON Schemas models and MCP clients see, when the tool's schemas are JSON Schema to begin
   * with (an MCP server's tools): then `input` validates against exactly this document.
   */
  readonly jsonSchema?: { readonly input: unknown; readonly output?: unknown };
  /** Releases what the tool holds between calls (prepared sandboxes, a browser); run at shutdown. */
  readonly dispose?: () => void | Promise<void>;
}

/** Erased form the registry stores (inputs are validated before they reach `execute`). */
export type AnyTool = Tool<unknown, unknown>;

const TOOL_NAME_RE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

export function isValidToolName(name: string): boolean {
  return name.length <= 128 && TOOL_NAME_RE.test(name);
}

/**
 * What a tool object lacks that the registry needs, named by field, or undefined when it has it
 * all: a tool written in plain JavaScript (or cast) reaches register() unchecked by the compiler,
 * and a missing `requires` would otherwise surface as a TypeError crashing the first agent to call it.
 */
export function toolShapeProblem(tool: unknown): { readonly path: string; readonly message: string } | undefined {
  const problem = (path: string, expected: string): { path: string; message: string } => ({ path, message: `${path}: ${expected}` });
  if (typeof tool !== "object" || tool === null) return problem("tool", `expected a tool object, got ${tool === null ? "null" : typeof tool}`);
  const t = tool as Record<string, unknown>;
  const schema = (v: unknown): boolean => typeof v === "object" && v !== null && typeof (v as { safeParse?: unknown }).safeParse === "function";
  if (typeof t["name"] !== "string") return problem("tool.name", `expected a string, got ${typeof t["name"]}`);
  if (typeof t["description"] !== "string") return problem("tool.description", `expected a string, got ${typeof t["description"]}`);
  if (!schema(t["input"])) return problem("tool.input", "expected a zod schema");
  if (t["output"] !== undefined && !schema(t["output"])) return problem("tool.output", "expected a zod schema or nothing");
  if (typeof t["sideEffect"] !== "boolean") return problem("tool.sideEffect", `expected true or false, got ${typeof t["sideEffect"]}`);
  if (typeof t["requires"] !== "function") return problem("tool.requires", "expected a function (args, caller) => capability requests; () => [] when the call needs none beyond tool:<name>#call");
  if (typeof t["execute"] !== "function") return problem("tool.execute", "expected a function (args, ctx) => Promise");
  return undefined;
}

/** Identity helper that keeps I and O inferred from the schemas. */
export function defineTool<I, O>(tool: Tool<I, O>): Tool<I, O> {
  return tool;
}

export function eraseTool<I, O>(tool: Tool<I, O>): AnyTool {
  // Sound because the registry only ever calls execute/requires with input parsed by `tool.input`.
  return tool as unknown as AnyTool;
}
