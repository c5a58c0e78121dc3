import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { boot } from "../../src/index.js";
import { modelsSubsystem } from "../../src/models/index.js";
import { schedSubsystem } from "../../src/sched/index.js";

const MODEL = resolve("../shared/models/stories260K.gguf");
const SHA = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

describe("preemption through the whole path (dispatcher -> sched slot -> LlmInvoke -> local model)", () => {
  it("a high-priority model call takes the only slot from a low-priority one at a token boundary; both finish", async () => {
    expect(createHash("sha256").update(readFileSync(MODEL)).digest("hex")).toBe(SHA);
    const os = await boot({
      stack: "bare",
      add: [
        schedSubsystem({ pools: { "inference:tiny": { capacity: 1, policy: "priority" } } }),
        modelsSubsystem({ models: { tiny: { provider: "local", model: "stories260K", modelPath: MODEL, threads: 1, contextSize: 512, maxConcurrency: 2 } } }),
      ],
    });
    const preempted: unknown[] = [];
    os.events.subscribe({ types: ["sched.preempted"] }, (e) => void preempted.push(e.data));
    const caps = ["llm:tiny#invoke"];
    const low = await os.spawn({ name: "low", kind: "code", priority: -10, capabilities: caps, logic: { receive: (s: null) => s } });
    const high = await os.spawn({ name: "high", kind: "code", priority: 10, capabilities: caps, logic: { receive: (s: null) => s } });
    const order: string[] = [];
    const ask = (who: string, id: string, tokens: number): Promise<unknown> =>
      os.syscall(id, "LlmInvoke", { model: "tiny", messages: [{ role: "user", content: "Once upon a time" }], maxTokens: tokens } as never).then((r) => {
        order.push(who);
        return r;
      });
    // The high call arrives once the low one holds the only slot (whatever the machine's speed).
    const lowGranted = os.events.once("sched.granted", (e) => e.agent === low);
    const lowCall = ask("low", low, 400);
    await lowGranted;
    const highCall = ask("high", high, 8);
    const [lowAnswer, highAnswer] = (await Promise.all([lowCall, highCall])) as { text: string }[];
    expect(order).toEqual(["high", "low"]);
    expect(preempted.length).toBeGreaterThanOrEqual(1);
    expect(highAnswer!.text.length).toBeGreaterThan(0);
    expect(lowAnswer!.text.length).toBeGreaterThan(highAnswer!.text.length);
    await os.shutdown();
  });
});
