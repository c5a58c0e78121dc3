/** The loopback continuous-batching fixture speaks the Chat Completions wire format and batches. */
import { afterEach, describe, expect, it } from "vitest";
import { startBatchingServer, type BatchingServer } from "../fixtures/batching-server.js";

let srv: BatchingServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const post = (body: unknown): Promise<Response> =>
  fetch(`${srv?.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("batching-server fixture", () => {
  it("answers a completion with real usage fields", async () => {
    srv = await startBatchingServer({ decodeTokensPerSec: 2_000 });
    const r = await post({ model: "m", messages: [{ role: "user", content: "x".repeat(40) }], max_tokens: 5 });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: Record<string, number> };
    expect(j.usage).toEqual({ prompt_tokens: 14, completion_tokens: 5, total_tokens: 19 });
    expect(j.choices[0]?.message.content.split(" ")).toHaveLength(5);
    expect(j.choices[0]?.finish_reason).toBe("length");
  });

  it("streams SSE chunks, a usage chunk when asked, then [DONE]", async () => {
    srv = await startBatchingServer({ decodeTokensPerSec: 2_000 });
    const r = await post({ messages: [{ role: "user", content: "hi" }], max_tokens: 4, stream: true, stream_options: { include_usage: true } });
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const events = (await r.text()).split("\n\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: { delta: { content?: string } }[]; usage?: { completion_tokens: number } });
    const content = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");
    expect(content.split(" ")).toHaveLength(4);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(4);
  });

  it("runs at most maxBatch sequences at once and queues the rest", async () => {
    srv = await startBatchingServer({ maxBatch: 2, decodeTokensPerSec: 1_000 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, () => post({ messages: [{ role: "user", content: "a" }], max_tokens: 20 }).then((r) => r.json())));
    const elapsed = performance.now() - t0;
    const st = srv.stats();
    expect(st).toMatchObject({ requests: 4, completed: 4, maxActive: 2, completionTokens: 80 });
    // Two waves of 20 tokens at 1,000 tokens/s. Node timers round to whole milliseconds and may fire
    // up to ~1 ms early against performance.now(), so the bounds allow that rounding per timer, no more.
    expect(elapsed).toBeGreaterThanOrEqual(40 - 2);
    expect(st.busySeqMs).toBeGreaterThanOrEqual(4 * (20 - 1));
  });

  it("rejects malformed bodies with 400 and a named field", async () => {
    srv = await startBatchingServer();
    const bad = await post("{nope");
    expect(bad.status).toBe(400);
    const r = await post({ messages: [{ role: "user", content: "x" }], max_tokens: 0 });
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/max_tokens/);
  });
});
