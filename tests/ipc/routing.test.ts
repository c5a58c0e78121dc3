import { describe, expect, it } from "vitest";
import { IntentRouter, adaptEmbedder, isEnvelope } from "../../src/ipc/index.js";
import { bootIpc, codeOf, recorder, settle, wordEmbedder } from "./helpers.js";

describe("intent router", () => {
  const skills = {
    billing: [{ name: "billing", description: "refund invoice payment charge" }],
    shipping: [{ name: "shipping", description: "parcel delivery tracking courier" }],
  };

  it("routes to the most similar skill and refuses below the threshold", async () => {
    const r = new IntentRouter(wordEmbedder(), { threshold: 0.3 });
    await r.register("ag_bill", skills.billing);
    await r.register("ag_ship", skills.shipping);
    const load = (): number => 0;
    expect((await r.route("please refund my last payment", load)).agent).toBe("ag_bill");
    expect((await r.route("where is my parcel, tracking says nothing", load)).agent).toBe("ag_ship");
    await expect(r.route("compose a sonnet about autumn", load)).rejects.toMatchObject({ code: "E_NO_AGENT", message: expect.stringMatching(/no agent can handle this intent.*threshold 0.3/) });
  });

  it("breaks ties by mailbox length, then by agent id, and skips agents that cannot take mail", async () => {
    const r = new IntentRouter(wordEmbedder(), { threshold: 0.3, tieEpsilon: 0.01 });
    for (const a of ["ag_1", "ag_2", "ag_3"]) await r.register(a, skills.billing);
    const loads: Record<string, number | undefined> = { ag_1: 5, ag_2: 2, ag_3: 2 };
    const d = await r.route("refund payment", (a) => loads[a]);
    expect(d).toMatchObject({ agent: "ag_2", tied: 3 });
    loads["ag_2"] = undefined; // ended
    expect((await r.route("refund payment", (a) => loads[a])).agent).toBe("ag_3");
    r.unregister("ag_3");
    expect((await r.route("refund payment", (a) => loads[a])).agent).toBe("ag_1");
  });

  it("rejects vectors of the wrong dimension, naming the field", () => {
    const r = new IntentRouter(wordEmbedder(8));
    expect(() => r.registerVectors("a", skills.billing, [new Float32Array(4)])).toThrow(/skills.0: embedding has 4 dimensions, the router uses 8/);
  });
});

describe("intent routing through the kernel", () => {
  it("AgentRegister declares skills; SemanticSend by intent reaches the best agent as a signed envelope", async () => {
    const { os, plugin } = await bootIpc({ embedder: wordEmbedder(), intents: { threshold: 0.3 } });
    const billSeen: unknown[] = [];
    const shipSeen: unknown[] = [];
    const caps = ["intent#register,send"];
    const bill = await os.spawn({ name: "bill", kind: "code", logic: recorder(billSeen), capabilities: caps });
    const ship = await os.spawn({ name: "ship", kind: "code", logic: recorder(shipSeen), capabilities: caps });
    await os.syscall(bill, "AgentRegister", { skills: [{ name: "billing", description: "refund invoice payment charge" }] });
    await os.syscall(ship, "AgentRegister", { skills: [{ name: "shipping", description: "parcel delivery tracking courier" }] });
    const res = await os.syscall(ship, "SemanticSend", { intent: "I want a refund for this charge", payload: { order: 7 } });
    await settle();
    expect(res?.delivered).toEqual([bill]);
    expect(billSeen).toHaveLength(1);
    const env = billSeen[0];
    expect(isEnvelope(env) && env.from === ship && env.intent !== undefined && env.signature !== undefined).toBe(true);
    expect(await codeOf(os.syscall(ship, "SemanticSend", { intent: "write me a poem about the sea", payload: 1 }))).toBe("E_NO_AGENT");
    // Without intent#send the door refuses before routing.
    const mute = await os.spawn({ name: "mute", kind: "code", logic: recorder([]) });
    expect(await codeOf(os.syscall(mute, "SemanticSend", { intent: "refund", payload: 1 }))).toBe("E_CAP_DENIED");
    // An ended agent leaves the routing table.
    await os.kill(bill);
    await settle();
    expect(plugin.ipc.router?.skillsOf(bill)).toEqual([]);
    await os.shutdown();
  });

  it("routes with the real USE Lite embedder from memory/", async () => {
    const { UseLiteEmbedder } = await import("../../src/memory/index.js");
    const router = new IntentRouter(adaptEmbedder(new UseLiteEmbedder()), { threshold: 0.3 });
    await router.register("ag_weather", [{ name: "weather", description: "forecast the weather, rain and temperature for a city" }]);
    await router.register("ag_math", [{ name: "math", description: "solve arithmetic and algebra equations" }]);
    expect((await router.route("will it rain in Paris tomorrow?", () => 0)).agent).toBe("ag_weather");
    expect((await router.route("what is 12 times 7 plus 3?", () => 0)).agent).toBe("ag_math");
  }, 120_000);
});
