/**
 * Agents produce streams through syscalls (StreamOpen / StreamWrite / StreamEnd / StreamCancel),
 * end to end through boot() with ipcSubsystem: a producer agent streams ordered chunks to a consumer
 * agent that reads them with SemanticRecv({ stream }) one at a time; with a window of 2 the producer
 * is held (its receive does not return, later mail waits) until the consumer reads; a denied
 * capability never reaches the handler; bad input, foreign and closed streams get clear errors.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentLogic } from "../../src/index.js";
import { isEnvelope } from "../../src/ipc/index.js";
import { bootIpc, codeOf, settle } from "./helpers.js";

/** An append-only log whose reader can wait for a length (no polling, no sleeps). */
class Log<T> {
  readonly items: T[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  push(x: T): void {
    this.items.push(x);
    this.waiters = this.waiters.filter((w) => (this.items.length >= w.n ? (w.resolve(), false) : true));
  }
  reach(n: number): Promise<void> {
    return this.items.length >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

type Go = { go: string; n: number; window: number };

/** On { go, n, window }: opens a stream, writes n chunks { i }, ends it. Any other message is logged. */
function producer(progress: Log<number | "open" | "end">, other: Log<unknown>): AgentLogic<null> {
  return {
    init: () => null,
    receive: async (s, m, ctx) => {
      const go = m as Partial<Go>;
      if (typeof go.go !== "string") {
        other.push(m);
        return s;
      }
      const { stream } = await ctx.sys.StreamOpen({ to: go.go, window: go.window ?? 2 });
      progress.push("open");
      for (let i = 0; i < (go.n ?? 0); i++) {
        const { seq } = await ctx.sys.StreamWrite({ stream, chunk: { i } });
        progress.push(seq);
      }
      await ctx.sys.StreamEnd({ stream });
      progress.push("end");
      return s;
    },
  };
}

/** Learns the stream from its "stream" envelope; on "read" reads one chunk and replies with it. */
function consumer(opened: Log<string>): AgentLogic<{ stream?: string }> {
  return {
    init: () => ({}),
    receive: async (s, m, ctx) => {
      if (isEnvelope(m) && m.performative === "stream") {
        const stream = (m.payload as { stream: string }).stream;
        opened.push(stream);
        return { stream };
      }
      if (s.stream === undefined) return s;
      const r = await ctx.sys.SemanticRecv({ stream: s.stream });
      ctx.reply(r?.done === true ? "done" : r?.payload);
      return s;
    },
  };
}

describe("stream syscalls", () => {
  it("a producer agent streams ordered chunks; a full window holds it until the consumer reads", async () => {
    const { os } = await bootIpc();
    const progress = new Log<number | "open" | "end">();
    const other = new Log<unknown>();
    const opened = new Log<string>();
    const c = await os.spawn({ name: "c", kind: "code", logic: consumer(opened) });
    const p = await os.spawn({ name: "p", kind: "code", logic: producer(progress, other), capabilities: [`agent:${c}#stream`] });
    const n = 8;
    await os.send(p, { go: c, n, window: 2 } satisfies Go);
    await progress.reach(3);
    await os.send(p, "ping");
    await settle(10);
    // Two chunks fit the window; the third write waits, and so does the producer's next message.
    expect(progress.items).toEqual(["open", 0, 1]);
    expect(other.items).toEqual([]);
    await opened.reach(1);
    const got: unknown[] = [];
    for (let k = 0; k < n; k++) {
      got.push(await os.request(c, "read"));
      // Each read frees one credit: exactly one more write goes through (two while chunks remain).
      await progress.reach(Math.min(n, k + 3) + 1);
      await settle(5);
      expect(progress.items.length).toBe(Math.min(n, k + 3) + (k + 3 >= n ? 2 : 1));
    }
    expect(got).toEqual(Array.from({ length: n }, (_, i) => ({ i })));
    expect(progress.items).toEqual(["open", ...Array.from({ length: n }, (_, i) => i), "end"]);
    expect(await os.request(c, "read")).toBe("done");
    await other.reach(1);
    expect(other.items).toEqual(["ping"]);
    // Read to the end, the stream left the table; a late write is told it ended, not "unknown".
    const stream = opened.items[0] as string;
    expect(await codeOf(os.syscall(p, "StreamWrite", { stream, chunk: 1 }))).toBe("E_INVALID_ARG");
    await os.shutdown();
  });

  it("a denied capability never reaches the handler: no stream opens, the consumer hears nothing", async () => {
    const { os, plugin } = await bootIpc();
    const opened = new Log<string>();
    const c = await os.spawn({ name: "c", kind: "code", logic: consumer(opened) });
    const p = await os.spawn({ name: "p", kind: "code", logic: producer(new Log(), new Log()), capabilities: [`agent:${c}#send`] });
    const denied: string[] = [];
    os.events.subscribe({ types: ["syscall.denied"] }, (e) => {
      if (e.type === "syscall.denied") denied.push(e.data.name);
    });
    const err = await os.syscall(p, "StreamOpen", { to: c }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_CAP_DENIED", details: { resource: `agent:${c}`, action: "stream" } });
    await settle(5);
    expect(opened.items).toEqual([]);
    expect(plugin.ipc.deadLetters.list({})).toEqual([]);
    expect(denied).toEqual(["StreamOpen"]);
    await os.shutdown();
  });

  it("bad input, oversize and off-schema chunks, foreign, unknown, ended and cancelled streams get clear errors", async () => {
    const { os, plugin } = await bootIpc();
    plugin.ipc.schemas.register("point", z.object({ x: z.number() }).strict());
    const opened = new Log<string>();
    const c = await os.spawn({ name: "c", kind: "code", logic: consumer(opened) });
    const caps = [`agent:${c}#stream`];
    const p = await os.spawn({ name: "p", kind: "code", logic: producer(new Log(), new Log()), capabilities: caps });
    const q = await os.spawn({ name: "q", kind: "code", logic: producer(new Log(), new Log()), capabilities: caps });
    const fail = (as: string, name: "StreamOpen" | "StreamWrite" | "StreamEnd" | "StreamCancel", args: unknown) =>
      os.syscall(as, name, args as never).then(() => "ok", (e: unknown) => e as { code: string; message: string; details?: { path?: string } });

    expect(await fail(p, "StreamOpen", { to: c, window: 0 })).toMatchObject({ code: "E_INVALID_ARG", details: { path: "window" } });
    expect(await fail(p, "StreamOpen", { to: c, extra: true })).toMatchObject({ code: "E_INVALID_ARG" });
    expect(await fail(p, "StreamOpen", { to: c, schema: "nope" })).toMatchObject({ code: "E_INVALID_ARG", details: { path: "schema" } });
    expect(await fail(p, "StreamWrite", { chunk: 1 })).toMatchObject({ code: "E_INVALID_ARG", details: { path: "stream" } });

    const { stream } = await os.syscall(p, "StreamOpen", { to: c, window: 4, schema: "point" });
    const big = await fail(p, "StreamWrite", { stream, chunk: { x: 1, pad: "y".repeat(70_000) } });
    expect(big).toMatchObject({ code: "E_INVALID_ARG", details: { path: "chunk" } });
    expect(await fail(p, "StreamWrite", { stream, chunk: { x: "one" } })).toMatchObject({ code: "E_INVALID_ARG", details: { path: "chunk.x" } });
    // Refused chunks took no sequence number: the stream is open and has no hole.
    expect(await os.syscall(p, "StreamWrite", { stream, chunk: { x: 1 } })).toEqual({ seq: 0 });
    expect(await fail(q, "StreamWrite", { stream, chunk: { x: 2 } })).toMatchObject({ code: "E_CAP_DENIED", details: { path: "stream" } });
    expect(await fail(c, "StreamEnd", { stream })).toMatchObject({ code: "E_CAP_DENIED" });
    expect(await fail(p, "StreamWrite", { stream: "stream_nope", chunk: { x: 1 } })).toMatchObject({ code: "E_NOT_FOUND" });
    expect(await os.syscall(p, "StreamEnd", { stream })).toEqual({ chunks: 1 });
    expect(await fail(p, "StreamWrite", { stream, chunk: { x: 3 } })).toMatchObject({ code: "E_INVALID_ARG", message: expect.stringContaining("has ended") });
    expect((await os.syscall(c, "SemanticRecv", { stream }))?.payload).toEqual({ x: 1 });
    expect(await os.syscall(c, "SemanticRecv", { stream })).toMatchObject({ done: true });

    // The consumer cancels: the producer's next write is told so.
    const s2 = (await os.syscall(p, "StreamOpen", { to: c })).stream;
    expect(await os.syscall(c, "StreamCancel", { stream: s2, reason: "enough" })).toEqual({ cancelled: true });
    expect(await fail(p, "StreamWrite", { stream: s2, chunk: 1 })).toMatchObject({ code: "E_CANCELLED", message: expect.stringContaining("enough") });

    // The producer aborts: the consumer reads what was sent, then the cancellation.
    const s3 = (await os.syscall(p, "StreamOpen", { to: c })).stream;
    await os.syscall(p, "StreamWrite", { stream: s3, chunk: "a" });
    expect(await os.syscall(p, "StreamCancel", { stream: s3, reason: "upstream failed" })).toEqual({ cancelled: true });
    expect((await os.syscall(c, "SemanticRecv", { stream: s3 }))?.payload).toBe("a");
    expect(await codeOf(os.syscall(c, "SemanticRecv", { stream: s3 }))).toBe("E_CANCELLED");
    expect(await fail(p, "StreamWrite", { stream: s3, chunk: "b" })).toMatchObject({ code: "E_CANCELLED" });
    await os.shutdown();
  });
});
