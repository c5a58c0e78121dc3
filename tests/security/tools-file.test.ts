/**
 * file.* tools against a real directory tree: `..` traversal, symlink escapes (file and directory
 * symlinks, dangling links, a link swapped in at the final component), size limits and the happy
 * paths. Every refusal is an AiosError with a code; nothing outside the granted root changes.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { ToolRegistry, fileTools } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

let base: string;
let root: string;
let outside: string;
const reg = new ToolRegistry();
for (const t of fileTools({ maxReadBytes: 1024, maxWriteBytes: 64 })) reg.register(t);

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "aios-file-")));
  root = join(base, "root");
  outside = join(base, "outside");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, "a.txt"), "hello");
  writeFileSync(join(outside, "secret.txt"), "TOP SECRET");
  symlinkSync(join(outside, "secret.txt"), join(root, "link-out"));
  symlinkSync(outside, join(root, "dir-out"));
  symlinkSync(join(root, "a.txt"), join(root, "link-in"));
  symlinkSync(join(outside, "new.txt"), join(root, "dangling"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const grants = (): string[] => [`tool:file.*#call`, `file:${root}/**#read,write,delete`];

async function refused(name: string, args: unknown, code = "E_CAP_DENIED"): Promise<string> {
  try {
    await reg.execute(name, args, ctxFor(grants()));
  } catch (e) {
    expect(isAiosError(e)).toBe(true);
    if (isAiosError(e)) {
      expect(e.code).toBe(code);
      return e.message;
    }
  }
  throw new Error(`${name} ${JSON.stringify(args)} was not refused`);
}

describe("file tools: scope", () => {
  it("reads, writes, lists and deletes inside the root", async () => {
    const ctx = ctxFor(grants());
    await expect(reg.execute("file.read", { path: join(root, "a.txt") }, ctx)).resolves.toMatchObject({ content: "hello", truncated: false });
    await expect(reg.execute("file.write", { path: join(root, "sub", "b.txt"), content: "bee" }, ctx)).resolves.toMatchObject({ created: true, bytes: 3 });
    await expect(reg.execute("file.write", { path: join(root, "sub", "b.txt"), content: "!", append: true }, ctx)).resolves.toMatchObject({ created: false });
    expect(readFileSync(join(root, "sub", "b.txt"), "utf8")).toBe("bee!");
    const listing = (await reg.execute("file.list", { path: root }, ctx)) as { entries: { name: string; type: string }[] };
    expect(listing.entries.map((e) => e.name)).toContain("a.txt");
    expect(listing.entries.find((e) => e.name === "link-out")?.type).toBe("symlink");
    await expect(reg.execute("file.delete", { path: join(root, "sub", "b.txt") }, ctx)).resolves.toMatchObject({ deleted: true });
    expect(existsSync(join(root, "sub", "b.txt"))).toBe(false);
  });

  it("follows a symlink that stays inside the root", async () => {
    await expect(reg.execute("file.read", { path: join(root, "link-in") }, ctxFor(grants()))).resolves.toMatchObject({ content: "hello" });
  });

  it("refuses .. traversal out of the root", async () => {
    const msg = await refused("file.read", { path: `${root}/../outside/secret.txt` });
    expect(msg).toContain(join(outside, "secret.txt"));
    await refused("file.write", { path: `${root}/sub/../../outside/x.txt`, content: "x" });
    expect(existsSync(join(outside, "x.txt"))).toBe(false);
  });

  it("refuses a file symlink pointing outside", async () => {
    const msg = await refused("file.read", { path: join(root, "link-out") });
    expect(msg).toMatch(/through a symlink/);
    expect(msg).not.toContain("TOP SECRET");
  });

  it("refuses a directory symlink pointing outside, for read, write, list and delete", async () => {
    await refused("file.read", { path: join(root, "dir-out", "secret.txt") });
    await refused("file.write", { path: join(root, "dir-out", "planted.txt"), content: "x" });
    await refused("file.list", { path: join(root, "dir-out") });
    await refused("file.delete", { path: join(root, "dir-out", "secret.txt") });
    expect(existsSync(join(outside, "planted.txt"))).toBe(false);
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
  });

  it("refuses writing through a dangling symlink at the final component", async () => {
    await refused("file.write", { path: join(root, "dangling"), content: "x" });
    expect(existsSync(join(outside, "new.txt"))).toBe(false);
  });

  it("refuses writing through a symlink to an outside file without touching it", async () => {
    await refused("file.write", { path: join(root, "link-out"), content: "pwned" });
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
  });

  it("deleting a symlink removes the link, never its target", async () => {
    symlinkSync(join(outside, "secret.txt"), join(root, "to-delete"));
    await expect(reg.execute("file.delete", { path: join(root, "to-delete") }, ctxFor(grants()))).resolves.toMatchObject({ deleted: true });
    expect(existsSync(join(root, "to-delete"))).toBe(false);
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
  });

  it("refuses paths with no grant at all and relative paths", async () => {
    await refused("file.read", { path: "/etc/passwd" });
    await refused("file.read", { path: "a.txt" }, "E_INVALID_ARG");
    await refused("file.read", { path: `${root}/a.txt\u0000` }, "E_INVALID_ARG");
  });

  it("a read-only grant does not allow write or delete", async () => {
    const ctx = ctxFor(["tool:file.*#call", `file:${root}/**#read`]);
    await expect(reg.execute("file.write", { path: join(root, "a.txt"), content: "x" }, ctx)).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(reg.execute("file.delete", { path: join(root, "a.txt") }, ctx)).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(readFileSync(join(root, "a.txt"), "utf8")).toBe("hello");
  });

  it("enforces the read and write size limits", async () => {
    writeFileSync(join(root, "big.txt"), "x".repeat(5000));
    const r = (await reg.execute("file.read", { path: join(root, "big.txt") }, ctxFor(grants()))) as { bytes: number; truncated: boolean; size: number };
    expect(r).toMatchObject({ bytes: 1024, truncated: true, size: 5000 });
    const msg = await refused("file.write", { path: join(root, "w.txt"), content: "y".repeat(65) }, "E_INVALID_ARG");
    expect(msg).toMatch(/args.content/);
    expect(existsSync(join(root, "w.txt"))).toBe(false);
  });

  it("reports missing files as E_NOT_FOUND", async () => {
    await refused("file.read", { path: join(root, "nope.txt") }, "E_NOT_FOUND");
  });
});

describe("file tools: a symlink swapped in after the check", () => {
  // These drive fd-path's walk directly: the path was walked and checked, then the attacker swaps
  // something in before the open. The open goes through the held parent, never the name again.
  it("refuses when the final component became a symlink (O_NOFOLLOW on the held parent)", async () => {
    const { walk, openLeaf } = await import("../../src/tools/fd-path.js");
    const { constants, renameSync, unlinkSync } = await import("node:fs");
    const target = join(root, "swap.txt");
    writeFileSync(target, "checked");
    const w = await walk(target, true);
    symlinkSync(join(outside, "secret.txt"), join(root, "swap.tmp"));
    renameSync(join(root, "swap.tmp"), target);
    await expect(openLeaf(w, constants.O_RDONLY, "file")).rejects.toMatchObject({ code: "E_CAP_DENIED", message: expect.stringMatching(/became a symlink/) });
    await w.close();
    unlinkSync(target);
  });

  it("reads the checked directory's file when a parent directory became a symlink", async () => {
    const { walk, openLeaf } = await import("../../src/tools/fd-path.js");
    const { constants, renameSync } = await import("node:fs");
    mkdirSync(join(root, "swapdir"));
    writeFileSync(join(root, "swapdir", "secret.txt"), "inside");
    const checked = join(root, "swapdir", "secret.txt");
    const w = await walk(checked, true);
    expect(w.path).toBe(checked);
    renameSync(join(root, "swapdir"), join(root, "swapdir.old"));
    symlinkSync(outside, join(root, "swapdir"));
    const fh = await openLeaf(w, constants.O_RDONLY, "file");
    expect((await fh.readFile()).toString()).toBe("inside");
    await fh.close();
    await w.close();
  });

  it("refuses a FIFO at once instead of blocking on it", async () => {
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [join(root, "pipe")]);
    const msg = await refused("file.read", { path: join(root, "pipe") }, "E_INVALID_ARG");
    expect(msg).toMatch(/FIFO/);
    await refused("file.write", { path: join(root, "pipe"), content: "x" });
  });

  it("refuses a device even where reading it is granted", async () => {
    const ctx = ctxFor(["tool:file.*#call", "file:/dev/**#read"]);
    await expect(reg.execute("file.read", { path: "/dev/zero" }, ctx)).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/device/) });
  });
});
