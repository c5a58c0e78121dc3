/**
 * a2a.send, the client half: an AIOS agent calls a remote A2A agent built with the official
 * @a2a-js/sdk server (DefaultRequestHandler + JsonRpcTransportHandler on node:http, loopback).
 * Checked: the answer comes back through the tool; without `a2a:<host>#send` the door refuses
 * before any request; without the loopback address-class grant the egress guard refuses; the
 * caller's W3C trace context reaches the remote in `traceparent` when the call is traced.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentCard, TaskState } from "@a2a-js/sdk";
import { DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, ServerCallContext, AgentEvent, type AgentExecutor } from "@a2a-js/sdk/server";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlPlane, startA2a, startGateway, type A2aServer, type Gateway } from "../../../src/gateway/index.js";
import { boot, type Aios } from "../../../src/sdk/index.js";
import { silentLogger } from "../../../src/index.js";

const GRANTS: string[] = ["tool:a2a.send#call", "a2a:127.0.0.1#send", "net:127.0.0.1:*#fetch", "net-class:loopback#connect"];

let server: Server;
let base = "";
const seenHeaders: Record<string, string | undefined>[] = [];
let os: Aios;
const exporter = new InMemorySpanExporter();
let a2a: A2aServer;
let gw: Gateway;
const API = "a2a-send-test-token-0123456789";
let dir: string;

const executor: AgentExecutor = {
  async execute(ctx, bus) {
    const text = ctx.userMessage.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("");
    const now = new Date().toISOString();
    bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: now }, artifacts: [], history: [ctx.userMessage], metadata: {} }));
    bus.publish(AgentEvent.artifactUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, artifact: { artifactId: "a1", name: "answer", description: "", parts: [{ content: { $case: "text", value: `remote says: ${text.toUpperCase()}` }, metadata: undefined, filename: "", mediaType: "" }], metadata: undefined, extensions: [] }, append: false, lastChunk: true, metadata: undefined }));
    bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: now }, metadata: undefined }));
    bus.finished();
    return Promise.resolve();
  },
  cancelTask: () => Promise.resolve(),
};

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card = AgentCard.fromJSON({
    name: "remote-upper",
    description: "an A2A agent built with the official SDK",
    version: "1.0.0",
    supportedInterfaces: [{ url: `${base}/rpc`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
    capabilities: { streaming: false, pushNotifications: false },
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [{ id: "upper", name: "upper", description: "upper-cases", tags: ["test"] }],
  });
  const rpc = new JsonRpcTransportHandler(new DefaultRequestHandler(card, new InMemoryTaskStore(), executor));
  server.on("request", (req, res) => {
    seenHeaders.push({ traceparent: req.headers["traceparent"] as string | undefined, version: req.headers["a2a-version"] as string | undefined });
    if (req.method === "GET" && req.url === "/.well-known/agent-card.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(AgentCard.toJSON(card)));
      return;
    }
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      void (async () => {
        const out = await rpc.handle(body, new ServerCallContext({ requestedVersion: String(req.headers["a2a-version"] ?? "0.3") }));
        if (Symbol.asyncIterator in out) throw new Error("no streaming in this test");
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      })();
    });
  });
  dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-a2a-send-")));
  os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, logics: { idle: { receive: (st) => st }, echo: { receive: (st, m, ctx) => (ctx.reply(`echo: ${(m as { text: string }).text}`), st) } }, subsystems: { embedder: false, memory: false, mcp: false, observe: { tracing: { exporter } } } });
  await os.spawn({ name: "caller", kind: "code", logic: "idle", capabilities: GRANTS });
  await os.spawn({ name: "no-a2a", kind: "code", logic: "idle", capabilities: GRANTS.filter((g) => !g.startsWith("a2a:")) });
  await os.spawn({ name: "echo", kind: "code", logic: "echo", a2a: true });
  a2a = startA2a(os, { apiToken: API, version: "test" });
  gw = await startGateway(new ControlPlane(os), { token: API, port: 0, a2a: a2a.endpoint });
  await os.spawn({ name: "no-loopback", kind: "code", logic: "idle", capabilities: GRANTS.filter((g) => !g.startsWith("net-class:")) });
}, 60_000);

afterAll(async () => {
  await gw.close();
  a2a.close();
  await os.shutdown();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});


describe("a2a.send against an @a2a-js/sdk server", { timeout: 20_000 }, () => {
  it("sends a message and returns the remote's completed task and answer", async () => {
    const out = (await os.callTool("a2a.send", { url: base, text: "hello remote" }, { as: "caller" })) as { kind: string; state: string; text: string; taskId: string };
    expect(out).toMatchObject({ kind: "task", state: "TASK_STATE_COMPLETED", text: "remote says: HELLO REMOTE" });
    expect(out.taskId).not.toBe("");
    expect(seenHeaders.at(-1)?.version).toBe("1.0");
  });

  it("carries the calling ToolCall's trace context to the remote as a W3C traceparent", async () => {
    await os.callTool("a2a.send", { url: base, text: "traced" }, { as: "caller" });
    const tp = seenHeaders.at(-1)?.traceparent ?? "";
    expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const traceId = tp.split("-")[1];
    await new Promise((r) => setImmediate(r));
    await os.subsystems.observe?.tracing?.forceFlush();
    const spans = exporter.getFinishedSpans().filter((sp) => sp.spanContext().traceId === traceId);
    expect(spans.map((sp) => sp.name).join(" ")).toMatch(/a2a\.send/);
  });

  it("is refused at the door without a2a:<host>#send, before any request", async () => {
    const before = seenHeaders.length;
    await expect(os.callTool("a2a.send", { url: base, text: "x" }, { as: "no-a2a" })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(seenHeaders.length).toBe(before);
  });

  it("is refused by the egress guard without the loopback address-class grant", async () => {
    const before = seenHeaders.length;
    await expect(os.callTool("a2a.send", { url: base, text: "x" }, { as: "no-loopback" })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(seenHeaders.length).toBe(before);
  });

  it("an AIOS agent calls an AIOS agent over A2A: one trace from the caller's tool call to the callee's turn", async () => {
    const out = (await os.callTool("a2a.send", { url: `${gw.url}/a2a/agents/echo`, text: "loop", headers: { authorization: `Bearer ${API}` } }, { as: "caller" })) as { state: string; text: string };
    expect(out).toMatchObject({ state: "TASK_STATE_COMPLETED", text: "echo: loop" });
    await new Promise((r) => setImmediate(r));
    await os.subsystems.observe?.tracing?.forceFlush();
    const spans = exporter.getFinishedSpans();
    const tool = spans.filter((sp) => /a2a\.send/.test(sp.name)).at(-1);
    expect(tool).toBeDefined();
    const sameTrace = spans.filter((sp) => sp.spanContext().traceId === tool?.spanContext().traceId).map((sp) => sp.name);
    // The server ran the turn under the client's traceparent: the AgentRequest to echo and echo's handling are in it.
    expect(sameTrace).toContain("invoke_agent echo");
    expect(sameTrace).toContain("handle echo");
  });
});
