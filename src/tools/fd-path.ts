/**
 * Race-free path resolution for the file tools and the shell's bind mounts (issue 15 item 3; the
 * decision is docs/adr/0010-descriptor-walk-for-paths.md). Node has no openat(2), but on Linux
 * `/proc/self/fd/<fd>/<name>` looks `<name>` up in the directory the descriptor holds (the magic
 * link jumps to the open directory itself, it is never resolved by name again). So a path is walked
 * one component at a time from `/`, each directory opened with O_PATH | O_DIRECTORY | O_NOFOLLOW
 * relative to the one before: no component is ever followed implicitly. A symlink met on the way is
 * read and its target spliced into the remaining path (as realpath would), and the walk starts again
 * from `/`, so the path the walk ends on is canonical by construction and names exactly the objects
 * it holds open. Callers check that canonical path, then operate only through `Walked.at` (the leaf
 * in the held parent) or a descriptor opened from it: a component swapped for a symlink after the
 * check cannot redirect the operation, because nothing is looked up by name above the leaf again,
 * and the leaf itself is opened (or unlinked) without following.
 * Invariant: every descriptor opened here is closed by `Walked.close()` or before an error returns.
 */
import { constants, type Stats } from "node:fs";
import { lstat, open, readlink, type FileHandle } from "node:fs/promises";
import { resolve } from "node:path";
import { AiosError } from "../core/index.js";

/** Linux's O_PATH (the same value on x86-64 and arm64): a handle for walking, no read permission needed. */
export const O_PATH = 0o10000000;
const MAX_LINKS = 40; // Linux's own limit on symlinks followed in one lookup

export interface Walked {
  /** The canonical absolute path (no symlink, no `.` or `..`) of the leaf. */
  readonly path: string;
  /** The leaf's name inside `parent` ("." for `/`). */
  readonly leaf: string;
  /** `/proc/self/fd/<parent>/<leaf>`: the leaf looked up in the held parent, never by the full path. */
  readonly at: string;
  /** `/proc/self/fd/<parent>`: the held parent directory itself. */
  readonly parentAt: string;
  close(): Promise<void>;
}

export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/**
 * Walks `lexical` (absolute, normalised) to its parent directory, holding it open. With
 * `followLeaf`, a symlink at the leaf is followed (by walking again); without, the leaf is left as
 * it is (write, delete: a link there is the caller's to refuse or remove, never its target).
 */
export async function walk(lexical: string, followLeaf: boolean): Promise<Walked> {
  let target = lexical;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    const r = await walkOnce(target, followLeaf);
    if (typeof r !== "string") return r;
    target = r;
  }
  throw new AiosError("E_INVALID_ARG", `${lexical}: more than ${MAX_LINKS} symbolic links`, { details: { path: lexical } });
}

/** One walk from `/`: the walked leaf, or the path to walk next when a symlink was met. */
async function walkOnce(path: string, followLeaf: boolean): Promise<Walked | string> {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new AiosError("E_INVALID_ARG", `${path}: not normalised`, { details: { path } });
  let dir = await openDir("/", "/");
  let canonical = "";
  try {
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i] ?? "";
      const next = await openDirAt(dir, name, `${canonical}/${name}`);
      if (typeof next === "string") {
        return resolve(canonical === "" ? "/" : canonical, next, ...parts.slice(i + 1));
      }
      await dir.close();
      dir = next;
      canonical = `${canonical}/${name}`;
    }
    const leaf = parts.at(-1) ?? ".";
    if (followLeaf && leaf !== ".") {
      const st = await lstatOrNull(fdPath(dir.fd, leaf));
      if (st?.isSymbolicLink() === true) {
        const link = await readlink(fdPath(dir.fd, leaf));
        return resolve(canonical === "" ? "/" : canonical, link);
      }
    }
    const held = dir;
    return {
      path: leaf === "." ? "/" : `${canonical}/${leaf}`,
      leaf,
      at: fdPath(held.fd, leaf),
      parentAt: fdPath(held.fd),
      close: () => held.close(),
    };
  } catch (e) {
    await dir.close();
    throw e;
  }
}

async function openDir(path: string, shown: string): Promise<FileHandle> {
  try {
    return await open(path, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    throw fsError(e, shown);
  }
}

/** The directory `name` inside `dir`, or the symlink's target when `name` is a symlink. */
async function openDirAt(dir: FileHandle, name: string, shown: string): Promise<FileHandle | string> {
  const at = fdPath(dir.fd, name);
  try {
    return await open(at, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ELOOP" && code !== "ENOTDIR") throw fsError(e, shown);
    // A symlink (O_NOFOLLOW refused it) is followed by walking again; anything else is not a dir.
    try {
      return await readlink(at);
    } catch {
      throw fsError(e, shown);
    }
  }
}

export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * Opens the walked leaf without following it and refuses what is not `kind`: a symlink swapped in
 * after the walk (ELOOP), a FIFO, socket or device (never opened for reading forever: O_NONBLOCK
 * makes a FIFO open return at once, and the fstat refuses it before any read).
 */
export async function openLeaf(w: Walked, flags: number, kind: "file" | "dir" | "file-or-dir", mode = 0o644): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(w.at, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP") throw swapped(w.path);
    throw fsError(e, w.path);
  }
  try {
    const st = await fh.stat();
    const ok = kind === "file" ? st.isFile() : kind === "dir" ? st.isDirectory() : st.isFile() || st.isDirectory();
    if (!ok) {
      throw new AiosError("E_INVALID_ARG", `${w.path} is not a ${kind === "file-or-dir" ? "regular file or directory" : kind === "file" ? "regular file" : "directory"} (${describe(st)}); refused`, {
        details: { path: w.path },
      });
    }
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function swapped(path: string): AiosError {
  return new AiosError("E_CAP_DENIED", `${path} became a symlink after it was checked; refused`, { details: { path, resource: `file:${path}`, action: "open" } });
}

function describe(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSymbolicLink()) return "a symlink";
  if (st.isDirectory()) return "a directory";
  return "not a regular file";
}

export function fsError(e: unknown, path: string): AiosError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new AiosError("E_NOT_FOUND", `${path}: no such file or directory`, { cause: e, details: { path } });
  if (code === "EACCES" || code === "EPERM") return new AiosError("E_TOOL", `${path}: permission denied by the host`, { cause: e, details: { path } });
  if (code === "EISDIR") return new AiosError("E_INVALID_ARG", `${path}: is a directory`, { cause: e, details: { path } });
  if (code === "ENOTDIR") return new AiosError("E_INVALID_ARG", `${path}: a component is not a directory`, { cause: e, details: { path } });
  return new AiosError("E_TOOL", `${path}: ${(e as Error).message}`, { cause: e, details: { path } });
}
