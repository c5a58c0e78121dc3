import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SimulatedClock } from "../../src/index.js";
import { Identities, MemoryKeyStore } from "../../src/security/index.js";
import { ask, deadLetters, isEnvelope, keysFromIdentities, openStream, publish, replayDeadLetter, send, streamReader, type Envelope } from "../../src/ipc/index.js";
import { bootIpc, codeOf, recorder, settle } from "./helpers.js";

describe("delivery through the kernel", () => {
  it("keeps ctx.send and plain SemanticSend letters bare, while envelope sends arrive as envelopes", async () => {
    const { os } = await bootIpc();
    const seen: unknown[] = [];
    const b = await os.spawn({ name: "b", kind: "code", logic: recorder(seen) });
    const a = await os.spawn({ name: "a", kind: "code", logic: recorder([]), capabilities: [`agent:${b}#send`] });
    await os.syscall(a, "SemanticSend", { to: b, payload: "plain" });
    const r = await os.syscall(a, "SemanticSend", { to: b, payload: { n: 1 }, performative: "propose", conversation: "c1" });
    await settle();
    expect(seen[0]).toBe("plain");
    const env = seen[1] as Envelope;
    expect(isEnvelope(env)).toBe(true);
    expect(env).toMatchObject({ id: r?.id, from: a, to: b, performative: "propose", conversation: "c1", payload: { n: 1 } });
    expect(await codeOf(os.syscall(a, "SemanticSend", { to: b, topic: "x", payload: 1 }))).toBe("E_INVALID_ARG");
    await os.shutdown();
  });

  it("dead-letters with reasons: unknown agent, agent ended, schema on receipt, bad signature, unsigned, mailbox full", async () => {
    const ids = new Identities(new MemoryKeyStore(), new SimulatedClock());
    const { os, plugin } = await bootIpc({ identities: ids, signatures: { agents: {} } });
    const ipc = plugin.ipc;
    ipc.schemas.register("n.v1", z.object({ n: z.number() }));
    const b = await os.spawn({ name: "b", kind: "code", logic: recorder([]) });
    const full = await os.spawn({ name: "full", kind: "code", logic: recorder([]), mailbox: { capacity: 1, onFull: "fail" } });
    await os.pause(full);
    expect(await codeOf(send(os, { to: "ag_nobody", payload: 1 }))).toBe("E_NO_AGENT");
    await os.kill(b);
    expect(await codeOf(send(os, { to: b, payload: 1 }))).toBe("E_NO_AGENT");
    const c = await os.spawn({ name: "c", kind: "code", logic: recorder([]) });
    // A forged envelope from the wire: claims a schema its payload does not meet.
    const forged = { id: "msg_x1", to: c, performative: "inform", conversation: "msg_x1", schema: "n.v1", payload: { n: "no" }, taint: [], ts: 0 };
    expect(await codeOf(ipc.receive(forged))).toBe("E_INVALID_ARG");
    // Signed by a's key, then tampered with.
    const a = await os.spawn({ name: "a", kind: "code", logic: recorder([]) });
    const { env } = ipc.build(os.kernel.find(a), { to: c, payload: { n: 1 } });
    expect(env.signature).toBeDefined();
    expect(await codeOf(ipc.receive({ ...env, payload: { n: 2 } }))).toBe("E_AUTH");
    expect(await codeOf(ipc.receive(env))).toBe("ok");
    // Unsigned, where the recipient requires signatures.
    ipc.signatures.setAgent(c, "required");
    expect(await codeOf(send(os, { to: c, payload: 1 }))).toBe("E_AUTH");
    expect(await codeOf(send(os, { to: c, payload: 1 }, a))).toBe("ok");
    expect(await codeOf(send(os, { to: full, payload: 1 }))).toBe("ok");
    expect(await codeOf(send(os, { to: full, payload: 2, onFull: "fail" }))).toBe("E_MAILBOX_FULL");
    expect(deadLetters(os).map((d) => d.reason)).toEqual(["unknown_agent", "agent_ended", "schema", "bad_signature", "unsigned", "mailbox_full"]);
    expect(await codeOf(send(os, { to: c, payload: "x".repeat(70_000) }))).toBe("E_INVALID_ARG");
    // Replay: once the mailbox has room the letter goes through and leaves the queue.
    const mf = deadLetters(os, { reason: "mailbox_full" })[0]!;
    await expect(replayDeadLetter(os, mf.id)).rejects.toMatchObject({ code: "E_MAILBOX_FULL" });
    await os.resume(full);
    await settle();
    const again = deadLetters(os, { reason: "mailbox_full" })[0]!;
    await replayDeadLetter(os, again.id);
    expect(deadLetters(os, { reason: "mailbox_full" })).toEqual([]);
    await os.shutdown();
  });

  it("dead-letters one-way mail still queued when its agent is killed", async () => {
    const { os } = await bootIpc();
    const b = await os.spawn({ name: "b", kind: "code", logic: recorder([]) });
    await os.pause(b);
    await send(os, { to: b, payload: 1 });
    await os.kill(b);
    expect(deadLetters(os, { reason: "agent_ended" }).map((d) => d.recipient)).toEqual([b]);
    await os.shutdown();
  });

  it("de-duplicates by message id for durable agents (at-least-once retries)", async () => {
    const { os, plugin } = await bootIpc({ dedupAll: true, dedupWindow: 2 });
    const seen: unknown[] = [];
    const b = await os.spawn({ name: "b", kind: "code", logic: recorder(seen) });
    const r1 = await send(os, { to: b, payload: 1, id: "msg_retry" });
    const r2 = await send(os, { to: b, payload: 1, id: "msg_retry" });
    expect([r1.delivered, r2.duplicates]).toEqual([[b], 1]);
    await send(os, { to: b, payload: 2, id: "m2" });
    await send(os, { to: b, payload: 3, id: "m3" });
    // The window holds 2 ids: the oldest fell out and would be accepted again.
    expect((await send(os, { to: b, payload: 1, id: "msg_retry" })).delivered).toEqual([b]);
    await settle();
    expect(seen).toHaveLength(4);
    expect(plugin.ipc.seen.duplicates).toBe(1);
    await os.shutdown();
  });

  it("publishes to wildcard subscribers (push and pull) and SemanticRecv waits on the simulated clock", async () => {
    const { os, clock } = await bootIpc();
    const pushed: unknown[] = [];
    const pusher = await os.spawn({ name: "p", kind: "code", logic: recorder(pushed), capabilities: ["topic:orders.**#subscribe"] });
    const puller = await os.spawn({ name: "q", kind: "code", logic: recorder([]), capabilities: ["topic:**#subscribe"] });
    await os.syscall(pusher, "SemanticSubscribe", { pattern: "orders.*" });
    await os.syscall(puller, "SemanticSubscribe", { pattern: "orders.>", mode: "pull" });
    expect(await codeOf(os.syscall(pusher, "SemanticSubscribe", { pattern: "billing.*" }))).toBe("E_CAP_DENIED");
    const r = await publish(os, "orders.eu.new", { id: 1 });
    expect(r.delivered).toEqual([puller]);
    await publish(os, "orders.new", { id: 2 });
    await settle();
    expect(pushed.map((m) => (m as Envelope).payload)).toEqual([{ id: 2 }]);
    expect((await os.syscall(puller, "SemanticRecv", {}))?.payload).toEqual({ id: 1 });
    expect((await os.syscall(puller, "SemanticRecv", {}))?.payload).toEqual({ id: 2 });
    const waiting = os.syscall(puller, "SemanticRecv", { timeoutMs: 1000 });
    await settle();
    clock.advance(999);
    await publish(os, "orders.late", { id: 3 });
    expect((await waiting)?.payload).toEqual({ id: 3 });
    const empty = os.syscall(puller, "SemanticRecv", { timeoutMs: 1000 });
    await settle();
    clock.advance(1000);
    expect(await empty).toBeNull();
    await os.shutdown();
  });

  it("requests time out on the simulated clock, cancel by AbortSignal, and check the reply schema", async () => {
    const { os, clock, plugin } = await bootIpc();
    plugin.ipc.schemas.register("echo.v1", z.object({ echo: z.number() }));
    const silent = await os.spawn({ name: "silent", kind: "code", logic: { receive: (s: null) => s } });
    const echo = await os.spawn({ name: "echo", kind: "code", logic: recorder([]) });
    const t = ask(os, { to: silent, payload: 1 }, { timeoutMs: 5000 });
    await settle();
    clock.advance(4999);
    await settle();
    let settled = false;
    void t.catch(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(t).rejects.toMatchObject({ code: "E_TIMEOUT" });
    const ac = new AbortController();
    const c = ask(os, { to: silent, payload: 1 }, { signal: ac.signal });
    ac.abort(new Error("user left"));
    await expect(c).rejects.toMatchObject({ code: "E_CANCELLED", message: expect.stringMatching(/user left/) });
    expect(await ask(os, { to: echo, payload: 4 }, { expect: "echo.v1" })).toEqual({ echo: 4 });
    await expect(ask(os, { to: echo, payload: "four" }, { expect: "echo.v1" })).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await os.shutdown();
  });

  it("broadcast reaches every live agent of the tenant but the sender", async () => {
    const { os } = await bootIpc();
    const seen: unknown[] = [];
    const a = await os.spawn({ name: "a", kind: "code", logic: recorder(seen), capabilities: ["agent:*#send"] });
    const b = await os.spawn({ name: "b", kind: "code", logic: recorder(seen) });
    const other = await os.spawn({ name: "o", kind: "code", logic: recorder(seen), tenant: "other" });
    const r = await os.syscall(a, "SemanticSend", { to: "*", payload: "hi" });
    expect(r?.delivered).toEqual([b]);
    void other;
    await os.shutdown();
  });
});

describe("streams", () => {
  it("preserve order under backpressure: the producer waits while the consumer's window is full", async () => {
    const { os } = await bootIpc({ keys: keysFromIdentities(new Identities(new MemoryKeyStore(), new SimulatedClock())) });
    const seen: unknown[] = [];
    const consumer = await os.spawn({ name: "c", kind: "code", logic: recorder(seen) });
    const producer = await os.spawn({ name: "p", kind: "code", logic: recorder([]) });
    const w = await openStream(os, consumer, { window: 3 }, producer);
    await settle();
    expect((seen[0] as Envelope).payload).toMatchObject({ stream: w.id, window: 3 });
    // Ten writes issued at once: only three fit the window.
    const done: number[] = [];
    const writes = Array.from({ length: 10 }, (_, i) => w.write({ i }).then(() => done.push(i)));
    await settle();
    expect(done).toEqual([0, 1, 2]);
    const r = streamReader(os, w.id);
    expect(r.buffered).toBe(3);
    const got: number[] = [];
    const first = await r.read();
    got.push((first.value as Envelope).payload as never);
    await settle();
    expect(done).toEqual([0, 1, 2, 3]);
    w.end();
    for await (const chunk of { [Symbol.asyncIterator]: () => ({ next: () => r.read() }) }) got.push(chunk.payload as never);
    await Promise.all(writes);
    expect(got.map((x) => (x as unknown as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Consumer reads through SemanticRecv too; a cancelled stream rejects waiting writers.
    const w2 = await openStream(os, consumer, { window: 1 }, producer);
    await w2.write("a");
    const blocked = w2.write("b");
    expect((await os.syscall(consumer, "SemanticRecv", { stream: w2.id }))?.payload).toBe("a");
    await blocked;
    streamReader(os, w2.id).cancel();
    await expect(w2.write("c")).rejects.toMatchObject({ code: "E_CANCELLED" });
    await os.shutdown();
  });
});
