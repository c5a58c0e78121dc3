/**
 * Path scoping for the file tools. A path is allowed only if the capability checker allows
 * `file:<canonical path>` for the action, where the canonical path has every symlink and `..`
 * resolved (realpath). Three layers, because each closes a different hole:
 *   1. the dispatcher checks the lexically normalised path (`/data/../etc` is `/etc`);
 *   2. the handler checks the realpath (a symlink inside a granted root pointing out is refused);
 *   3. the file is opened with O_NOFOLLOW and the opened fd's real path (/proc/self/fd) is checked
 *      again, so a symlink swapped in between the check and the open is refused too.
 * Directories (list) and unlink (delete) cannot be opened that way from Node; they re-resolve after
 * the operation (list) or resolve the parent immediately before it (delete) — a narrower window.
 */
import { constants, type Stats } from "node:fs";
import { lstat, open, readlink, realpath, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
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

/** realpath of an existing path, or E_NOT_FOUND. */
export async function canonicalExisting(lexical: string): Promise<string> {
  try {
    return await realpath(lexical);
  } catch (e) {
    throw fsError(e, lexical);
  }
}

/** realpath of the parent plus the final name, for a path that may not exist yet. */
export async function canonicalForCreate(lexical: string): Promise<string> {
  const name = basename(lexical);
  if (name === "" || name === "." || name === "..") {
    throw new AiosError("E_INVALID_ARG", `args.path: "${lexical}" does not name a file`, { details: { path: "args.path" } });
  }
  return join(await canonicalExisting(dirname(lexical)), name);
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

/**
 * Opens `canonical` with O_NOFOLLOW plus `flags` and verifies the opened file is the one that was
 * checked. Throws E_CAP_DENIED if a symlink was swapped in at any component.
 */
export async function openVerified(canonical: string, flags: number, mode = 0o644): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(canonical, flags | constants.O_NOFOLLOW, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP") {
      throw new AiosError("E_CAP_DENIED", `${canonical} became a symlink after it was checked; refused`, { details: { path: canonical, resource: fileResource(canonical), action: "open" } });
    }
    throw fsError(e, canonical);
  }
  try {
    const actual = await openedPath(fh, canonical);
    if (actual !== canonical) {
      throw new AiosError("E_CAP_DENIED", `${canonical} resolved to ${actual} when opened (a path component was swapped); refused`, {
        details: { path: canonical, actual, resource: fileResource(actual), action: "open" },
      });
    }
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** The real path of an open file: /proc/self/fd on Linux, else the canonical path if dev+ino agree. */
async function openedPath(fh: FileHandle, canonical: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    const [a, b] = await Promise.all([fh.stat(), stat(canonical)]);
    return a.dev === b.dev && a.ino === b.ino ? canonical : "<a different file>";
  }
}

export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw fsError(e, path);
  }
}

export function fsError(e: unknown, path: string): AiosError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new AiosError("E_NOT_FOUND", `${path}: no such file or directory`, { cause: e, details: { path } });
  if (code === "EACCES" || code === "EPERM") return new AiosError("E_TOOL", `${path}: permission denied by the host`, { cause: e, details: { path } });
  if (code === "EISDIR") return new AiosError("E_INVALID_ARG", `${path}: is a directory`, { cause: e, details: { path } });
  if (code === "ENOTDIR") return new AiosError("E_INVALID_ARG", `${path}: a component is not a directory`, { cause: e, details: { path } });
  return new AiosError("E_TOOL", `${path}: ${(e as Error).message}`, { cause: e, details: { path } });
}
