/**
 * The ModelProvider contract (DESIGN "Drivers"): one small interface every backend implements —
 * OpenAI-compatible HTTP, Anthropic Messages, local GGUF, replay. Messages, tools and results are
 * provider-neutral plain data (serialisable: they are journaled and snapshotted). Invariants: a
 * provider never returns a tool call whose name is not among the request's tools nor one whose
 * arguments are not a JSON object — it throws E_MODEL_OUTPUT instead; every failure is an AiosError.
 * The router holds every provider (a user's included) to the arguments' part of it, and to a depth
 * (wire.ts, MAX_TOOL_ARGS_DEPTH).
 */
import { z } from "zod";
import type { TraceSpan } from "../abi/index.js";

export interface ToolCallRequest {
  readonly id: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
}

export type ChatMessage =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string }
  | { readonly role: "assistant"; readonly content: string; readonly toolCalls?: readonly ToolCallRequest[] | undefined }
  | { readonly role: "tool"; readonly toolCallId: string; readonly name: string; readonly content: string };

export const ToolCallSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
});

export const ChatMessageSchema = z.discriminatedUnion("role", [
  z.strictObject({ role: z.literal("system"), content: z.string() }),
  z.strictObject({ role: z.literal("user"), content: z.string() }),
  z.strictObject({ role: z.literal("assistant"), content: z.string(), toolCalls: z.array(ToolCallSchema).optional() }),
  z.strictObject({ role: z.literal("tool"), toolCallId: z.string().min(1), name: z.string().min(1), content: z.string() }),
]);

/** A tool offered to the model: its parameters are a JSON Schema object. */
export interface ToolSchema {
  readonly name: string;
  readonly description?: string | undefined;
  readonly parameters: Record<string, unknown>;
}

export const ToolSchemaSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "expected 1-64 letters, digits, '_', '.', '-'"),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()),
});

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolSchema[];
  /** Structured output: the final answer must be JSON matching this JSON Schema. */
  readonly output?: { readonly name?: string; readonly schema: Record<string, unknown> };
}

export interface ChatOptions {
  readonly signal?: AbortSignal;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** A stable key (usually the agent id) so stateful providers reuse per-conversation state (KV cache). */
  readonly session?: string;
  /**
   * Preemption at token boundaries (sched's PreemptionToken + lease.yield fit): a provider that
   * supports it checks `requested` after each token and awaits `yield()` — giving its slot away —
   * before continuing; the local provider keeps the sequence's KV cache meanwhile, so it resumes
   * without re-evaluating anything.
   */
  readonly preemption?: { readonly requested: boolean; yield(): Promise<void> };
  /** The span of the LlmInvoke this request is made for (tracing on): an HTTP provider sends its traceparent. */
  readonly trace?: TraceSpan;
}

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export type FinishReason = "stop" | "tool_calls" | "length" | "content_filter";

export interface ChatResult {
  readonly text: string;
  readonly toolCalls: readonly ToolCallRequest[];
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  /** The backend model that answered (as the server names it). */
  readonly model: string;
}

export type ChatDelta =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "tool_call"; readonly index: number; readonly id?: string; readonly name?: string; readonly argsDelta: string }
  | { readonly type: "done"; readonly result: ChatResult };

export interface ModelProvider {
  /** The config entry name (used in errors and accounting). */
  readonly name: string;
  chat(req: ChatRequest, opts?: ChatOptions): Promise<ChatResult>;
  /** Streams deltas; the last item is always `done` with the same result chat() would give. */
  stream(req: ChatRequest, opts?: ChatOptions): AsyncIterable<ChatDelta>;
  /** Exact token count with the model's own tokenizer, when the provider has one locally. */
  countTokens?(text: string): number;
  /** Maximum context tokens, when known. */
  readonly contextSize?: number;
  /** Releases sessions kept for `session` (agent ended). */
  release?(session: string): void;
  close?(): Promise<void>;
}
