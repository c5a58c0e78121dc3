/**
 * file.read / file.write / file.list / file.delete. Capabilities: `file:<abs path>#read` (read and
 * list), `#write`, `#delete`; grant a tree with `file:/data/**#read,write`. Every path goes through
 * fs-scope (lexical check in the dispatcher, realpath check and O_NOFOLLOW + fd re-check here).
 * Size limits: reads return at most `maxReadBytes` (with `truncated`), writes above `maxWriteBytes`
 * are refused before anything is opened, listings stop at `maxEntries`.
 */
import { constants } from "node:fs";
import { opendir, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import {
  AbsolutePath,
  canonicalExisting,
  canonicalForCreate,
  checkCanonical,
  fileResource,
  fsError,
  lexicalPath,
  lstatOrNull,
  openVerified,
} from "./fs-scope.js";
import { defineTool, eraseTool, type AnyTool } from "./tool.js";

export interface FileToolOptions {
  readonly maxReadBytes?: number;
  readonly maxWriteBytes?: number;
  readonly maxEntries?: number;
}

const PathArg = AbsolutePath;
const Encoding = z.enum(["utf8", "base64"]).default("utf8");

export function fileTools(options: FileToolOptions = {}): AnyTool[] {
  const maxRead = options.maxReadBytes ?? 1 << 20;
  const maxWrite = options.maxWriteBytes ?? 1 << 20;
  const maxEntries = options.maxEntries ?? 1000;

  const read = defineTool({
    name: "file.read",
    description: "Read a file inside the granted paths.",
    input: z.strictObject({ path: PathArg, encoding: Encoding, maxBytes: z.number().int().positive().max(maxRead).optional() }),
    output: z.object({ path: z.string(), content: z.string(), bytes: z.number(), size: z.number(), truncated: z.boolean() }),
    sideEffect: false,
    requires: (a) => [{ resource: fileResource(lexicalPath(a.path)), action: "read" }],
    async execute(a, ctx) {
      const lexical = lexicalPath(a.path);
      const canonical = await canonicalExisting(lexical);
      checkCanonical(ctx, lexical, canonical, "read");
      const fh = await openVerified(canonical, constants.O_RDONLY);
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new AiosError("E_INVALID_ARG", `args.path: ${canonical} is not a regular file`, { details: { path: "args.path" } });
        const limit = Math.min(a.maxBytes ?? maxRead, maxRead);
        const buf = Buffer.alloc(Math.min(limit, st.size));
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        const data = buf.subarray(0, bytesRead);
        return { path: canonical, content: data.toString(a.encoding), bytes: bytesRead, size: st.size, truncated: st.size > bytesRead };
      } finally {
        await fh.close();
      }
    },
  });

  const write = defineTool({
    name: "file.write",
    description: "Write (or append to) a file inside the granted paths.",
    input: z.strictObject({ path: PathArg, content: z.string(), encoding: Encoding, append: z.boolean().default(false) }),
    output: z.object({ path: z.string(), bytes: z.number(), created: z.boolean() }),
    sideEffect: true,
    requires: (a) => [{ resource: fileResource(lexicalPath(a.path)), action: "write" }],
    async execute(a, ctx) {
      const data = Buffer.from(a.content, a.encoding);
      if (data.length > maxWrite) {
        throw new AiosError("E_INVALID_ARG", `args.content: ${data.length} bytes exceeds the ${maxWrite}-byte write limit`, { details: { path: "args.content" } });
      }
      const lexical = lexicalPath(a.path);
      const canonical = await canonicalForCreate(lexical);
      checkCanonical(ctx, lexical, canonical, "write");
      const existing = await lstatOrNull(canonical);
      if (existing !== null && !existing.isFile()) {
        throw new AiosError("E_CAP_DENIED", `${canonical} is not a regular file (${existing.isSymbolicLink() ? "a symlink" : "a directory or device"}); refused`, {
          details: { path: canonical },
        });
      }
      // O_EXCL for a new file: also refuses a symlink (even a dangling one) planted at the name.
      // No O_TRUNC on open: truncate only after the opened file has been verified.
      const flags = existing === null ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL : constants.O_WRONLY;
      const fh = await openVerified(canonical, flags);
      try {
        if (a.append) {
          const st = await fh.stat();
          await fh.write(data, 0, data.length, st.size);
        } else {
          await fh.truncate(0);
          await fh.write(data, 0, data.length, 0);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      return { path: canonical, bytes: data.length, created: existing === null };
    },
  });

  const list = defineTool({
    name: "file.list",
    description: "List a directory inside the granted paths.",
    input: z.strictObject({ path: PathArg }),
    output: z.object({
      path: z.string(),
      entries: z.array(z.object({ name: z.string(), type: z.enum(["file", "dir", "symlink", "other"]) })),
      truncated: z.boolean(),
    }),
    sideEffect: false,
    // A directory is named with a trailing slash so `file:/data/**` grants listing /data itself.
    requires: (a) => [{ resource: fileResource(withSlash(lexicalPath(a.path))), action: "read" }],
    async execute(a, ctx) {
      const lexical = lexicalPath(a.path);
      const canonical = await canonicalExisting(lexical);
      checkCanonical(ctx, withSlash(lexical), withSlash(canonical), "list");
      const entries: { name: string; type: "file" | "dir" | "symlink" | "other" }[] = [];
      let truncated = false;
      try {
        const dir = await opendir(canonical);
        for await (const d of dir) {
          if (entries.length >= maxEntries) {
            truncated = true;
            break;
          }
          entries.push({ name: d.name, type: d.isFile() ? "file" : d.isDirectory() ? "dir" : d.isSymbolicLink() ? "symlink" : "other" });
        }
      } catch (e) {
        throw fsError(e, canonical);
      }
      // The directory itself may have been swapped for a symlink while we read it.
      const after = await canonicalExisting(canonical);
      if (after !== canonical) throw new AiosError("E_CAP_DENIED", `${canonical} changed to ${after} while listing; refused`, { details: { path: canonical, resource: fileResource(after), action: "read" } });
      entries.sort((x, y) => x.name.localeCompare(y.name));
      return { path: canonical, entries, truncated };
    },
  });

  const del = defineTool({
    name: "file.delete",
    description: "Delete a file (or an empty directory) inside the granted paths.",
    input: z.strictObject({ path: PathArg }),
    output: z.object({ path: z.string(), deleted: z.boolean() }),
    sideEffect: true,
    requires: (a) => [{ resource: fileResource(lexicalPath(a.path)), action: "delete" }],
    async execute(a, ctx) {
      const lexical = lexicalPath(a.path);
      // The final component is not followed: deleting a symlink removes the link, never its target.
      const canonical = await canonicalForCreate(lexical);
      checkCanonical(ctx, lexical, canonical, "delete");
      const st = await lstatOrNull(canonical);
      if (st === null) return { path: canonical, deleted: false };
      try {
        if (st.isDirectory()) await rmdir(canonical);
        else await unlink(canonical);
      } catch (e) {
        throw fsError(e, canonical);
      }
      return { path: canonical, deleted: true };
    },
  });

  return [eraseTool(read), eraseTool(write), eraseTool(list), eraseTool(del)];
}

function withSlash(p: string): string {
  return p.endsWith("/") ? p : join(p, "/");
}
