/**
 * Attacker's side of issue 15 item 3 (path races). A second process swaps `<workspace>/d` between a
 * real directory and a symlink to a directory outside the grant as fast as it can, while the file
 * tools and a sandboxed shell's bind mount work on paths under `<workspace>/d`. Every call may
 * succeed (it hit the directory) or be refused (it hit the symlink or a missing name); none may
 * touch the outside directory: no outside content read or listed, nothing created, changed or
 * deleted there, no outside directory mounted into a sandbox.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolRegistry, fileTools, shellTool, type SandboxResult } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const FILE_ROUNDS = 3000;
const SHELL_ROUNDS = 1000;
const SECRET = "OUTSIDE-SECRET";

let base: string;
let ws: string;
let outside: string;
let swapper: ChildProcess;

/** Renames a real directory and a symlink to `outside` in and out of `<ws>/d`, forever. */
const SWAPPER = `
const fs = require("node:fs");
const [ws] = process.argv.slice(1);
const d = ws + "/d", real = ws + "/d.real", link = ws + "/d.link";
for (;;) {
  try { fs.renameSync(real, d); fs.renameSync(d, real); } catch {}
  try { fs.renameSync(link, d); fs.renameSync(d, link); } catch {}
}`;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "aios-race-")));
  ws = join(base, "ws");
  outside = join(base, "outside");
  mkdirSync(join(ws, "d.real"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(ws, "d.real", "f"), "inside");
  writeFileSync(join(outside, "f"), SECRET);
  for (let i = 0; i < 50; i++) writeFileSync(join(outside, `victim${i}`), SECRET);
  symlinkSync(outside, join(ws, "d.link"));
  for (const p of [base, ws, join(ws, "d.real"), outside]) chmodSync(p, 0o777); // the sandbox's host uid is unprivileged
  chmodSync(join(outside, "f"), 0o644);
  swapper = spawn(process.execPath, ["-e", SWAPPER, ws], { stdio: "ignore" });
});

afterAll(() => {
  swapper.kill("SIGKILL");
  rmSync(base, { recursive: true, force: true });
});

const reg = new ToolRegistry();
for (const t of fileTools()) reg.register(t);
reg.register(shellTool({ prepare: false, limits: { processes: 16, cpuSeconds: 5, fileSizeBytes: 1 << 20, openFiles: 64 } }));

const caps = (): string[] => [
  "tool:file.*#call",
  "tool:shell.execute#call",
  "shell#exec{allow=[cat]}",
  `file:${ws}/**#read,write,delete`,
];

async function attempt(name: string, args: unknown): Promise<unknown> {
  try {
    return await reg.execute(name, args, ctxFor(caps()));
  } catch {
    return undefined; // a refusal (or a missing name mid-swap) is a defence holding
  }
}

function outsideIntact(): void {
  expect(readFileSync(join(outside, "f"), "utf8")).toBe(SECRET);
  expect(readdirSync(outside).sort()).toEqual(["f", ...Array.from({ length: 50 }, (_, i) => `victim${i}`)].sort());
}

describe("path races: a swapper flips <ws>/d between a directory and a symlink out", () => {
  it(`file.read never returns outside content (${FILE_ROUNDS} tries)`, async () => {
    let leaked = 0;
    let ok = 0;
    for (let i = 0; i < FILE_ROUNDS; i++) {
      const r = (await attempt("file.read", { path: join(ws, "d", "f") })) as { content: string } | undefined;
      if (r !== undefined) ok++;
      if (r?.content.includes(SECRET) === true) leaked++;
    }
    expect(leaked).toBe(0);
    expect(ok).toBeGreaterThan(0); // the race was real: some calls hit the directory
  }, 120_000);

  it(`file.write never creates or changes a file outside (${FILE_ROUNDS} tries)`, async () => {
    let ok = 0;
    for (let i = 0; i < FILE_ROUNDS; i++) {
      const path = join(ws, "d", i % 2 === 0 ? `new${i}` : "f");
      if ((await attempt("file.write", { path, content: "attacker" })) !== undefined) ok++;
    }
    outsideIntact();
    expect(ok).toBeGreaterThan(0);
  }, 120_000);

  it(`file.delete never removes a file outside (${FILE_ROUNDS} tries)`, async () => {
    for (let i = 0; i < FILE_ROUNDS; i++) await attempt("file.delete", { path: join(ws, "d", `victim${i % 50}`) });
    outsideIntact();
  }, 120_000);

  it(`file.list never lists the outside directory (${FILE_ROUNDS} tries)`, async () => {
    let leaked = 0;
    let ok = 0;
    for (let i = 0; i < FILE_ROUNDS; i++) {
      const r = (await attempt("file.list", { path: join(ws, "d") })) as { entries: { name: string }[] } | undefined;
      if (r !== undefined) ok++;
      if (r?.entries.some((e) => e.name.startsWith("victim")) === true) leaked++;
    }
    expect(leaked).toBe(0);
    expect(ok).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(!existsSync("/usr/bin/bwrap"))(`a shell bind mount never mounts the outside directory (${SHELL_ROUNDS} tries)`, async () => {
    let leaked = 0;
    let ok = 0;
    const dir = join(ws, "d");
    for (let i = 0; i < SHELL_ROUNDS; i++) {
      const r = (await attempt("shell.execute", { command: "cat", args: [join(dir, "f")], mounts: [{ path: dir }] })) as SandboxResult | undefined;
      if (r?.exitCode === 0) ok++;
      if (r?.stdout.includes(SECRET) === true) leaked++;
    }
    expect(leaked).toBe(0);
    expect(ok).toBeGreaterThan(0);
  }, 300_000);
});
