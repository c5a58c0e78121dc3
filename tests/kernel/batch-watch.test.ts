/**
 * BatchWatch (kernel/batch-watch.ts): what a failed journal batch concerns is told once per batch,
 * everything pushed for that batch's promise in order; a batch that commits tells nothing; a new
 * promise starts a new list, and a list is never mixed with another batch's.
 */
import { describe, expect, it } from "vitest";
import { BatchWatch } from "../../src/kernel/batch-watch.js";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve: () => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("one failure handler per journal batch", () => {
  it("tells each failed batch's items once, in order, and nothing for a batch that committed", async () => {
    const told: [string[], unknown][] = [];
    const w = new BatchWatch<string>((items, e) => told.push([[...items], e]));
    const a = deferred();
    const b = deferred();
    const c = deferred();
    w.of(a.promise).push("a1", "a2");
    w.of(a.promise).push("a3");
    w.of(b.promise).push("b1");
    w.of(c.promise).push("c1");
    // Back to an earlier batch's promise after another: a list of its own, never b's or c's.
    w.of(a.promise).push("a4");
    a.reject(new Error("disk full"));
    b.resolve();
    c.reject("gone");
    await Promise.allSettled([a.promise, b.promise, c.promise]);
    await new Promise((r) => setImmediate(r));
    expect(told.map(([items]) => items)).toEqual([["a1", "a2", "a3"], ["a4"], ["c1"]]);
    expect((told[0]?.[1] as Error).message).toBe("disk full");
    expect(told[2]?.[1]).toBe("gone");
  });
});
