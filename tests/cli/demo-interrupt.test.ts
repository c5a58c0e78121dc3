/**
 * `aios demo | head` ends quietly and Ctrl-C cleans up (issue #11 item 8): the real demo as a child
 * process on a TMPDIR of the test's own — its reader closes the pipe after the first line: exit 141,
 * nothing on stderr, its temporary data dir gone; SIGINT once it is running: exit 130, one line
 * saying what was cleaned, the data dir gone. And the cleanup mechanism with a real child process
 * (the stand-in for the demo's child kernel): SIGINT kills it and removes the dir.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "./helpers.js";

const base = mkdtempSync(join(tmpdir(), "aios-demo-int-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Starts node with `argv` and TMPDIR set; resolves each stdout line through `onLine` until it returns true. */
function start(argv: readonly string[], tmp: string) {
  const p = spawn(process.execPath, argv, { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
  const lines = createInterface({ input: p.stdout });
  return { p, exited, stderr: () => stderr, lines };
}

const gone = (pid: number): boolean => !existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^\d+ \(.*?\)/, ""));

describe("aios demo cut short", () => {
  it("ends quietly when its reader goes away (aios demo | head), and cleans up on Ctrl-C", async () => {
    // Both demos at once: each boots a whole kernel, and the file stays quick.
    const pipeTmp = join(base, "pipe");
    const intTmp = join(base, "sigint");
    mkdirSync(pipeTmp);
    mkdirSync(intTmp);
    const piped = start([...CLI, "demo"], pipeTmp);
    const interrupted = start([...CLI, "demo"], intTmp);
    await Promise.all([
      new Promise<void>((r) => piped.lines.once("line", () => r())).then(() => void piped.p.stdout.destroy()), // what `head -1` does after its line
      new Promise<void>((r) => interrupted.lines.on("line", (l) => void (l.includes("1. A supervision tree") && r()))).then(() => void interrupted.p.kill("SIGINT")),
    ]);
    expect(await piped.exited).toBe(141);
    expect(piped.stderr()).not.toMatch(/error|EPIPE|\n\s+at /);
    expect(readdirSync(pipeTmp).filter((f) => f.startsWith("aios-demo-"))).toEqual([]);
    expect(await interrupted.exited).toBe(130);
    expect(interrupted.stderr()).toMatch(/SIGINT: stopped; cleaned up temporary data dir .*aios-demo-/);
    expect(readdirSync(intTmp).filter((f) => f.startsWith("aios-demo-"))).toEqual([]);
  }, 30_000);

  it("kills a registered child process and removes a registered dir on SIGINT", async () => {
    const tmp = join(base, "mechanism");
    mkdirSync(tmp);
    const d = start(["--import", "tsx", "tests/cli/fixtures/interrupt-child.ts"], tmp);
    const ready = await new Promise<{ pid: number; dir: string }>((r) => d.lines.once("line", (l) => r(JSON.parse(l) as { pid: number; dir: string })));
    expect(existsSync(ready.dir)).toBe(true);
    expect(gone(ready.pid)).toBe(false);
    d.p.kill("SIGINT");
    expect(await d.exited).toBe(130);
    expect(d.stderr()).toContain(`cleaned up child kernel ${ready.pid}, temporary data dir ${ready.dir}`);
    expect(existsSync(ready.dir)).toBe(false);
    expect(gone(ready.pid)).toBe(true);
  }, 20_000);
});
