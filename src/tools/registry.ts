/**
 * The tool registry: register / get / list / execute. Names are unique; re-registering a name is an
 * error unless `replace` is asked for, so a plugin cannot silently shadow a builtin. `execute` is the
 * full path for callers outside the dispatcher (validate -> check every capability -> run -> validate
 * output); the ToolCall syscall uses `parse` and `run` because the dispatcher does the checking.
 * `list()` is read on every LLM agent's start (its tool schemas): each tool's JSON Schema is built
 * once, when it is first listed (z.toJSONSchema took a third of a default-stack agent run when it
 * ran on every list), and the sorted list is kept until a tool is registered or removed. The infos
 * handed out are deep-frozen, so no caller can change what the next one reads.
 */
import { z } from "zod";
import { AiosError, toAiosError } from "../core/index.js";
import type { Caller, CapabilityRequest } from "./kernel-seam.js";
import { eraseTool, isValidToolName, toolShapeProblem, type AnyTool, type Tool, type ToolContext } from "./tool.js";
import { checkSecretRefs, fillSecretSlots, secretRequests } from "./secret-slots.js";
import { cancelled } from "./context.js";
import { parseWith } from "./validation.js";

export interface ToolInfo {
  readonly name: string;
  readonly description: string;
  readonly sideEffect: boolean;
  readonly inputSchema: unknown;
  readonly outputSchema?: unknown;
}

export interface ParsedToolCall {
  readonly tool: AnyTool;
  readonly args: unknown;
}

