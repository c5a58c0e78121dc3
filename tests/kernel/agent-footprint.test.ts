/**
 * An idle agent is small: a million must fit in well under 1 KB each (kernel/proc.ts). 50,000 agents
 * spawned through the SDK as a program spawns them, a distinct spec object with its own name each,
 * hold about 535 bytes apiece after a full GC (the process, its parsed spec, its id and name, its
 * entry in the process table). The bound, 600 bytes, fails when the fields few agents set (children,
 * supervision, an abort controller, how it ended, a durable agent's counters: kernel/proc.ts's Rare)
 * go back into every process, which measured 638 bytes, and leaves the GC's noise room. In a
 * process of its own (fixtures/agent-footprint.ts): the test runner's heap would be measured with it.
 */
import { describe, expect, it } from "vitest";
import { fixtureFigure } from "./helpers.js";

describe("an idle agent's footprint", () => {
  it("50,000 idle agents hold under 600 bytes each", () => {
    const bytes = fixtureFigure("agent-footprint.ts", "bytes/agent", ["50000"], ["--expose-gc"]);
    expect(bytes).toBeGreaterThan(100);
    expect(bytes).toBeLessThan(600);
  }, 120_000);
});
