/**
 * The LLM agent's state: the conversation and its running totals. It is plain data, so it is the
 * agent's checkpoint as is; restore() re-validates it with zod (a checkpoint is input from disk).
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { ChatMessageSchema, type ChatMessage } from "./types.js";

export interface LlmState {
  readonly messages: ChatMessage[];
  /** Model turns taken so far (all user turns together). */
  steps: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  /** Wall-clock start (ms) of the agent's work, for the wall-time budget. */
  startedAt: number;
  /** True when a goal is in the conversation and not yet answered. */
  pending: boolean;
  /** Fingerprint of the last tool call and how many times in a row it was made (loop breaker). */
  lastCall: string;
  repeats: number;
}

export const LlmStateSchema = z.strictObject({
  messages: z.array(ChatMessageSchema),
  steps: z.number().int().min(0),
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  cost: z.number().min(0),
  startedAt: z.number(),
  pending: z.boolean(),
  lastCall: z.string(),
  repeats: z.number().int().min(0),
});

/**
 * The checkpoint is the state itself, not a copy: the agent program never changes a state after
 * receive() returned it (each receive works on a fresh copy of the state and its message array, and
 * message objects are never modified once pushed), so the journal may keep and serialise it as is.
 */
export function snapshotState(s: LlmState): unknown {
  return s;
}

export function restoreState(data: unknown): LlmState {
  const r = LlmStateSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AiosError("E_CORRUPT", `llm agent checkpoint: ${i?.path.map(String).join(".") ?? ""}: ${i?.message ?? "invalid"}`, { details: { path: i?.path.map(String).join(".") ?? "" } });
  }
  return r.data;
}
