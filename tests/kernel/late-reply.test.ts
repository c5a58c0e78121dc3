/**
 * A request's reply belongs to its request. An agent replying from a callback of an earlier receive
 * (a timer, a promise settled after the receive returned) used to answer whatever request it was
 * handling by then: the later requester got the earlier one's answer, and the earlier one waited out
 * its timeout. A request's receive now gets a context whose reply, sender and message id are bound
 * to its letter.
 */
import { describe, expect, it } from "vitest";
import { boot, type AgentContext, type AgentId } from "../../src/index.js";

describe("a reply from a late callback", () => {
  it("answers its own request, never the one handled by then, and reads its own sender and id", async () => {
    const os = await boot({ stack: "bare" });
    const seen: { sender: AgentId | undefined; id: string | undefined }[] = [];
    const id = await os.spawn({
      name: "replier", kind: "code",
      logic: {
        init: () => null,
        receive: async (s: null, m: unknown, ctx: AgentContext) => {
          if (m === "slow") {
            // Returns at once; answers 50 ms later, while the next request is being handled.
            setTimeout(() => {
              seen.push({ sender: ctx.sender, id: ctx.messageId });
              ctx.reply("slow-answer");
            }, 50);
            return s;
          }
          await new Promise((r) => setTimeout(r, 100));
          ctx.reply(`answer to ${String(m)}`);
          return s;
        },
      },
    });
    const asker = await os.spawn({
      name: "asker", kind: "code", capabilities: ["agent:*#send"],
      logic: { receive: async (s: null, m: unknown, ctx: AgentContext) => { ctx.reply(await ctx.request(id, m, { timeoutMs: 2_000 })); return s; } },
    });
    const slow = os.request(asker, "slow", { timeoutMs: 2_000 });
    await new Promise((r) => setTimeout(r, 5));
    const fast = os.request(id, "fast", { timeoutMs: 2_000 });
    expect(await fast).toBe("answer to fast");
    expect(await slow).toBe("slow-answer");
    // The callback read the slow request's sender (the asker), not the operator's fast request.
    expect(seen).toEqual([{ sender: asker, id: expect.any(String) }]);
    await os.shutdown();
  });

  it("answers once: a second reply to the same request is dropped", async () => {
    const os = await boot({ stack: "bare" });
    const id = await os.spawn({
      name: "twice", kind: "code",
      logic: { receive: (s: null, _m: unknown, ctx: AgentContext) => { ctx.reply(1); ctx.reply(2); setTimeout(() => ctx.reply(3), 5); return s; } },
    });
    expect(await os.request(id, "x")).toBe(1);
    expect(await os.request(id, "y")).toBe(1);
    await os.shutdown();
  });
});
