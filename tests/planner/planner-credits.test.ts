/**
 * Credits a counted call reports are settled into the ledger at the door's settle stage: a worker
 * (joined to the market, so it has a wallet) calls a syscall whose usage reports 0.25 credits; its
 * wallet is debited and `costs:default` credited by that much, the ledger still balances, and an
 * agent without a wallet is charged nothing in the ledger.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentLogic } from "../../src/abi/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";

declare module "../../src/abi/syscalls.js" {
  interface SyscallMap {
    TestCostly: { args: Record<string, never>; result: { ok: true } };
  }
}

let dir: string;
let os: Aios;

const caller: AgentLogic<null, unknown> = {
  init: () => null,
  async receive(s, m, ctx) {
    if (m === "join") await ctx.sys.MarketJoin({});
    else await ctx.sys.TestCostly({});
    ctx.reply("ok");
    return s;
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-planner-credits-"));
  os = await boot({ dataDir: dir, subsystems: { memory: false, embedder: false, mcp: false } });
  os.kernel.syscalls.register({ name: "TestCostly", parse: () => ({}), requires: () => [], sideEffect: false, usage: () => ({ tokens: 0, credits: 0.25 }), handler: () => ({ ok: true as const }) });
}, 60_000);
afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("credits settle into the ledger", () => {
  it("moves a counted call's credits from the agent's wallet to costs:default", async () => {
    const w = await os.spawn({ name: "spender", kind: "code", logic: caller, capabilities: ["market#join"] });
    await os.request(w, "join");
    await os.ledger.deposit(`agent:${w}`, 1_000_000n);
    await os.request(w, "spend");
    await os.request(w, "spend");
    expect((await os.ledger.balance(`agent:${w}`)).available).toBe("500000");
    expect((await os.ledger.balance("costs:default")).creditsPosted).toBe("500000");
    expect((await os.ledger.totals()).balanced).toBe(true);
    const other = await os.spawn({ name: "nowallet", kind: "code", logic: caller });
    await os.request(other, "spend");
    expect((await os.ledger.balance("costs:default")).creditsPosted).toBe("500000");
  }, 60_000);
});
