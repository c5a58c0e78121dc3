/**
 * A durable agent's init context (ADR 0016, "Late effects"; kernel/init-ctx.ts), on the default
 * stack. Once init has settled, what goes through the context init got is the letter's only while
 * the agent is inside a receive call (code that keeps init's context and uses it there); from a
 * timer init left behind it belongs to no letter: no sender, no message id, and a reply through it
 * answers no request — it used to answer whichever request the agent was handling when it fired.
 * (The crash case, a send numbered as the letter's, is tests/store/late-send.test.ts "init".)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentContext, type AgentLogic } from "../../src/index.js";

describe("a durable agent's init context after init", () => {
  it("is the letter's inside a receive call, and no letter's in a timer init left behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-init-ctx-"));
    const os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { embedder: false, memory: false, mcp: false } });
    try {
      const seen: unknown[] = [];
      let kept: AgentContext | undefined;
      let fire: (() => void) | undefined;
      const logic: AgentLogic<null> = {
        init: (ctx) => {
          kept = ctx;
          // A callback init leaves behind: it answers through init's context when told to.
          fire = () => kept?.reply("stray answer");
          return null;
        },
        receive: async (s, m, ctx) => {
          const k = kept as AgentContext;
          if (m === "inside") {
            seen.push(["inside", k.messageId === ctx.messageId && k.messageId !== undefined, k.sender === ctx.sender]);
            ctx.reply("ok");
            return s;
          }
          // A request held open while a timer of init's fires.
          setTimeout(() => {
            seen.push(["timer", k.messageId ?? null, k.sender ?? null]);
            fire?.();
          }, 10);
          await new Promise((r) => setTimeout(r, 50));
          ctx.reply("own answer");
          return s;
        },
      };
      const id = await os.spawn({ name: "keeper", kind: "code", durable: true, logic });
      const asker = await os.spawn({
        name: "asker", kind: "code", capabilities: ["agent:*#send"],
        logic: { receive: async (s: null, m: unknown, ctx: AgentContext) => (ctx.reply(await ctx.request(id, m, { timeoutMs: 5_000 })), s) },
      });
      expect(await os.request(asker, "inside")).toBe("ok");
      expect(await os.request(asker, "held", { timeoutMs: 5_000 })).toBe("own answer");
      expect(seen).toEqual([
        ["inside", true, true],
        ["timer", null, null],
      ]);
    } finally {
      await os.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
