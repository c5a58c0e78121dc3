import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { LocalProvider, createProvider } from "../../src/models/index.js";

const MODEL = resolve("../shared/models/stories260K.gguf");
const SHA = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
let p: LocalProvider;

beforeAll(async () => {
  expect(createHash("sha256").update(readFileSync(MODEL)).digest("hex")).toBe(SHA);
  p = new LocalProvider({ name: "stories", modelPath: MODEL, threads: 1, contextSize: 256, maxSequences: 2 });
  await p.load();
});
afterAll(() => p.close());

const story = (s: string) => ({ messages: [{ role: "user" as const, content: s }] });

describe("local GGUF provider (stories260K)", () => {
  it("generates with real usage, counts with the model's tokenizer, and stops at maxTokens", async () => {
    const r = await p.chat(story("Once upon a time, there was a little"), { maxTokens: 24, session: "a" });
    expect(r.text.length).toBeGreaterThan(10);
    expect(r.usage.completionTokens).toBe(24);
    expect(r.finishReason).toBe("length");
    expect(r.usage.promptTokens).toBe(p.countTokens("Once upon a time, there was a little\n"));
    // Greedy decoding is deterministic: same prompt, same text.
    const again = await p.chat(story("Once upon a time, there was a little"), { maxTokens: 24 });
    expect(again.text).toBe(r.text);
  });

  it("reuses a session's KV cache for the shared prefix across steps", async () => {
    const first = await p.chat(story("Tom had a red ball."), { maxTokens: 8, session: "kv" });
    const before = { ...p.stats };
    const second = await p.chat({ messages: [{ role: "user", content: "Tom had a red ball." }, { role: "assistant", content: first.text }, { role: "user", content: "He" }] }, { maxTokens: 8, session: "kv" });
    expect(second.usage.completionTokens).toBeGreaterThan(0);
    expect(p.stats.reusedTokens - before.reusedTokens).toBeGreaterThanOrEqual(p.countTokens("Tom had a red ball.\n") - 1);
    expect(p.stats.evaluatedTokens - before.evaluatedTokens).toBeLessThan(second.usage.promptTokens);
  });

  it("streams token deltas that add up to the result", async () => {
    let text = "";
    let done = "";
    for await (const d of p.stream(story("The cat"), { maxTokens: 16 })) {
      if (d.type === "text") text += d.text;
      if (d.type === "done") done = d.result.text;
    }
    expect(text).toBe(done);
    expect(done.length).toBeGreaterThan(0);
  });

  it("shares one model among concurrent sessions, evicting the least recently used idle one", async () => {
    const evictions = p.stats.evictions;
    const rs = await Promise.all(["s1", "s2", "s3", "s4"].map((s) => p.chat(story(`Lily saw a ${s}`), { maxTokens: 10, session: s })));
    expect(rs.every((r) => r.usage.completionTokens > 0)).toBe(true);
    expect(p.sessionCount).toBeLessThanOrEqual(2);
    expect(p.stats.evictions).toBeGreaterThan(evictions);
  });

  it("cancels generation on abort and rejects prompts longer than the window", async () => {
    const ctl = new AbortController();
    const it = p.stream(story("Once upon a time"), { maxTokens: 200, signal: ctl.signal, session: "c" });
    let err: unknown;
    let n = 0;
    try {
      for await (const d of it) {
        if (d.type === "text" && ++n === 3) ctl.abort();
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AiosError);
    expect((err as AiosError).code).toBe("E_CANCELLED");
    const long = "word ".repeat(400);
    await expect(p.chat(story(long))).rejects.toMatchObject({ code: "E_CONTEXT_OVERFLOW" });
  });

  it("yields at a token boundary when preemption is requested and resumes with the same text", async () => {
    const plain = await p.chat(story("Ben found a shiny"), { maxTokens: 20 });
    let asks = 2;
    let yields = 0;
    const preemption = {
      get requested() {
        return asks > 0;
      },
      yield: async () => {
        asks--;
        yields++;
      },
    };
    const before = p.stats.preemptions;
    const r = await p.chat(story("Ben found a shiny"), { maxTokens: 20, preemption });
    expect(yields).toBe(2);
    expect(p.stats.preemptions - before).toBe(2);
    expect(r.text).toBe(plain.text);
  });

  it("names the entry when the model file is missing", () => {
    expect(() => createProvider("tiny", { provider: "local", model: "x", modelPath: "/nope/missing.gguf" })).toThrow(/model "tiny": model file not found/);
  });
});