export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();
  /** Per tool object, the requirement list of a call that needs only `tool:<name>#call`. */
  private readonly callRequests = new WeakMap<AnyTool, readonly CapabilityRequest[]>();
  /** The sorted, frozen answer of list() until the set of tools changes. */
  private listed: readonly ToolInfo[] | undefined;

  register<I, O>(tool: Tool<I, O>, options: { replace?: boolean } = {}): void {
    const problem = toolShapeProblem(tool);
    if (problem !== undefined) throw new AiosError("E_INVALID_ARG", problem.message, { details: { path: problem.path } });
    if (!isValidToolName(tool.name)) {
      throw new AiosError("E_INVALID_ARG", `tool.name: "${tool.name}" is not a valid tool name (lowercase dotted words)`, {
        details: { path: "tool.name" },
      });
    }
    if (this.tools.has(tool.name) && options.replace !== true) {
      throw new AiosError("E_CONFLICT", `tool ${tool.name} is already registered`, { retryable: false, details: { tool: tool.name } });
    }
    this.tools.set(tool.name, eraseTool(tool));
    this.listed = undefined;
  }

  unregister(name: string): boolean {
    this.listed = undefined;
    return this.tools.delete(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** Releases every tool's held resources (the kernel calls this at shutdown). */
  async dispose(): Promise<void> {
    for (const t of this.tools.values()) await t.dispose?.();
  }

  get(name: string): AnyTool {
    const t = this.tools.get(name);
    if (t === undefined) throw new AiosError("E_NO_TOOL", `no tool named "${name}"`, { details: { tool: name } });
    return t;
  }

  /** Every tool's description, by name (frozen; the same array until a tool is added or removed). */
  list(): readonly ToolInfo[] {
    this.listed ??= Object.freeze([...this.tools.values()].map(describeTool).sort((a, b) => a.name.localeCompare(b.name)));
    return this.listed;
  }

  /** Looks the tool up and validates its input (E_NO_TOOL, E_INVALID_ARG naming `args.<field>`). */
  parse(name: string, rawArgs: unknown): ParsedToolCall {
    const tool = this.get(name);
    const args = parseWith(tool.input, rawArgs, "args");
    checkSecretRefs(tool, args); // a reference outside the tool's secret slots is refused here
    return { tool, args };
  }

  /** Every capability the call needs: `tool:<name>#call` first, then the tool's own. */
  requirements(call: ParsedToolCall, caller: Caller): readonly CapabilityRequest[] {
    const own = call.tool.requires(call.args, caller);
    const secrets = secretRequests(call.tool, call.args);
    // The common case, a tool that asks for nothing more, shares one frozen list per tool: no array,
    // request or resource string built per call.
    if (own.length === 0 && secrets.length === 0) return this.callOnly(call.tool);
    return [{ resource: `tool:${call.tool.name}`, action: "call" }, ...own, ...secrets];
  }

  private callOnly(tool: AnyTool): readonly CapabilityRequest[] {
    let r = this.callRequests.get(tool);
    if (r === undefined) {
      r = Object.freeze([Object.freeze({ resource: `tool:${tool.name}`, action: "call" })]);
      this.callRequests.set(tool, r);
    }
    return r;
  }

  /**
   * Runs an already parsed and checked call; validates the output against the tool's schema. What
   * the tool's execution-time re-checks refuse (a symlink out of scope, a redirect to a forbidden
   * host, a secret it may not use) is also told as `tool.denied`, naming the tool.
   */
  async run(call: ParsedToolCall, ctx: ToolContext): Promise<unknown> {
    if (cancelled(ctx)) throw new AiosError("E_CANCELLED", `tool ${call.tool.name} cancelled before it started`);
    let out: unknown;
    try {
      // Secrets enter the arguments here and nowhere else: the copy goes to execute only.
      const args = fillSecretSlots(call.tool, call.args, ctx);
      out = await call.tool.execute(args, ctx);
    } catch (e) {
      const err = toAiosError(e, "E_TOOL");
      if (err.code === "E_CAP_DENIED") toldDenied(call.tool.name, err, ctx);
      throw err;
    }
    return call.tool.output === undefined ? out : parseWith(call.tool.output, out, `${call.tool.name}.output`, "E_TOOL");
  }

  /**
   * Validate, check every capability through ctx.check, run, validate output. For callers that hold
   * a ToolContext (the kernel's door built it); from the SDK, `os.callTool(name, args)` runs a tool
   * as the operator through the door.
   */
  async execute(name: string, rawArgs: unknown, ctx: ToolContext): Promise<unknown> {
    if (typeof name !== "string") throw new AiosError("E_INVALID_ARG", `tools.execute: name: expected a tool name, got ${typeof name}`, { details: { path: "name" } });
    const c = ctx as Partial<ToolContext> | undefined;
    if (typeof c !== "object" || c === null || typeof c.check !== "function" || typeof c.caller !== "object" || c.signal === undefined) {
      throw new AiosError("E_INVALID_ARG", `tools.execute: ctx: expected the ToolContext the door builds (caller, check, signal), got ${c === undefined ? "none" : "another object"}; from the SDK call a tool with os.callTool("${name}", args)`, { details: { path: "ctx" } });
    }
    const call = this.parse(name, rawArgs);
    for (const req of this.requirements(call, ctx.caller)) ctx.check(req);
    return this.run(call, ctx);
  }
}

/** Descriptions by tool object: a tool's schemas do not change after it is defined. */
const described = new WeakMap<AnyTool, ToolInfo>();

/** The tool's name, description and JSON Schemas, built once per tool object and deep-frozen. */
export function describeTool(t: AnyTool): ToolInfo {
  let info = described.get(t);
  if (info === undefined) {
    info = deepFreeze({
      name: t.name,
      description: t.description,
      sideEffect: t.sideEffect,
      // A schema the tool brings (an MCP server's) is copied: freezing must not reach into its object.
      inputSchema: t.jsonSchema?.input === undefined ? jsonSchemaOf(t.input) : structuredClone(t.jsonSchema.input),
      ...(t.jsonSchema?.output !== undefined ? { outputSchema: structuredClone(t.jsonSchema.output) } : t.output === undefined ? {} : { outputSchema: jsonSchemaOf(t.output) }),
    });
    described.set(t, info);
  }
  return info;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function jsonSchemaOf(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch {
    return {};
  }
}

/** A refusal decided inside the tool, as an event naming the tool (the door audits the refusal itself). */
function toldDenied(tool: string, e: AiosError, ctx: ToolContext): void {
  const resource = typeof e.details["resource"] === "string" ? e.details["resource"] : "?";
  const action = typeof e.details["action"] === "string" ? e.details["action"] : "?";
  ctx.events?.emit("tool.denied", { tool, resource, action, reason: e.message }, ctx.caller.agent, "warn");
}
