/**
 * The door's record stage for pure calls (ADR 0043): on the default stack an LLM agent's allowed
 * model calls and pure tool calls are counts in the interval's signed aggregate, while a tool with a
 * side effect and a call that failed keep an entry each. Read back from the audit log on disk: every
 * call is accounted for exactly once, `aios audit verify` accepts the log, and the syscall metric
 * counts each call once (the aggregate's batch event leaves the door's tallies out).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { boot, silentLogger } from "../../src/index.js";
import { ReplayProvider, type ChatRequest, type ReplayTurnInput } from "../../src/models/index.js";
import { defineTool } from "../../src/tools/index.js";
import { packedTransitions } from "../../src/audit/index.js";

/** add, add, stamp (a side effect), boom (fails), then the answer. */
const SCRIPT = ["add", "add", "stamp", "boom"] as const;

function turn(req: ChatRequest): ReplayTurnInput {
  const done = req.messages.filter((m) => m.role === "tool").length;
  const tool = SCRIPT[done];
  return tool === undefined
    ? { text: "done", usage: { promptTokens: 10, completionTokens: 1 } }
    : { toolCalls: [{ name: tool, args: { a: done, b: 1 } }], usage: { promptTokens: 10, completionTokens: 5 } };
}

describe("the door's aggregates of pure calls", () => {
  it("counts model calls and pure tool calls in the signed aggregate; effects and failures stay entries", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-door-agg-"));
    const os = await boot({
      dataDir, logger: silentLogger,
      subsystems: { embedder: false, models: { models: {}, providers: { scripted: new ReplayProvider({ name: "scripted", respond: turn }) } } },
    });
    try {
      const input = z.strictObject({ a: z.number(), b: z.number() });
      let stamped = 0;
      os.tools.register(defineTool({ name: "add", description: "adds", input, sideEffect: false, requires: () => [], execute: async ({ a, b }) => a + b }));
      os.tools.register(defineTool({ name: "stamp", description: "counts", input, sideEffect: true, requires: () => [], execute: async () => ++stamped }));
      os.tools.register(defineTool({ name: "boom", description: "fails", input, sideEffect: false, requires: () => [], execute: async () => { throw new Error("boom"); } }));
      const answer = await os.run(
        { name: "worker", kind: "llm", model: "scripted", tools: [...new Set(SCRIPT)], capabilities: ["tool:add#call", "tool:stamp#call", "tool:boom#call", "llm:scripted#invoke"], ephemeral: true },
        { goal: "work" },
      );
      expect(answer.text).toBe("done");
      expect(stamped).toBe(1);
      os.audit.drain();
      // The agent's spawn, from the packed lifecycle transitions (ADR 0054).
      const spawned = os.audit.entries({ limit: 100_000 }).filter((e) => e.kind === "lifecycle").flatMap((e) => packedTransitions(e.data)).find((t) => t[1] === "spawn");
      const agent = spawned?.[0];
      if (agent === undefined) throw new Error("no spawn entry");
      const history = os.audit.entries({ agent, limit: 100_000 });
      const calls = history.filter((e) => e.kind === "syscall").map((e) => ({ syscall: e.data["syscall"], decision: e.data["decision"], failed: e.data["error"] !== undefined }));
      expect(calls).toEqual([
        { syscall: "ToolCall", decision: "allowed", failed: false },
        { syscall: "ToolCall", decision: "allowed", failed: true },
      ]);
      const counted = new Map<unknown, number>();
      for (const e of history) if (e.kind === "aggregate") counted.set(e.data["syscall"], (counted.get(e.data["syscall"]) ?? 0) + Number(e.data["count"]));
      // Five model turns (four tool calls, the answer) and the two adds.
      expect(Object.fromEntries(counted)).toEqual({ LlmInvoke: 5, ToolCall: 2 });
      const verified = os.audit.verify();
      expect(verified.ok, JSON.stringify(verified)).toBe(true);
      // The metrics read the bus on setImmediate: one turn lets the aggregate's batch event pass.
      await new Promise((r) => setImmediate(r));
      const metric = await os.subsystems.observe?.metrics.registry.getSingleMetric("aios_syscalls_total")?.get();
      const ok = (name: string): number => metric?.values.find((v) => v.labels["syscall"] === name && v.labels["outcome"] === "ok")?.value ?? 0;
      expect(ok("LlmInvoke")).toBe(5);
      expect(ok("ToolCall")).toBe(3);
    } finally {
      await os.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
