/**
 * Trace context across agents and systems, on real booted OSes with in-memory exporters:
 * - one LLM agent run end to end: the lead (OpenAI-compatible provider against a scripted loopback
 *   server) asks a second agent through the `agent.request` tool, whose handling (and the tool call
 *   it makes) sits under the lead's tool span, then calls a tool itself — one connected tree, and
 *   each model request carried the traceparent of its chat span;
 * - a letter to a durable agent keeps its sender's context in the journal: handled after a restart,
 *   its span is still the sender's child;
 * - our MCP client puts the tool call's context in `params._meta` and our MCP server (the gateway of
 *   a second OS) reads it: the server's ToolCall span is the client's execute_tool span's child;
 * - the W3C traceparent parser refuses what the spec says a receiver must ignore.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentLogic } from "../../src/abi/index.js";
import { ControlPlane, mcpEndpointFor, startGateway } from "../../src/gateway/index.js";
import { formatTraceparent, parseTraceparent } from "../../src/observe/index.js";
import type { Aios } from "../../src/sdk/index.js";
import { defineTool } from "../../src/tools/index.js";
import { Loopback, json, type Received } from "../models/http-fixture.js";
import { bootTraced, flushed, parentId, spanId as id, type TracedOs } from "./trace-helpers.js";

const server = new Loopback();
let dir: string;

/** The second agent: adds what it is asked with the `add` tool and replies with the sum. */
const helper: AgentLogic<null, unknown> = {
  init: () => null,
  async receive(state, msg, ctx) {
    const { a, b } = msg as { a: number; b: number };
    ctx.reply(await ctx.sys.ToolCall({ tool: "add", args: { a, b } }));
    return state;
  },
};

/** Forwards `{ to }` as a plain send (the durable test's sender). */
const relay: AgentLogic<null, unknown> = {
  init: () => null,
  receive(state, msg, ctx) {
    void ctx.send((msg as { to: string }).to as never, "hello");
    ctx.reply("sent");
    return state;
  },
};

/** Remembers what it received (checkpointed: durable). */
const sink: AgentLogic<string[], unknown> = {
  init: () => [],
  receive: (state, msg) => [...state, String(msg)],
  snapshot: (s) => s,
  restore: (d) => d as string[],
};

let helperId = "";
/** The lead's model: ask the helper for 2+3, then add 1 to that with `add`, then answer. */
function lead(req: Received): unknown {
  const tools = (req.body.messages as { role: string; content: string }[]).filter((m) => m.role === "tool").map((m) => m.content);
  const base = { id: `cmpl-${server.received.length}`, object: "chat.completion", model: "scripted-1", usage: { prompt_tokens: 30, completion_tokens: 5 } };
  const call = (name: string, args: object): unknown => ({ ...base, choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: `call_${tools.length}`, type: "function", function: { name, arguments: JSON.stringify(args) } }] } }] });
  if (tools.length === 0) return call("agent__request", { to: helperId, message: { a: 2, b: 3 } });
  if (tools.length === 1) return call("add", { a: Number(tools[0]), b: 1 });
  return { ...base, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `the answer is ${tools[1]}` } }] };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-trace-prop-"));
  await server.start();
  server.handle = (req, res) => json(res, 200, lead(req));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An OS on data dir `name` with this file's logics; its spans go to the exporter it answers. */
async function start(name: string, extra: Parameters<typeof bootTraced>[0]["extra"] = {}): Promise<TracedOs> {
  return bootTraced({ dataDir: join(dir, name), modelUrl: server.url, logics: { helper, relay, sink }, extra });
}

