/**
 * The fault suite's own parts, checked without a cluster: the schedule generator is a function of its
 * seed (a failure replays from the seed) and stays within its bounds; the checker flags each kind of
 * violation on a small history and passes a clean one; the TCP proxy forwards, holds bytes during a
 * blackhole and delivers them at heal, and refuses connections while reset.
 */
import { createServer, connect, type Socket } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, ok, type History } from "./fault/checker.js";
import { FAULT_KINDS, generate } from "./fault/schedule.js";
import { startProxy } from "./fault/tcp-proxy.js";

const clean: History = {
  sends: [
    { op: 1, to: "a", next: "b", acked: true },
    { op: 2, to: "b", next: "a", acked: false },
  ],
  states: new Map([
    ["a", ["1/0"]],
    ["b", ["1/1"]],
  ]),
  executions: [
    { key: "a:1", effect: "a/1/0", node: "n1", applied: true },
    { key: "a:1", effect: "a/1/0", node: "n2", applied: false },
    { key: "b:1", effect: "b/1/1", node: "n2", applied: true },
  ],
  journal: new Map([["a", [1, 1, 2, 2]]]),
  acquisitions: [
    { tree: "a", epoch: 1, node: "n1" },
    { tree: "a", epoch: 2, node: "n2" },
  ],
};

describe("fault schedule generator", () => {
  it("is a function of its seed and keeps faults within the span and on existing nodes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 6 }), (seed, faults) => {
        const o = { nodes: 3, faults, spanMs: 6_000, ttlMs: 1_000 };
        const a = generate(seed, o);
        expect(generate(seed, o)).toEqual(a);
        expect(a).toHaveLength(faults);
        for (const s of a) {
          expect(s.at).toBeGreaterThanOrEqual(300);
          expect(s.at).toBeLessThanOrEqual(6_000 * 0.7);
          expect(FAULT_KINDS).toContain(s.fault.kind);
          if ("node" in s.fault) expect([0, 1, 2]).toContain(s.fault.node);
        }
        expect(a.map((s) => s.at)).toEqual([...a.map((s) => s.at)].sort((x, y) => x - y));
      }),
      { numRuns: 200 },
    );
  });

  it("draws every kind of fault over some seeds", () => {
    const kinds = new Set<string>();
    for (let seed = 0; seed < 50; seed++) for (const s of generate(seed, { nodes: 3, faults: 3, spanMs: 6_000, ttlMs: 1_000 })) kinds.add(s.fault.kind);
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
  });
});

describe("fault checker", () => {
  it("passes a clean history; a retry under the same key is counted, not a violation", () => {
    const v = check(clean);
    expect(ok(v)).toBe(true);
    expect(v.retried).toBe(1);
  });

  it("flags a lost acknowledged send and its missing forward", () => {
    const v = check({ ...clean, states: new Map([["a", []], ["b", []]]), executions: [] });
    expect(v.lost).toEqual(["a 1/0", "b 1/1 (forward)"]);
  });

  it("flags a letter handled twice and an effect applied under two keys", () => {
    const v = check({
      ...clean,
      states: new Map([["a", ["1/0"]], ["b", ["1/1", "1/1"]]]),
      executions: [...clean.executions, { key: "b:2", effect: "b/1/1", node: "n3", applied: true }],
    });
    expect(v.duplicated).toEqual(["b 1/1"]);
    expect(v.dupEffects).toEqual(["b/1/1 under 2 keys"]);
  });

  it("flags an effect without its letter and a handled letter without its effect", () => {
    const v = check({ ...clean, executions: [...clean.executions.slice(0, 2), { key: "z", effect: "b/9/0", node: "n1", applied: true }] });
    expect(v.missingEffects).toEqual(["b/1/1"]);
    expect(v.orphanEffects).toEqual(["b/9/0"]);
  });

  it("flags interleaved epochs in a journal and an epoch acquired by two nodes", () => {
    const v = check({ ...clean, journal: new Map([["a", [1, 2, 1]]]), acquisitions: [...clean.acquisitions, { tree: "a", epoch: 2, node: "n3" }] });
    expect(v.epochOrder).toEqual(["a: epoch 1 after 2 at row 3"]);
    expect(v.sharedEpochs).toEqual(["a@2 by n2 and n3"]);
  });

  it("flags a supervisor slot without exactly one live child, and a supervisor that is not live", () => {
    const v = check({ ...clean, slots: new Map([["s/0", 1], ["s/1", 2], ["s/2", 0]]), supervisors: new Map([["s", true], ["t", false]]) });
    expect(v.slots).toEqual(["s/1: 2 live children", "s/2: 0 live children", "t: the supervisor is not live"]);
    expect(ok(check({ ...clean, slots: new Map([["s/0", 1]]), supervisors: new Map([["s", true]]) }))).toBe(true);
  });
});

describe("fault proxy", () => {
  it("forwards, holds bytes in a blackhole and delivers them at heal, refuses while reset", async () => {
    const echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const addr = echo.address();
    if (addr === null || typeof addr === "string") throw new Error("no port");
    const proxy = await startProxy(addr.port);
    const open = (): Promise<Socket> => new Promise((r, j) => { const s = connect(proxy.port, "127.0.0.1", () => r(s)); s.once("error", j); });
    const next = (s: Socket): Promise<string> => new Promise((r) => s.once("data", (b: Buffer) => r(b.toString())));
    try {
      const c = await open();
      c.write("one");
      expect(await next(c)).toBe("one");
      proxy.set("blackhole");
      let got = "";
      c.on("data", (b: Buffer) => (got += b.toString()));
      c.write("two");
      await new Promise((r) => setTimeout(r, 100)); // nothing may come back while cut off
      expect(got).toBe("");
      const late = next(c);
      proxy.set("up");
      expect(await late).toBe("two");
      proxy.set("reset");
      await new Promise((r) => c.once("close", r)); // the existing connection is cut
      await expect(new Promise((r, j) => { const s = connect(proxy.port, "127.0.0.1"); s.once("close", () => j(new Error("closed"))); s.once("data", r); s.write("x"); })).rejects.toThrow("closed");
    } finally {
      await proxy.close();
      await new Promise((r) => echo.close(r));
    }
  });
});
