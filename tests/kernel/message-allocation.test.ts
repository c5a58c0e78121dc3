/**
 * The message path allocates nothing per message once it is warm (issue #18: a flat heap, and the
 * send-to-receive p99 that scavenges set). 1,000 agents forward 2,000 tokens to random peers with
 * `void ctx.send`, after the same receives ran async for a while: the case where a closure in the
 * run loop's per-message step made every receive allocate its captured variables (73 B/message);
 * before that the run loop's clock readings were boxed as heap numbers (64 B/message). Measured with
 * V8's sampling heap profiler, counting collected objects, over 300,000 messages, in a child process
 * (fixtures/message-allocation.ts says why). The bound, 8 B/message, is far below either defect and
 * far above the sampler's noise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureFigure } from "./helpers.js";

const measure = (...args: string[]): number => fixtureFigure("message-allocation.ts", "bytes/msg", args);

describe("the message path allocates nothing per message", () => {
  it("on the bare kernel", () => {
    expect(measure("bare")).toBeLessThan(8);
  }, 120_000);

  it("on the default stack (capability lease, policy, audit tallies)", () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-msg-alloc-"));
    try {
      expect(measure("stack", dir)).toBeLessThan(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
