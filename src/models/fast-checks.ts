/**
 * Hand-written fast paths in front of the zod schemas the agent step runs through on every call
 * (LlmInvoke arguments, new conversation messages, a scripted replay turn). zod stays the authority:
 * each check here answers `true` only for input the schema is certain to accept (plain objects with
 * exactly the schema's keys and value types), and anything unusual — a class instance, a symbol or
 * `__proto__` key, an out-of-range number, a field this file does not model — answers `false`, so the
 * caller runs zod, which accepts it or produces the error that names the field.
 * Invariant (fast-check property in tests/models/fast-checks.test.ts): check(x) => schema accepts x,
 * and where a check also builds the output, that output deep-equals the schema's.
 */
import type { ReplayTurn } from "./replay-turn.js";
import type { ChatMessage, ToolSchema } from "./types.js";

/** An object with Object.prototype or a null prototype (no class instance, no array). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A plain object a `z.record(z.string(), ...)` accepts as is: no symbol keys, no own `__proto__`. */
export function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && !Object.hasOwn(v, "__proto__") && Object.getOwnPropertySymbols(v).length === 0;
}

/**
 * Every enumerable key of `o` is one of `allowed` (strict objects reject the rest). for-in also
 * visits inherited enumerable keys, which only makes the answer more conservative.
 */
function keysWithin(o: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const k in o) if (!allowed.includes(k)) return false;
  return true;
}

function nonEmpty(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

const TOOL_CALL_KEYS = ["id", "name", "args"];
const ASSISTANT_KEYS = ["role", "content", "toolCalls"];
const TEXT_KEYS = ["role", "content"];
const TOOL_KEYS = ["role", "toolCallId", "name", "content"];

/** True only when ChatMessageSchema certainly accepts `m`. */
export function isChatMessage(m: unknown): m is ChatMessage {
  if (!isPlainObject(m) || typeof m["content"] !== "string") return false;
  switch (m["role"]) {
    case "system":
    case "user":
      return keysWithin(m, TEXT_KEYS);
    case "tool":
      return keysWithin(m, TOOL_KEYS) && nonEmpty(m["toolCallId"]) && nonEmpty(m["name"]);
    case "assistant": {
      if (!keysWithin(m, ASSISTANT_KEYS)) return false;
      const calls = m["toolCalls"];
      if (calls === undefined) return true;
      if (!Array.isArray(calls)) return false;
      for (const c of calls as unknown[]) {
        if (!isPlainObject(c) || !keysWithin(c, TOOL_CALL_KEYS) || !nonEmpty(c["id"]) || !nonEmpty(c["name"]) || !isPlainRecord(c["args"])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const TOOL_SCHEMA_KEYS = ["name", "description", "parameters"];
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** True only when ToolSchemaSchema certainly accepts `t`. */
export function isToolSchema(t: unknown): t is ToolSchema {
  if (!isPlainObject(t) || !keysWithin(t, TOOL_SCHEMA_KEYS)) return false;
  const { name, description } = t;
  return typeof name === "string" && TOOL_NAME.test(name) && (description === undefined || typeof description === "string") && isPlainRecord(t["parameters"]);
}

const INVOKE_KEYS = ["model", "messages", "tools", "maxTokens", "temperature"];

/** The fields of LlmInvoke's arguments, in the shape ArgsSchema gives them (`output` left to zod). */
export interface InvokeFields {
  readonly model?: string;
  readonly messages: readonly unknown[];
  readonly tools?: readonly unknown[];
  readonly maxTokens?: number;
  readonly temperature?: number;
}

/** LlmInvoke's argument object when ArgsSchema certainly accepts it, else undefined (ask zod). */
export function invokeFields(raw: unknown): InvokeFields | undefined {
  if (!isPlainObject(raw) || !keysWithin(raw, INVOKE_KEYS)) return undefined;
  const { model, messages, tools, maxTokens, temperature } = raw;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  if (model !== undefined && !nonEmpty(model)) return undefined;
  if (tools !== undefined && !Array.isArray(tools)) return undefined;
  if (maxTokens !== undefined && !(Number.isSafeInteger(maxTokens) && (maxTokens as number) >= 1)) return undefined;
  if (temperature !== undefined && !(typeof temperature === "number" && temperature >= 0 && temperature <= 2)) return undefined;
  // Field by field, not by conditional spreads: this runs on every model call.
  const out: { -readonly [K in keyof InvokeFields]: InvokeFields[K] } = { messages: messages as unknown[] };
  if (model !== undefined) out.model = model;
  if (tools !== undefined) out.tools = tools as unknown[];
  if (maxTokens !== undefined) out.maxTokens = maxTokens as number;
  if (temperature !== undefined) out.temperature = temperature;
  return out;
}

const TURN_KEYS = ["text", "toolCalls", "usage", "error"];
const USAGE_KEYS = ["promptTokens", "completionTokens"];

function count(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** A replay turn as ReplayTurnSchema would output it, when it certainly accepts `t` (errors go to zod). */
export function replayTurn(t: unknown): ReplayTurn | undefined {
  if (!isPlainObject(t) || !keysWithin(t, TURN_KEYS) || t["error"] !== undefined) return undefined;
  const { text, toolCalls, usage } = t;
  if (text !== undefined && typeof text !== "string") return undefined;
  if (usage !== undefined && !(isPlainObject(usage) && keysWithin(usage, USAGE_KEYS) && count(usage["promptTokens"]) && count(usage["completionTokens"]))) return undefined;
  const calls: ReplayTurn["toolCalls"] = [];
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) return undefined;
    for (const c of toolCalls as unknown[]) {
      if (!isPlainObject(c) || !keysWithin(c, TOOL_CALL_KEYS) || !nonEmpty(c["name"])) return undefined;
      const { id, args } = c;
      if (id !== undefined && typeof id !== "string") return undefined;
      if (args !== undefined && !isPlainRecord(args)) return undefined;
      // zod's record builds a fresh object; so does this path (the caller keeps its own).
      calls.push({ ...(id === undefined ? {} : { id }), name: c["name"], args: args === undefined ? {} : { ...args } });
    }
  }
  return {
    text: text ?? "",
    toolCalls: calls,
    ...(usage === undefined ? {} : { usage: { promptTokens: usage["promptTokens"] as number, completionTokens: usage["completionTokens"] as number } }),
  };
}
