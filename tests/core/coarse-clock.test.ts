/**
 * The hog-detection clock (ADR 0004, amended for issue #17 item 6): it reads performance.now() until
 * it has been read `startAfter` times, then starts its worker thread and reads shared memory once the
 * worker ticks; closing it (or the worker ending) returns it to performance.now(). Every reading is
 * epoch milliseconds, whichever source served it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CoarseClock } from "../../src/core/index.js";

const clocks: CoarseClock[] = [];
afterEach(async () => {
  for (const c of clocks.splice(0)) await c.close();
});
const make = (startAfter?: number): CoarseClock => {
  const c = new CoarseClock(startAfter === undefined ? {} : { startAfter });
  clocks.push(c);
  return c;
};
const epoch = (): number => performance.timeOrigin + performance.now();

describe("CoarseClock", () => {
  it("serves the precise clock until it has been read startAfter times, then the worker's", async () => {
    const c = make(100);
    for (let i = 0; i < 99; i++) {
      const before = epoch();
      const t = c.now();
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(epoch());
    }
    expect(c.started).toBe(false);
    expect(c.coarse).toBe(false);
    c.now(); // the 100th reading starts the worker
    expect(c.started).toBe(true);
    await vi.waitFor(() => expect(c.coarse).toBe(true), { timeout: 10_000, interval: 5 });
    // The worker's reading is the epoch time it last wrote: never ahead of the precise clock.
    expect(c.now()).toBeLessThanOrEqual(epoch());
    expect(c.now()).toBeGreaterThan(epoch() - 10_000);
  });

  it("with startAfter 0 starts the worker at once, and after close reads the precise clock again", async () => {
    const c = make(0);
    await vi.waitFor(() => expect(c.coarse).toBe(true), { timeout: 10_000, interval: 5 });
    await c.close();
    expect(c.coarse).toBe(false);
    const before = epoch();
    expect(c.now()).toBeGreaterThanOrEqual(before);
  });

  it("starts no thread for a clock read fewer times than the threshold", () => {
    const c = make();
    for (let i = 0; i < 1_000; i++) c.now();
    expect(c.started).toBe(false);
    expect(c.coarse).toBe(false);
  });
});
