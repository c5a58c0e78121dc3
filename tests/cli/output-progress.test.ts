/**
 * Progress on anything over a second, on stderr only (issue #11 item 8): Output.progress with a
 * simulated clock (vitest's fake timers) — nothing for work under a second; one line on a pipe and
 * a spinner cleared afterwards on a TTY once it passes; stdout (and so --json output) untouched.
 */
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Output, PROGRESS_AFTER_MS } from "../../src/cli/output.js";

function sink(tty: boolean): Writable & { isTTY?: boolean; text: () => string } {
  let buf = "";
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      buf += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean; text: () => string };
  w.isTTY = tty;
  w.text = () => buf;
  return w;
}

const after = (ms: number, v: string): Promise<string> => new Promise((r) => setTimeout(() => r(v), ms));

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("Output.progress", () => {
  it("says nothing about work that ends within a second", async () => {
    const out = sink(false);
    const err = sink(true);
    const o = new Output({ json: false, verbose: false, out, err });
    const p = o.progress("booting", after(PROGRESS_AFTER_MS - 1, "ok"));
    await vi.advanceTimersByTimeAsync(PROGRESS_AFTER_MS);
    expect(await p).toBe("ok");
    expect(err.text()).toBe("");
    expect(out.text()).toBe("");
  });

  it("prints one line on stderr when it is not a terminal, with --json too, and nothing on stdout", async () => {
    const out = sink(false);
    const err = sink(false);
    const o = new Output({ json: true, verbose: false, out, err });
    const p = o.progress("booting the kernel", after(5_000, "ok"));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await p).toBe("ok");
    expect(err.text()).toBe("booting the kernel...\n");
    expect(out.text()).toBe("");
  });

  it("draws a spinner with the elapsed time on a terminal and clears it at the end", async () => {
    const out = sink(false);
    const err = sink(true);
    const o = new Output({ json: false, verbose: false, out, err });
    const p = o.progress("searching", after(2_500, "ok"));
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    expect(err.text()).toMatch(/^\r\S searching 1\.0s/);
    expect(err.text()).toContain("searching 2.4s");
    expect(err.text().endsWith("\r\x1b[2K")).toBe(true);
    expect(out.text()).toBe("");
  });
});
