/** Turning a zod schema into a syscall's argument parser: errors are E_INVALID_ARG naming the field. */
import type { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ArgParser } from "./syscalls.js";

/** Wraps a zod schema as an ArgParser that throws E_INVALID_ARG naming the field. */
export function zodArgs<T>(syscall: string, schema: z.ZodType<T>): ArgParser<T> {
  return (raw) => {
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const i = r.error.issues[0];
    const path = i?.path.map(String).join(".") || "(args)";
    throw new AiosError("E_INVALID_ARG", `${syscall}: ${path}: ${i?.message ?? "invalid"}`, { details: { syscall, path, issues: r.error.issues } });
  };
}
