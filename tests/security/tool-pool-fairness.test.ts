/**
 * Attacker's side of issue 15 item 9 (tool slots): one agent floods the shared tool pool with 32
 * calls that never end on their own (a tool that holds its slot until the test opens a gate, the
 * stand-in for `sleep 4`); another agent's file.read must still get a slot and finish while all
 * of the flood is held. Then the flood drains once the gate opens.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentLogic } from "../../src/index.js";
import { defineTool, eraseTool } from "../../src/tools/index.js";

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

describe("fair share of the tool pool", () => {
  it("a flood of slow calls from one agent leaves slots for another agent's file.read", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-fair-"));
    writeFileSync(join(dataDir, "note.txt"), "still served");
    const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false, memory: false } });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let started = 0;
    os.tools.register(
      eraseTool(
        defineTool({
          name: "slow.wait",
          description: "holds its slot until the test opens the gate",
          input: z.strictObject({}),
          sideEffect: false,
          requires: () => [],
          execute: async () => {
            started++;
            await gate;
            return { ok: true };
          },
        }),
      ),
    );
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["tool:slow.wait#call"] });
    const victim = await os.spawn({ name: "victim", kind: "code", logic: idle, capabilities: ["tool:file.read#call", `file:${dataDir}/**#read`] });
    let floodDone = 0;
    const flood = Array.from({ length: 32 }, () => os.syscall(mallory, "ToolCall", { tool: "slow.wait", args: {} }).then(() => floodDone++));
    await new Promise((r) => setImmediate(r));
    // A deadlock detector, not a speed assertion: without a fair share the read waits for the gate.
    let timer: NodeJS.Timeout | undefined;
    const read = await Promise.race([
      os.syscall(victim, "ToolCall", { tool: "file.read", args: { path: join(dataDir, "note.txt") } }),
      new Promise((r) => (timer = setTimeout(() => r("starved"), 10_000))),
    ]);
    clearTimeout(timer);
    expect(read).toMatchObject({ content: "still served" });
    expect(floodDone).toBe(0); // every slow call still holds or waits for a slot
    expect(started).toBe(8); // mallory holds half of the 16 slots, not all of them
    open();
    await Promise.all(flood);
    expect(floodDone).toBe(32);
    await os.shutdown();
  }, 30_000);
});
