/**
 * The payload schema registry: schema ids (e.g. "order.v1") mapped to zod schemas. A message naming
 * a schema is validated against it when sent and again when received (a transport or a replay may
 * carry anything). Pipelines compare stage contracts by these ids. Invariant: an id, once
 * registered, keeps its schema (re-registering the same object is a no-op; a different one is an
 * error), so a contract checked at composition time still holds at run time.
 */
import type { z } from "zod";
import { AiosError } from "../core/index.js";

export class SchemaRegistry {
  private readonly schemas = new Map<string, z.ZodType>();

  register(id: string, schema: z.ZodType): void {
    if (id === "" || id.length > 256) throw new AiosError("E_INVALID_ARG", "schema id: expected 1-256 characters", { details: { path: "schema" } });
    const prior = this.schemas.get(id);
    if (prior !== undefined && prior !== schema) {
      throw new AiosError("E_CONFLICT", `payload schema "${id}" is already registered with a different schema`, { retryable: false, details: { schema: id } });
    }
    this.schemas.set(id, schema);
  }

  has(id: string): boolean {
    return this.schemas.has(id);
  }

  ids(): string[] {
    return [...this.schemas.keys()].sort();
  }

  /** Validates a payload against schema `id`; returns the parsed payload. `where` is "send" or "receive". */
  validate(id: string, payload: unknown, where: string): unknown {
    const s = this.schemas.get(id);
    if (s === undefined) {
      throw new AiosError("E_INVALID_ARG", `schema: "${id}" is not a registered payload schema`, { details: { path: "schema", schema: id } });
    }
    const r = s.safeParse(payload);
    if (r.success) return r.data;
    const i = r.error.issues[0];
    const path = ["payload", ...(i?.path.map(String) ?? [])].join(".");
    throw new AiosError("E_INVALID_ARG", `${path}: ${i?.message ?? "invalid"} (schema "${id}", on ${where})`, {
      details: { path, schema: id, where, issues: r.error.issues },
    });
  }
}
