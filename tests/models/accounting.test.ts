/**
 * Per-agent accounting rows are pruned when their agent ends (tenant totals stay): through boot()
 * with the models plugin, and the Accounting rules themselves (prune keeps an agent that is live
 * again, sweep clears what lost end events left, a late call counts for the tenant only).
 */
import { afterEach, describe, expect, it } from "vitest";
import { boot, flushMicrotasks, type Aios } from "../../src/index.js";
import { Accounting, ReplayProvider, modelsSubsystem, runLlm, type ChatResult, type ModelProvider, type ModelsService } from "../../src/models/index.js";

const caps = ["llm:*#invoke"];
const usage = { promptTokens: 10, completionTokens: 5 };
const price = { promptPer1k: 1, completionPer1k: 2 };

let os: Aios | undefined;
afterEach(async () => {
  await os?.shutdown();
  os = undefined;
});

async function start(provider: ModelProvider): Promise<{ os: Aios; plugin: ModelsService }> {
  os = await boot({ stack: "bare", add: [modelsSubsystem({ models: {}, providers: { scripted: provider } })] });
  return { os, plugin: os.subsystems.models! };
}

/** Lets the event bus deliver the agent's end to the plugin (deliveries run on setImmediate). */
const delivered = (): Promise<void> => flushMicrotasks(5);

describe("per-agent accounting through the models plugin", () => {
  it("drops an agent's row when it ends and keeps the tenant's totals", async () => {
    const { os, plugin } = await start(new ReplayProvider({ name: "scripted", turns: [{ text: "hi" }], loop: true }));
    const acc = plugin.router.accounting;
    const id = await os.spawn({ name: "chat", kind: "llm", model: "scripted", capabilities: caps });
    await os.request(id, "hello");
    const before = acc.agent(id);
    expect(before.calls).toBe(1);
    expect(acc.agentCount).toBe(1);
    await os.kill(id);
    await delivered();
    expect(acc.agentCount).toBe(0);
    expect(acc.agent(id).calls).toBe(0);
    expect(acc.tenant("default")).toEqual(before);
  });

  it("leaves no rows behind after many short-lived runs", async () => {
    const { os, plugin } = await start(new ReplayProvider({ name: "scripted", turns: [{ text: "done" }], loop: true }));
    const acc = plugin.router.accounting;
    for (let i = 0; i < 40; i++) await runLlm(os, { name: `run${i}`, kind: "llm", model: "scripted", capabilities: caps }, { goal: "go" });
    await delivered();
    expect(acc.agentCount).toBe(0);
    expect(acc.tenant("default").calls).toBe(40);
  });

  it("a call that finishes after its agent ended counts for the tenant only", async () => {
    let answer: (r: ChatResult) => void = () => undefined;
    // A provider that ignores the abort and answers late.
    const late: ModelProvider = {
      name: "scripted",
      chat: () => new Promise<ChatResult>((resolve) => (answer = resolve)),
      stream: () => {
        throw new Error("not streamed in this test");
      },
    };
    const { os, plugin } = await start(late);
    const acc = plugin.router.accounting;
    const id = await os.spawn({ name: "slow", kind: "code", logic: { receive: (s: null) => s }, capabilities: caps });
    const call = os.syscall(id, "LlmInvoke", { messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    await delivered();
    await os.kill(id);
    await delivered();
    answer({ text: "too late", toolCalls: [], usage, finishReason: "stop", model: "m" });
    await call;
    expect(acc.tenant("default").calls).toBe(1);
    expect(acc.agent(id).calls).toBe(0);
    expect(acc.agentCount).toBe(0);
  });
});

describe("Accounting", () => {
  it("prune forgets only ended agents; sweep clears every ended agent's row; tenants stay", () => {
    const acc = new Accounting();
    const live = new Set(["a", "b", "c"]);
    acc.isLive = (id) => live.has(id);
    for (const id of ["a", "b", "c"]) acc.record(id, "t", usage, price);
    live.delete("a");
    acc.prune("a");
    acc.prune("b"); // still running (e.g. restarted under its supervisor with the same id): kept
    expect(acc.agentCount).toBe(2);
    expect(acc.agent("b")).toEqual({ promptTokens: 10, completionTokens: 5, cost: 0.02, calls: 1 });
    live.clear();
    expect(acc.sweep()).toBe(2);
    expect(acc.agentCount).toBe(0);
    expect(acc.tenant("t")).toEqual({ promptTokens: 30, completionTokens: 15, cost: 0.06, calls: 3 });
  });

  it("an ended agent's late call adds to its tenant, not to a new row", () => {
    const acc = new Accounting();
    acc.isLive = () => false;
    expect(acc.record("gone", "t", usage, price)).toBeCloseTo(0.02);
    expect(acc.agentCount).toBe(0);
    expect(acc.tenant("t").calls).toBe(1);
  });
});
