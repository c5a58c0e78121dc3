/**
 * The hog-detection clock (ADR 0004, amended for issue #17 item 6): it reads performance.now() until
 * it has been read `startAfter` times, then starts its worker thread and reads shared memory once the
 * worker ticks; closing it (or the worker ending) returns it to performance.now(). Every reading is
 * a tick — whole milliseconds since the clock's origin, modulo 2^30, a small integer — whichever
 * source served it, and ticksBetween measures across the wrap.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CoarseClock, ticksBetween } from "../../src/core/index.js";

const clocks: CoarseClock[] = [];
afterEach(async () => {
  for (const c of clocks.splice(0)) await c.close();
});
const make = (startAfter?: number): CoarseClock => {
  const c = new CoarseClock(startAfter === undefined ? {} : { startAfter });
  clocks.push(c);
  return c;
};
/** The precise clock in ticks (this thread's performance.now() counts from the clock's origin). */
const precise = (): number => Math.floor(performance.now()) & 0x3fff_ffff;

describe("CoarseClock", () => {
  it("serves the precise clock until it has been read startAfter times, then the worker's", async () => {
    const c = make(100);
    for (let i = 0; i < 99; i++) {
      const before = precise();
      const t = c.ticks();
      expect(Number.isInteger(t)).toBe(true);
      expect(ticksBetween(before, t)).toBe(t - before);
      expect(t - before).toBeGreaterThanOrEqual(0);
      expect(precise() - t).toBeGreaterThanOrEqual(0);
    }
    expect(c.started).toBe(false);
    expect(c.coarse).toBe(false);
    expect(c.tickSource).toBeUndefined();
    c.ticks(); // the 100th reading starts the worker
    expect(c.started).toBe(true);
    await vi.waitFor(() => expect(c.coarse).toBe(true), { timeout: 10_000, interval: 5 });
    // The worker's reading is the tick it last wrote: never ahead of the precise clock, and moving.
    const first = c.ticks();
    expect(ticksBetween(first, precise())).toBeLessThan(10_000);
    expect(c.tickSource?.[0]).toBeTypeOf("number");
    await vi.waitFor(() => expect(ticksBetween(first, c.ticks())).toBeGreaterThanOrEqual(5), { timeout: 10_000, interval: 2 });
  });

  it("with startAfter 0 starts the worker at once, and after close reads the precise clock again", async () => {
    const c = make(0);
    await vi.waitFor(() => expect(c.coarse).toBe(true), { timeout: 10_000, interval: 5 });
    await c.close();
    expect(c.coarse).toBe(false);
    expect(c.tickSource).toBeUndefined();
    const before = precise();
    expect(c.ticks() - before).toBeGreaterThanOrEqual(0);
  });

  it("measures between readings across the wrap at 2^30 ms", () => {
    expect(ticksBetween(0x3fff_fffe, 3)).toBe(5);
    expect(ticksBetween(7, 7)).toBe(0);
    expect(ticksBetween(100, 1_100)).toBe(1_000);
  });

  it("starts no thread for a clock read fewer times than the threshold", () => {
    const c = make();
    for (let i = 0; i < 1_000; i++) c.ticks();
    expect(c.started).toBe(false);
    expect(c.coarse).toBe(false);
  });
});
