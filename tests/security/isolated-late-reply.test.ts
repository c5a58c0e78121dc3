/**
 * A late reply from an isolated agent belongs to the receive it was made in (docs/adr/0081). The
 * kernel's side of an isolated agent ran every call from its guest through the context of the
 * receive in progress when the call arrived, so a guest replying from a promise settled after its
 * receive returned answered whatever request the agent handled by then: the later requester got the
 * earlier one's answer (or a stray answer from a plain message's receive), and the earlier requester
 * waited out its timeout. The guest's replies now name their receive; its ctx.messageId is the
 * letter's id (it was always undefined).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentContext, type AgentId, type Aios } from "../../src/index.js";

let root: string;
let late: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "aios-iso-late-"));
  late = join(root, "late.mjs");
  // "slow": asks the waiter and answers from the promise, after the receive has returned.
  // "arm" (a plain message): the same, but there is no request to answer: the reply must go nowhere.
  // "hold": a request answered only after the waiter answers (the receive is in progress meanwhile).
  // Anything else: answered at once. Every answer carries the sender the guest's ctx read.
  writeFileSync(late, `export default {
  init: () => null,
  async receive(s, m, ctx) {
    if (m && m.slow) { ctx.request(m.slow, m.ms).then(() => ctx.reply(["slow-answer", ctx.sender ?? null])); return s; }
    if (m && m.arm) { ctx.request(m.arm, m.ms).then(() => ctx.reply("stray")); return s; }
    if (m && m.hold) { await ctx.request(m.hold, m.ms); ctx.reply("hold-answer"); return s; }
    ctx.reply(["answer to " + m, ctx.sender ?? null, typeof ctx.messageId]);
    return s;
  },
};
`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function setup(): Promise<{ os: Aios; guest: AgentId; waiter: AgentId }> {
  const os = await boot({ stack: "bare", logger: silentLogger, moduleRoots: [root] });
  // Answers each request after the number of milliseconds it carries.
  const waiter = await os.spawn({
    name: "waiter", kind: "code",
    logic: { init: () => null, receive: (s: null, ms: unknown, ctx: AgentContext) => { setTimeout(() => ctx.reply("ok"), Number(ms)); return s; } },
  });
  const guest = await os.spawn({ name: "late", kind: "code", module: late, isolation: "isolated", capabilities: ["agent:*#send"] });
  return { os, guest, waiter };
}

describe("an isolated agent's late reply", () => {
  it("answers its own request, never the one handled by then, with its own sender", async () => {
    const { os, guest, waiter } = await setup();
    const asker = await os.spawn({
      name: "asker", kind: "code", capabilities: ["agent:*#send"],
      logic: { receive: async (s: null, m: unknown, ctx: AgentContext) => { ctx.reply(await ctx.request(guest, m, { timeoutMs: 5_000 })); return s; } },
    });
    const slow = os.request(asker, { slow: waiter, ms: 300 }, { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await os.request(guest, "fast", { timeoutMs: 5_000 })).toEqual(["answer to fast", null, "string"]);
    expect(await slow).toEqual(["slow-answer", asker]);
    await os.shutdown();
  });

  it("from a plain message's receive goes nowhere: it does not answer the request in progress", async () => {
    const { os, guest, waiter } = await setup();
    await os.send(guest, { arm: waiter, ms: 100 });
    // The stray reply arrives while this request's receive waits on the waiter (300 ms).
    expect(await os.request(guest, { hold: waiter, ms: 300 }, { timeoutMs: 5_000 })).toBe("hold-answer");
    expect(await os.request(guest, "after", { timeoutMs: 5_000 })).toEqual(["answer to after", null, "string"]);
    await os.shutdown();
  });
});
