/**
 * file.read / file.write / file.list / file.delete. Capabilities: `file:<abs path>#read` (read and
 * list), `#write`, `#delete`; grant a tree with `file:/data/**#read,write`. Every path goes through
 * fs-scope (lexical check in the dispatcher) and fd-path (a descriptor walk that yields the canonical
 * path and the open parent; the check is on that path and the operation goes through that parent).
 * FIFOs, sockets and devices are refused, never opened for a read that blocks forever.
 * Size limits: reads return at most `maxReadBytes` (with `truncated`), writes above `maxWriteBytes`
 * are refused before anything is opened, listings stop at `maxEntries`.
 */
import { constants } from "node:fs";
import { opendir, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { fdPath, fsError, lstatOrNull, openLeaf, walk, type Walked } from "./fd-path.js";
import { AbsolutePath, checkCanonical, fileResource, lexicalPath } from "./fs-scope.js";
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
      const w = await walk(lexical, true);
      const canonical = w.path;
      let fh;
      try {
        checkCanonical(ctx, lexical, canonical, "read");
        fh = await openLeaf(w, constants.O_RDONLY, "file");
      } finally {
        await w.close();
      }
      try {
        const st = await fh.stat();
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
      const w = await walkToName(lexical);
      const canonical = w.path;
      let fh;
      let existing;
      try {
        checkCanonical(ctx, lexical, canonical, "write");
        existing = await lstatOrNull(w.at);
        if (existing !== null && !existing.isFile()) {
          throw new AiosError("E_CAP_DENIED", `${canonical} is not a regular file (${existing.isSymbolicLink() ? "a symlink" : "a directory, FIFO or device"}); refused`, {
            details: { path: canonical },
          });
        }
        // O_EXCL for a new file: also refuses a symlink (even a dangling one) planted at the name.
        // No O_TRUNC on open: truncate only after the opened file has been verified.
        const flags = existing === null ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL : constants.O_WRONLY;
        fh = await openLeaf(w, flags, "file");
      } finally {
        await w.close();
      }
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
      const w = await walk(lexical, true);
      const canonical = w.path;
      let dirFh;
      try {
        checkCanonical(ctx, withSlash(lexical), withSlash(canonical), "list");
        dirFh = await openLeaf(w, constants.O_RDONLY | constants.O_DIRECTORY, "dir");
      } finally {
        await w.close();
      }
      const entries: { name: string; type: "file" | "dir" | "symlink" | "other" }[] = [];
      let truncated = false;
      try {
        // The open directory itself (its magic link), not its name: a swap cannot change what is read.
        const dir = await opendir(fdPath(dirFh.fd));
        for await (const d of dir) {
          if (entries.length >= maxEntries) {
            truncated = true;
            break;
          }
          entries.push({ name: d.name, type: d.isFile() ? "file" : d.isDirectory() ? "dir" : d.isSymbolicLink() ? "symlink" : "other" });
        }
      } catch (e) {
        throw fsError(e, canonical);
      } finally {
        await dirFh.close();
      }
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
      const w = await walkToName(lexical);
      const canonical = w.path;
      try {
        checkCanonical(ctx, lexical, canonical, "delete");
        const st = await lstatOrNull(w.at);
        if (st === null) return { path: canonical, deleted: false };
        // unlink/rmdir of the name inside the held parent: neither follows the name itself.
        if (st.isDirectory()) await rmdir(w.at);
        else await unlink(w.at);
      } catch (e) {
        throw e instanceof AiosError ? e : fsError(e, canonical);
      } finally {
        await w.close();
      }
      return { path: canonical, deleted: true };
    },
  });

  return [eraseTool(read), eraseTool(write), eraseTool(list), eraseTool(del)];
}

/** The walk for write and delete: the parent resolved, the final name left as it is. */
async function walkToName(lexical: string): Promise<Walked> {
  const w = await walk(lexical, false);
  if (w.leaf === ".") {
    await w.close();
    throw new AiosError("E_INVALID_ARG", `args.path: "${lexical}" does not name a file`, { details: { path: "args.path" } });
  }
  return w;
}

function withSlash(p: string): string {
  return p.endsWith("/") ? p : join(p, "/");
}
