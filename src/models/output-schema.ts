/**
 * Structured final answers: the spec's `output` JSON Schema compiled once with zod's fromJSONSchema,
 * and the answer text parsed (a ```json fence is tolerated) and validated. A failure returns the
 * reason in words the model can act on, for the bounded repair retries of the agent loop.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";

export type OutputCheck = { ok: true; value: unknown } | { ok: false; reason: string };

export function compileOutputSchema(schema: Record<string, unknown>, agent: string): (text: string) => OutputCheck {
  let zs: z.ZodType;
  try {
    zs = z.fromJSONSchema(schema);
  } catch (e) {
    throw new AiosError("E_INVALID_SPEC", `agent ${agent}: output: not a usable JSON Schema: ${(e as Error).message}`, { cause: e, details: { path: "output" } });
  }
  return (text) => {
    const parsed = parseJsonAnswer(text);
    if (!parsed.ok) return parsed;
    const r = zs.safeParse(parsed.value);
    if (r.success) return { ok: true, value: r.data };
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    return { ok: false, reason: `the answer does not match the schema: ${issues.join("; ")}` };
  };
}

/** A model's answer as JSON (a ```json fence is tolerated), or why it is not JSON. */
export function parseJsonAnswer(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  const body = /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1] ?? text;
  try {
    return { ok: true, value: JSON.parse(body.trim()) as unknown };
  } catch {
    return { ok: false, reason: "the answer is not valid JSON" };
  }
}
