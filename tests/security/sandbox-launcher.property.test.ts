/**
 * The prepared launcher's argv hand-over, as a property against real dash (no bwrap needed): for
 * any argv without NUL — quotes, backslashes, newlines, `$(...)`, globs, empty words, any unicode —
 * the program the launcher execs receives exactly that argv, and nothing in it runs as shell.
 * Also: NUL is refused naming the field; the launcher exits 125 without running anything when the
 * control socket closes before a command comes.
 */
import { spawn } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { argvScript, LIMIT_SHELL, preparedLauncher } from "../../src/tools/sandbox-launcher.js";

const limits = { cpuSeconds: 5, processes: 1000, fileSizeBytes: 1 << 20, openFiles: 64 };

/** Runs the launcher with fd 3 as its control socket; `message` undefined closes it unsent. */
function launch(message: string | undefined): Promise<{ code: number | null; stdout: Buffer; ready: string }> {
  const [shell, ...rest] = preparedLauncher(limits, 3);
  const child = spawn(shell ?? LIMIT_SHELL, rest, { stdio: ["ignore", "pipe", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin" } });
  const out: Buffer[] = [];
  let ready = "";
  child.stdout?.on("data", (b: Buffer) => out.push(b));
  const control = child.stdio[3];
  return new Promise((resolve, reject) => {
    if (control === null || control === undefined || !("write" in control)) return reject(new Error("no control socket"));
    control.on("data", (b: Buffer) => {
      ready += b.toString();
      if (message === undefined) control.end();
      else control.end(message);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), ready }));
  });
}

const word = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\u0000"));
const nasty = fc.constantFrom("'", "''", "'\\''", "\\", "\n", "\n\n", "$(id)", "`id`", "$HOME", "*", "~", ";", "&&", "\"", "", " ", "\t", "-n", "--");

describe("prepared launcher argv hand-over", () => {
  it("delivers any NUL-free argv exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(word, nasty), { maxLength: 8 }), async (args) => {
        const r = await launch(argvScript("/usr/bin/printf", ["%s\\0", ...args]));
        expect(r.ready).toBe("R");
        expect(r.code).toBe(0);
        // printf applies its format once even with no arguments
        const expected = Buffer.concat((args.length === 0 ? [""] : args).map((a) => Buffer.from(`${a}\u0000`)));
        expect(r.stdout.equals(expected)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("exits 125 without running anything when the socket closes first", async () => {
    const r = await launch(undefined);
    expect(r.ready).toBe("R");
    expect(r.code).toBe(125);
    expect(r.stdout.length).toBe(0);
  });

  it("refuses NUL, naming the field", () => {
    expect(() => argvScript("cat", ["ok", "a\u0000b"])).toThrow(/args\.1 contains a NUL byte/);
    expect(() => argvScript("c\u0000at", [])).toThrow(/command contains a NUL byte/);
  });
});
