/**
 * The schema of one recorded model turn (text, tool calls, usage, or an error to replay). Its own
 * file because the replay provider parses turns with it and fast-checks.ts builds the same output
 * without zod on the hot path; the provider calls fast-checks, so the type cannot live there.
 */
import { z } from "zod";
import { ERROR_CODES } from "../core/index.js";

export const ReplayTurnSchema = z.strictObject({
  text: z.string().default(""),
  toolCalls: z.array(z.strictObject({ id: z.string().optional(), name: z.string().min(1), args: z.record(z.string(), z.unknown()).default({}) })).default([]),
  usage: z.strictObject({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0) }).optional(),
  error: z.strictObject({
    code: z.string().refine((c) => c in ERROR_CODES, "expected an error code of the taxonomy"),
    message: z.string(),
    retryAfterMs: z.number().min(0).optional(),
  }).optional(),
});
export type ReplayTurnInput = z.input<typeof ReplayTurnSchema>;
export type ReplayTurn = z.output<typeof ReplayTurnSchema>;
