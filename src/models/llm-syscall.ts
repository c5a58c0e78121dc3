/**
 * The LlmInvoke syscall: an agent's one door to a model. It needs `llm:<model>#invoke` with the
 * estimated tokens as the amount (so a `tokens=` constraint can count), draws a slot from the
 * scheduler pool `inference:<model>` (preemptible: the local backend yields at a token boundary), and
 * for durable callers its answer is journaled (replay): a model call is not deterministic, so after a
 * crash the journaled answer is replayed instead of asking again.
 * The kernel's SyscallMap types LlmInvoke's args as {model?, messages, tools?}; the extra fields
 * (maxTokens, temperature, output) are parsed here and carried to the handler.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { SyscallArgs, SyscallDef } from "../abi/index.js";
import { ChatMessageSchema, ToolSchemaSchema, type ChatMessage, type ChatRequest, type ToolSchema } from "./types.js";
import type { ModelRouter, RouteCall, RoutedResult } from "./router.js";
import { estimateTokens, promptTokens } from "./tokens.js";
import { invokeFields, isChatMessage, isToolSchema, type InvokeFields } from "./fast-checks.js";

/**
 * Messages and tool schemas are validated once per object: after validation they are deep-frozen and
 * remembered, so an agent re-sending its (growing) conversation each turn pays only for new messages.
 * Freezing makes the cache sound — a validated object can no longer change under it.
 */
const validated = new WeakSet<object>();

/** Freezes a validated message along its known shape (its tool calls' args deeply). */
function freezeMessage(m: ChatMessage): ChatMessage {
  Object.freeze(m);
  if (m.role === "assistant" && m.toolCalls !== undefined) {
    const calls = m.toolCalls;
    Object.freeze(calls);
    // Indexed: for-of over a frozen array steps through an iterator object per element.
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i] as (typeof calls)[number];
      Object.freeze(c);
      deepFreeze(c.args);
    }
  }
  return m;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    const xs = Object.values(v);
    for (let i = 0; i < xs.length; i++) deepFreeze(xs[i]);
  }
  return v;
}

/**
 * What each array was when it was last validated (a copy of its elements). An agent re-sends the
 * same, growing conversation array every turn: the elements it still shares with that copy, by
 * identity, are validated and frozen already, so only the new tail is looked at — no per-message
 * WeakSet probe for the whole conversation on every call.
 */
const lastValidated = new WeakMap<readonly unknown[], readonly unknown[]>();

/**
 * Validates each element once; valid originals are frozen and remembered, then used as they are.
 * `accepts` is a hand-written check that answers true only for input the schema accepts (fast-checks.ts),
 * so only the unusual element pays for zod. Returns a copy of the array (the caller may grow its own).
 */
function validateEach<T>(items: readonly unknown[], schema: z.ZodType<T>, field: string, accepts?: (v: unknown) => v is T): T[] {
  const out = new Array<T>(items.length);
  const prev = lastValidated.get(items);
  let i = 0;
  if (prev !== undefined) {
    const n = Math.min(prev.length, items.length);
    for (; i < n && items[i] === prev[i]; i++) out[i] = items[i] as T;
  }
  for (; i < items.length; i++) out[i] = validateOne(items[i], i, schema, field, accepts);
  lastValidated.set(items, out);
  return out;
}

function validateOne<T>(item: unknown, i: number, schema: z.ZodType<T>, field: string, accepts?: (v: unknown) => v is T): T {
  if (typeof item === "object" && item !== null && validated.has(item)) return item as T;
  if (accepts?.(item) === true) {
    // The fast check passed, so a message has exactly its known shape: freeze along it.
    validated.add(accepts === isChatMessage ? freezeMessage(item as ChatMessage) : deepFreeze(item as object));
    return item;
  }
  const r = schema.safeParse(item);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = [field, String(i), ...(issue?.path.map(String) ?? [])].join(".");
    throw new AiosError("E_INVALID_ARG", `LlmInvoke: ${path}: ${issue?.message ?? "invalid"}`, { details: { path } });
  }
  // A strict schema passed, so the original holds exactly the validated data; freeze and keep it.
  validated.add(deepFreeze(item as object));
  return item as T;
}

/** The authority on LlmInvoke's arguments (exported for the fast path's equivalence test). */
export const ArgsSchema = z.strictObject({
  model: z.string().min(1).optional(),
  messages: z.array(z.unknown()).min(1),
  tools: z.array(z.unknown()).optional(),
  maxTokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  output: z.strictObject({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()) }).optional(),
});

