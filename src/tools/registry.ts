/**
 * The tool registry: register / get / list / execute. Names are unique; re-registering a name is an
 * error unless `replace` is asked for, so a plugin cannot silently shadow a builtin. `execute` is the
 * full path for callers outside the dispatcher (validate -> check every capability -> run -> validate
 * output); the ToolCall syscall uses `parse` and `run` because the dispatcher does the checking.
 */
import { z } from "zod";
import { AiosError, toAiosError } from "../core/index.js";
import type { Caller, CapabilityRequest } from "./kernel-seam.js";
import { eraseTool, isValidToolName, type AnyTool, type Tool, type ToolContext } from "./tool.js";
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

  register<I, O>(tool: Tool<I, O>, options: { replace?: boolean } = {}): void {
    if (!isValidToolName(tool.name)) {
      throw new AiosError("E_INVALID_ARG", `tool.name: "${tool.name}" is not a valid tool name (lowercase dotted words)`, {
        details: { path: "tool.name" },
      });
    }
    if (this.tools.has(tool.name) && options.replace !== true) {
      throw new AiosError("E_CONFLICT", `tool ${tool.name} is already registered`, { retryable: false, details: { tool: tool.name } });
    }
    this.tools.set(tool.name, eraseTool(tool));
  }

  unregister(name: string): boolean {
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

  list(): ToolInfo[] {
    return [...this.tools.values()].map(describeTool).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Looks the tool up and validates its input (E_NO_TOOL, E_INVALID_ARG naming `args.<field>`). */
  parse(name: string, rawArgs: unknown): ParsedToolCall {
    const tool = this.get(name);
    return { tool, args: parseWith(tool.input, rawArgs, "args") };
  }

  /** Every capability the call needs: `tool:<name>#call` first, then the tool's own. */
  requirements(call: ParsedToolCall, caller: Caller): CapabilityRequest[] {
    return [{ resource: `tool:${call.tool.name}`, action: "call" }, ...call.tool.requires(call.args, caller)];
  }

  /** Runs an already parsed and checked call; validates the output against the tool's schema. */
  async run(call: ParsedToolCall, ctx: ToolContext): Promise<unknown> {
    if (ctx.signal.aborted) throw new AiosError("E_CANCELLED", `tool ${call.tool.name} cancelled before it started`);
    let out: unknown;
    try {
      out = await call.tool.execute(call.args, ctx);
    } catch (e) {
      throw toAiosError(e, "E_TOOL");
    }
    return call.tool.output === undefined ? out : parseWith(call.tool.output, out, `${call.tool.name}.output`, "E_TOOL");
  }

  /** Validate, check every capability through ctx.check, run, validate output. */
  async execute(name: string, rawArgs: unknown, ctx: ToolContext): Promise<unknown> {
    const call = this.parse(name, rawArgs);
    for (const req of this.requirements(call, ctx.caller)) ctx.check(req);
    return this.run(call, ctx);
  }
}

export function describeTool(t: AnyTool): ToolInfo {
  return {
    name: t.name,
    description: t.description,
    sideEffect: t.sideEffect,
    inputSchema: t.jsonSchema?.input ?? jsonSchemaOf(t.input),
    ...(t.jsonSchema?.output !== undefined ? { outputSchema: t.jsonSchema.output } : t.output === undefined ? {} : { outputSchema: jsonSchemaOf(t.output) }),
  };
}

function jsonSchemaOf(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch {
    return {};
  }
}
