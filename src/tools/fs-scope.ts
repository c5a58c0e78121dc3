/**
 * Path scoping for the file tools and the shell's mounts. A path is allowed only if the capability
 * checker allows `file:<canonical path>` for the action. Two checks, because each closes a different
 * hole:
 *   1. the dispatcher checks the lexically normalised path (`/data/../etc` is `/etc`);
 *   2. the handler walks the path descriptor by descriptor (fd-path.ts), which yields the canonical
 *      path (every symlink resolved) together with the open parent directory, checks that path, and
 *      then operates only through the held descriptor: what was checked is what is used.
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ToolContext } from "./tool.js";

export type FileAction = "read" | "write" | "delete";

/**
 * An absolute path without NUL bytes, as a schema: tool inputs are refused at parse time (before the
 * dispatcher computes the capability requests) rather than while computing them.
 */
export const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes("\u0000"), "contains a NUL byte")
  .refine((p) => isAbsolute(p), "must be an absolute path");

/** The lexical, normalised absolute path; rejects relative paths and NUL bytes. */
export function lexicalPath(raw: string, field = "args.path"): string {
  if (raw.includes("\u0000")) throw new AiosError("E_INVALID_ARG", `${field}: contains a NUL byte`, { details: { path: field } });
  if (!isAbsolute(raw)) throw new AiosError("E_INVALID_ARG", `${field}: "${raw}" must be an absolute path`, { details: { path: field } });
  return resolve(raw);
}

export function fileResource(path: string): string {
  return `file:${path}`;
}

/** Checks the canonical path, saying so when a symlink is what moved it out of scope. */
export function checkCanonical(ctx: ToolContext, lexical: string, canonical: string, action: FileAction | "list"): void {
  const capAction = action === "list" ? "read" : action;
  try {
    // amount 0 when it is the very resource the dispatcher checked (and charged) already.
    ctx.check({ resource: fileResource(canonical), action: capAction, ...(canonical === lexical ? { amount: 0 } : {}) });
  } catch (e) {
    if (canonical !== lexical && e instanceof AiosError) {
      throw new AiosError("E_CAP_DENIED", `${lexical} resolves to ${canonical} (through a symlink), which is outside the granted paths`, {
        details: { ...e.details, requested: lexical, canonical },
      });
    }
    throw e;
  }
}