/** What an agent passes to LlmInvoke (the kernel's type plus this module's options). */
export interface LlmInvokeArgs {
  readonly model?: string;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolSchema[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly output?: { readonly name?: string; readonly schema: Record<string, unknown> };
}

export type LlmInvokeResult = RoutedResult;

interface Parsed {
  readonly model: string;
  readonly full: Omit<z.output<typeof ArgsSchema>, "messages" | "tools"> & { readonly messages: ChatMessage[]; readonly tools?: ToolSchema[] };
  readonly estimate: number;
}

/**
 * The arguments the dispatcher sees after parse(): every parsed field (so a stage that copies them —
 * the security plugin's secret substitution — keeps maxTokens, temperature and output), with the
 * whole parse riding along in a private field (invisible to policy, audit and the journal), so
 * requires(), pool() and the handler read it without a second parse or a per-call WeakMap entry.
 */
class ParsedArgs {
  readonly model: string;
  readonly messages: ChatMessage[];
  // `declare`: an absent field stays absent (no own property set to undefined first).
  declare readonly tools?: ToolSchema[];
  declare readonly maxTokens?: number;
  declare readonly temperature?: number;
  declare readonly output?: Parsed["full"]["output"];
  readonly #parsed: Parsed;
  constructor(p: Parsed) {
    const f = p.full;
    this.model = p.model;
    this.messages = f.messages;
    const self = this as { -readonly [K in keyof ParsedArgs]: ParsedArgs[K] };
    if (f.tools !== undefined) self.tools = f.tools;
    if (f.maxTokens !== undefined) self.maxTokens = f.maxTokens;
    if (f.temperature !== undefined) self.temperature = f.temperature;
    if (f.output !== undefined) self.output = f.output;
    this.#parsed = p;
  }
  static of(args: unknown): Parsed | undefined {
    return args instanceof ParsedArgs ? args.#parsed : undefined;
  }
}

export function llmInvokeSyscall(router: ModelRouter, defaultModel: string | undefined): SyscallDef<"LlmInvoke"> {
  const parse = (raw: unknown): Parsed => {
    // The common shape is checked by hand (fast-checks.ts); zod decides, and words the error, otherwise.
    let data: z.output<typeof ArgsSchema> | InvokeFields | undefined = invokeFields(raw);
    if (data === undefined) {
      const r = ArgsSchema.safeParse(raw);
      if (!r.success) {
        const i = r.error.issues[0];
        const path = i?.path.map(String).join(".") ?? "";
        throw new AiosError("E_INVALID_ARG", `LlmInvoke: ${path || "(args)"}: ${i?.message ?? "invalid"}`, { details: { path } });
      }
      data = r.data;
    }
    const messages = validateEach<ChatMessage>(data.messages, ChatMessageSchema, "messages", isChatMessage);
    const tools = data.tools === undefined ? undefined : validateEach<ToolSchema>(data.tools, ToolSchemaSchema, "tools", isToolSchema);
    const model = data.model ?? defaultModel;
    if (model === undefined) throw new AiosError("E_INVALID_ARG", "LlmInvoke: model: no model named and no default model configured", { details: { path: "model" } });
    if (!router.has(model)) throw new AiosError("E_INVALID_ARG", `LlmInvoke: model: "${model}" is not a configured model`, { details: { path: "model", model } });
    // Counted on the caller's own arrays (now validated and frozen): the same arrays the agent's window
    // check counted, so the token caches (tokens.ts) are shared and only new messages count.
    const estimate = promptTokens(data.messages as readonly ChatMessage[], data.tools as readonly ToolSchema[] | undefined, estimateTokens) + (data.maxTokens ?? 0);
    // Built field by field: object rest/spread takes a slow generic path on this per-call object.
    const full: { -readonly [K in keyof Parsed["full"]]: Parsed["full"][K] } = { messages };
    if (tools !== undefined) full.tools = tools;
    if (data.maxTokens !== undefined) full.maxTokens = data.maxTokens;
    if (data.temperature !== undefined) full.temperature = data.temperature;
    if ("output" in data && data.output !== undefined) full.output = data.output;
    if (data.model !== undefined) full.model = data.model;
    return { model, full, estimate };
  };
  // A stage that replaced the arguments (e.g. an effects.prepare) hands over a plain object: parse it.
  const lookup = (args: SyscallArgs<"LlmInvoke">): Parsed => ParsedArgs.of(args) ?? parse(args);
  return {
    name: "LlmInvoke",
    // A model call changes nothing outside the kernel, but its answer is not deterministic: durable
    // callers journal it (without waiting for the disk) so a replay after a crash sees the same answer.
    sideEffect: false,
    replay: true,
    // The local backend can give its slot up at a token boundary for a higher-priority request.
    preemptible: true,
    parse(raw) {
      return new ParsedArgs(parse(raw));
    },
    requires: (args) => {
      const p = lookup(args);
      return [{ resource: `llm:${p.model}`, action: "invoke", amount: p.estimate }];
    },
    pool: (args) => `inference:${lookup(args).model}`,
    // The router builds each answer for its call (ADR 0075: journaled as it is for the LLM agent).
    freshResult: true,
    // Settled by the door onto the caller's budgets, the quotas and the scheduler's fair share.
    usage: (r) => {
      const x = r as LlmInvokeResult;
      return { tokens: x.usage.promptTokens + x.usage.completionTokens, credits: x.cost };
    },
    // Not async: router.chat's promise is the call's (a throw here is the door's rejection too).
    handler: (args, call) => {
      const p = lookup(args);
      const f = p.full;
      // Built field by field: optional spreads in a literal take a slow generic path on every call.
      const route: { -readonly [K in keyof RouteCall]: RouteCall[K] } = { agent: call.caller.agent, tenant: call.caller.tenant, model: p.model, cancel: call };
      const preemption = call.slot?.preemption;
      if (preemption !== undefined) route.preemption = preemption;
      if (call.trace !== undefined) route.trace = call.trace;
      if (f.maxTokens !== undefined) route.maxTokens = f.maxTokens;
      if (f.temperature !== undefined) route.temperature = f.temperature;
      const req: { -readonly [K in keyof ChatRequest]: ChatRequest[K] } = { messages: f.messages };
      if (f.tools !== undefined) req.tools = f.tools;
      if (f.output !== undefined) req.output = f.output.name === undefined ? { schema: f.output.schema } : { schema: f.output.schema, name: f.output.name };
      return router.chat(route, req);
    },
  };
}
