/**
 * An MCP server describes its tools' inputs in JSON Schema, not zod. The registry validates every
 * tool's input through a zod schema, so this wraps an Ajv-compiled validator in one: a call whose
 * arguments fail the server's schema is refused (E_INVALID_ARG naming `args.<field>`) before it
 * reaches the door's capability stage, let alone the server. Draft 2020-12 is MCP's default
 * dialect; a schema naming draft-07 is compiled by the draft-07 Ajv. A schema Ajv cannot compile
 * makes the tool unusable (E_TOOL at registration), never silently unvalidated.
 */
import { createRequire } from "node:module";
import type * as AjvModule from "ajv";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import type * as Ajv2020Module from "ajv/dist/2020.js";
import { z } from "zod";
import { AiosError } from "../../core/index.js";

// Ajv (CommonJS) is loaded and its two instances built on the first schema compiled: about 0.05
// CPU-s that a boot with no MCP server would otherwise pay (issue #17 item 6).
const require = createRequire(import.meta.url);
let draft07: Ajv | undefined;
let draft2020: Ajv | undefined;
const OPTIONS = { strict: false, allErrors: false, validateFormats: false };

function ajvFor(draft7: boolean): Ajv {
  if (draft7) return (draft07 ??= new (require("ajv") as typeof AjvModule).Ajv(OPTIONS));
  return (draft2020 ??= new (require("ajv/dist/2020.js") as typeof Ajv2020Module).Ajv2020(OPTIONS));
}

export function compileJsonSchema(schema: unknown, where: string): ValidateFunction {
  if (schema === null || typeof schema !== "object") {
    throw new AiosError("E_TOOL", `${where}: inputSchema is not an object`, { details: { path: where } });
  }
  const dialect = (schema as { $schema?: unknown }).$schema;
  const ajv = ajvFor(typeof dialect === "string" && dialect.includes("draft-07"));
  try {
    return ajv.compile(schema);
  } catch (e) {
    throw new AiosError("E_TOOL", `${where}: the server's JSON Schema does not compile: ${(e as Error).message}`, { cause: e, details: { path: where } });
  }
}

/** A zod schema that accepts exactly what the JSON Schema accepts; issues carry the JSON path. */
export function zodFromJsonSchema(schema: unknown, where: string): z.ZodType<Record<string, unknown>> {
  const validate = compileJsonSchema(schema, where);
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    if (validate(value)) return;
    for (const e of validate.errors ?? []) ctx.addIssue({ code: "custom", message: messageOf(e), path: pathOf(e) });
  });
}

function pathOf(e: ErrorObject): string[] {
  const parts = e.instancePath.split("/").slice(1).map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  const missing = (e.params as { missingProperty?: unknown }).missingProperty;
  if (e.keyword === "required" && typeof missing === "string") parts.push(missing);
  const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
  if (e.keyword === "additionalProperties" && typeof extra === "string") parts.push(extra);
  return parts;
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === "required") return "required";
  if (e.keyword === "additionalProperties") return "not allowed by the tool's schema";
  return e.message ?? e.keyword;
}