describe("observe: trace context across agents, restarts and MCP", { timeout: 30_000 }, () => {
  it("makes one LLM agent run one tree, across a request to a second agent and a tool call", async () => {
    const { os, exporter } = await start("e2e");
    let all: ReadableSpan[] = [];
    try {
      helperId = await os.spawn({ name: "helper", kind: "code", logic: "helper", capabilities: ["tool:add#call"] });
      const answer = await os.run(
        { name: "lead", kind: "llm", model: "scripted", instructions: "Delegate, then add.", tools: ["agent.request", "add"], capabilities: ["tool:agent.request#call", `agent:${helperId}#send`, "tool:add#call", "llm:*#invoke"] },
        { goal: "what is 2+3+1?" },
      );
      expect(answer.text).toBe("the answer is 6");
      await os.kill(helperId); // ends the helper's run span
      await flushed(os);
      all = [...exporter.getFinishedSpans()];
    } finally {
      await os.shutdown();
    }
    const run = all.find((s) => s.name === "invoke_agent lead");
    const chats = all.filter((s) => s.name === "chat scripted");
    const ask = all.find((s) => s.name === "execute_tool agent.request");
    const handling = all.find((s) => s.name === "handle helper");
    const adds = all.filter((s) => s.name === "execute_tool add");
    const helperRun = all.find((s) => s.name === "invoke_agent helper");
    expect(run?.parentSpanContext).toBeUndefined();
    expect(chats).toHaveLength(3);
    expect(adds).toHaveLength(2);
    // The tree: lead run -> 3 chats, agent.request, add; agent.request -> helper's handling -> helper's add.
    for (const s of [...chats, ask]) expect(parentId(s)).toBe(id(run));
    expect(handling?.kind).toBe(SpanKind.SERVER);
    expect(parentId(handling)).toBe(id(ask));
    expect(handling?.attributes).toMatchObject({ "gen_ai.agent.id": helperId, "gen_ai.agent.name": "helper", "aios.message.kind": "request" });
    const [helperAdd, leadAdd] = [adds.find((s) => parentId(s) === id(handling)), adds.find((s) => parentId(s) === id(run))];
    expect(helperAdd).toBeDefined();
    expect(leadAdd).toBeDefined();
    // Everything is one trace; the helper's own run (operator-spawned: a trace of its own) is linked, not parent.
    const traceId = run?.spanContext().traceId;
    for (const s of [...chats, ask, handling, ...adds]) expect(s?.spanContext().traceId).toBe(traceId);
    expect(handling?.links.map((l) => l.context.spanId)).toEqual([id(helperRun)]);
    expect(helperRun?.spanContext().traceId).not.toBe(traceId);
    // The handling starts inside the tool call that waits for it (it may end after: the reply goes out first).
    const ns = (t: readonly [number, number]): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    expect(ns((handling as ReadableSpan).startTime) >= ns((ask as ReadableSpan).startTime)).toBe(true);
    // The provider's HTTP calls carried each chat span's W3C traceparent.
    expect(server.received.map((r) => r.headers["traceparent"])).toEqual(chats.map((s) => formatTraceparent(s.spanContext())));
    server.received.length = 0;
  });

  it("keeps a durable letter's context in the journal: handled after a restart, its span is the sender's child", async () => {
    const boot1 = await start("durable");
    const first = boot1.exporter;
    let os = boot1.os;
    const target = await os.spawn({ name: "sink", kind: "code", logic: "sink", durable: true });
    const from = await os.spawn({ name: "relay", kind: "code", logic: "relay", capabilities: [`agent:${target}#send`] });
    await os.pause(target);
    expect(await os.request(from, { to: target })).toBe("sent");
    await os.kill(from);
    await flushed(os);
    const relayRun = first.getFinishedSpans().find((s) => s.name === "invoke_agent relay");
    expect(relayRun).toBeDefined();
    await os.shutdown();

    const boot2 = await start("durable");
    const second = boot2.exporter;
    os = boot2.os;
    try {
      await os.resume(target);
      for (let i = 0; i < 200 && !second.getFinishedSpans().some((s) => s.name === "handle sink"); i++) await flushed(os);
      const handling = second.getFinishedSpans().find((s) => s.name === "handle sink");
      expect(handling?.kind).toBe(SpanKind.CONSUMER);
      expect(handling?.attributes["aios.message.kind"]).toBe("send");
      expect(parentId(handling)).toBe(id(relayRun));
      expect(handling?.spanContext().traceId).toBe(relayRun?.spanContext().traceId);
    } finally {
      await os.shutdown();
    }
  });

  it("carries a tool call's context through MCP params._meta to our MCP server's ToolCall span", async () => {
    const TOKEN = "trace-mcp-token-0123456789";
    const { os: remote, exporter: serverSpans } = await start("mcp-server");
    remote.tools.register(defineTool({ name: "greet", description: "says hello", input: z.strictObject({ who: z.string() }), sideEffect: false, requires: () => [], execute: (a) => Promise.resolve(`hello ${a.who}`) }));
    const endpoint = mcpEndpointFor(remote, { apiToken: TOKEN, version: "test", operatorCapabilities: ["tool:greet#call"] });
    const gw = await startGateway(new ControlPlane(remote), { token: TOKEN, port: 0, mcp: endpoint });
    let clientSpans: TracedOs["exporter"] | undefined;
    let local: Aios | undefined;
    try {
      ({ os: local, exporter: clientSpans } = await start("mcp-client", { subsystems: { mcp: { servers: { remote: { url: `${gw.url}/mcp`, headers: { authorization: `Bearer ${TOKEN}` } } } } } }));
      const agent = await local.spawn({ name: "caller", kind: "code", logic: "sink", capabilities: ["tool:mcp.remote.greet#call"] });
      expect(await local.syscall(agent, "ToolCall", { tool: "mcp.remote.greet", args: { who: "trace" } })).toMatchObject({ content: [{ type: "text", text: "\"hello trace\"" }] });
      await flushed(local);
      await flushed(remote);
      const sent = clientSpans.getFinishedSpans().find((s) => s.name === "execute_tool mcp.remote.greet");
      const served = serverSpans.getFinishedSpans().find((s) => s.name === "execute_tool greet");
      expect(sent).toBeDefined();
      expect(served?.spanContext().traceId).toBe(sent?.spanContext().traceId);
      expect(parentId(served)).toBe(id(sent));
      expect(served?.parentSpanContext?.isRemote).toBe(true);
    } finally {
      await local?.shutdown();
      await gw.close();
      await endpoint.close();
      await remote.shutdown();
    }
  });

  it("parses a traceparent as the W3C spec tells a receiver to", () => {
    const ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect(parseTraceparent(ok)).toMatchObject({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1, isRemote: true });
    expect(formatTraceparent(parseTraceparent(ok) as never)).toBe(ok);
    expect(parseTraceparent(ok, "a=1,b=2")?.traceState?.get("b")).toBe("2");
    expect(parseTraceparent(ok, "a=1,b=2")?.traceState?.set("b", "3").serialize()).toBe("b=3,a=1");
    // A future version may append fields; version 00 may not.
    expect(parseTraceparent(`cc-${ok.slice(3)}-extra`)?.spanId).toBe("b7ad6b7169203331");
    for (const bad of [`${ok}-extra`, `ff-${ok.slice(3)}`, "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "garbage"]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
