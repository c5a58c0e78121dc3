/**
 * Turning zod failures into AiosErrors that name the field: `args.path: expected string`. Tool input
 * is untrusted (it comes from agents and models), so every failure is E_INVALID_ARG with the issue
 * list in details; output that fails its schema is the tool's fault, so that is E_TOOL.
 */
import type { z } from "zod";
import { AiosError, type ErrorCode } from "../core/index.js";

export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, where: string, code: ErrorCode = "E_INVALID_ARG"): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const first = issues[0];
  const summary = first === undefined ? `${where}: invalid` : `${first.path}: ${first.message}`;
  throw new AiosError(code, summary + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""), {
    details: { path: first?.path ?? where, issues },
  });
}
