/**
 * Declared JSON Schemas compiled into checks (zod's fromJSONSchema, as models/output-schema.ts does
 * for agent outputs). The executor checks every assembled input and every output against them — the
 * issue's type-safety property: no task receives an input its schema does not accept, and no output
 * that fails its task's schema reaches a consumer. Compiled checks are cached per schema object.
 */
import { z } from "zod";
import { AiosError } from "../../core/index.js";

export type JsonCheck = (value: unknown) => { ok: true } | { ok: false; reason: string };

const cache = new WeakMap<object, JsonCheck>();

/** Compiles a JSON Schema; an unusable one is E_INVALID_ARG naming `path`. */
export function compileJsonSchema(schema: Readonly<Record<string, unknown>>, path: string): JsonCheck {
  const hit = cache.get(schema);
  if (hit !== undefined) return hit;
  let zs: z.ZodType;
  try {
    zs = z.fromJSONSchema(schema);
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `${path}: not a usable JSON Schema: ${(e as Error).message}`, { cause: e, details: { path } });
  }
  const check: JsonCheck = (value) => {
    const r = zs.safeParse(value);
    if (r.success) return { ok: true };
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    return { ok: false, reason: issues.join("; ") };
  };
  cache.set(schema, check);
  return check;
}
