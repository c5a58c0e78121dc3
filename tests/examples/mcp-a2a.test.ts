/**
 * The MCP-over-A2A example (examples/specs/mcp-a2a.yaml) end to end: a real MCP server from npm
 * (@modelcontextprotocol/server-everything, stdio, in the bubblewrap sandbox), the spec file and
 * the models file unchanged (the model a scripted OpenAI-compatible server on loopback), the agent
 * exposed by the A2A server on a real gateway and driven by the official @a2a-js/sdk client.
 * Asserted on the real effects: the server's own answer is the task's artifact, the call is in the
 * audit log as the agent's ToolCall, and a tool of the same server the spec does not grant is
 * refused at the door (E_CAP_DENIED) — the task says so and the server never ran it.
 */
import { join, resolve } from "node:path";
import { SendMessageRequest, Task, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from "@a2a-js/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/abi/index.js";
import { ControlPlane, startA2a, startGateway, type A2aServer, type Gateway } from "../../src/gateway/index.js";
import type { Aios } from "../../src/sdk/index.js";
import { FakeOpenAI } from "./fake-openai.js";
import { bootWithModelsFile, endpointEnv, EXAMPLES, withEnv } from "./helpers.js";
import { calculator } from "./scripts.js";

const TOKEN = "mcp-a2a-example-token-0123456789";
const EVERYTHING = resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");

const model = new FakeOpenAI(calculator);
let restoreEnv: () => void = () => undefined;
let os: Aios;
let done: () => Promise<void>;
let a2a: A2aServer;
let gw: Gateway;
let agent: string;

beforeAll(async () => {
  await model.start();
  restoreEnv = withEnv(endpointEnv(model.url));
  // The server registered as `aios mcp add everything -- node <server-everything> stdio` does.
  ({ os, done } = await bootWithModelsFile({ subsystems: { embedder: false, memory: false, mcp: { servers: { everything: { command: ["node", EVERYTHING, "stdio"] } } } } }));
  agent = await os.spawn(await loadSpecFile(join(EXAMPLES, "specs", "mcp-a2a.yaml")));
  a2a = startA2a(os, { apiToken: TOKEN, version: "test" });
  gw = await startGateway(new ControlPlane(os), { token: TOKEN, port: 0, a2a: a2a.endpoint });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  a2a?.close();
  await done?.();
  restoreEnv();
  await model.stop();
});

const authFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("authorization", `Bearer ${TOKEN}`);
  return fetch(input, { ...init, headers });
};

async function client(): Promise<Client> {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: authFetch })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: authFetch }),
    }),
  );
  return factory.createFromUrl(`${gw.url}/a2a/agents/calculator/.well-known/agent-card.json`, "");
}

let n = 0;
const send = (text: string): SendMessageRequest => SendMessageRequest.fromJSON({ message: { messageId: `mcp-a2a-${++n}`, role: "ROLE_USER", parts: [{ text }] } });
const artifactText = (t: Task): string => {
  const wire = Task.toJSON(t) as { artifacts?: { parts?: { text?: string }[] }[] };
  return (wire.artifacts ?? []).flatMap((a) => a.parts ?? []).map((p) => p.text ?? "").join("\n");
};
/** The agent's audited ToolCalls of `tool` (allowed ones name the granting token, denied ones the resource). */
// The agent's audited ToolCalls of `tool`: an entry each, or, for a call the server declares
// read-only and a capability allowed, a count in the signed per-interval aggregate (ADR 0043).
const toolCalls = (tool: string): { kind: string; data: Record<string, unknown> }[] => {
  os.audit.drain();
  return os.audit
    .entries({ agent, limit: 100_000 })
    .filter((e) => (e.kind === "syscall" || e.kind === "aggregate") && e.data["syscall"] === "ToolCall" && JSON.stringify(e.data).includes(`tool:${tool}`))
    .flatMap((e) => (e.kind === "aggregate" ? Array.from({ length: Number(e.data["count"]) }, () => e) : [e]));
};

describe("examples/specs/mcp-a2a.yaml", { timeout: 20_000 }, () => {
  it("an A2A client asks; the agent calls the MCP server's get-sum and the server's answer is the result", async () => {
    expect(os.mcp.list().map((s) => [s.name, s.transport, s.state.status])).toEqual([["everything", "stdio", "ready"]]);
    const c = await client();
    const r = await c.sendMessage(send("What is 19 plus 23?"));
    if (!("status" in r)) throw new Error("expected a Task");
    expect(r.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    // The server-everything answer, word for word as the server wrote it (the script only quotes it).
    const seen = model.last().results.find((x) => x.name === "mcp.everything.get-sum");
    expect(seen).toBeDefined();
    const serverText = (JSON.parse(seen!.content) as { content: { text: string }[] }).content[0]!.text;
    expect(serverText).toBe("The sum of 19 and 23 is 42.");
    expect(artifactText(r)).toContain(serverText);
    // GetTask agrees, and the call is audited as the agent's ToolCall of the MCP tool.
    const got = await c.getTask({ tenant: "", id: r.id, historyLength: undefined });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const audited = toolCalls("mcp.everything.get-sum");
    expect(audited).toHaveLength(1);
    expect(audited[0]!.data).toMatchObject({ decision: "allowed", by: expect.stringContaining("tool:mcp.everything.get-sum#call") });
    // The question reached the model as the A2A message's text.
    expect(model.last().user).toContain("What is 19 plus 23?");
    // The model was offered exactly the granted MCP tool.
    expect(model.requests[0]!.body.tools!.map((t) => t.function.name)).toEqual(["mcp__everything__get-sum"]);
  });

  it("a tool of the same server that the spec does not grant is refused at the door: E_CAP_DENIED", async () => {
    // The server offers get-env (it would print its environment); the agent holds no grant for it.
    expect(os.tools.list().map((t) => t.name)).toEqual(expect.arrayContaining(["mcp.everything.get-env", "mcp.everything.echo"]));
    const before = toolCalls("mcp.everything.get-env").length;
    await expect(os.syscall(agent, "ToolCall", { tool: "mcp.everything.get-env", args: {} })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(agent, "ToolCall", { tool: "mcp.everything.echo", args: { message: "hi" } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    // The refusal is audited as the agent's ToolCall, like the granted call.
    const after = toolCalls("mcp.everything.get-env");
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)!.data).toMatchObject({ decision: "denied", error: { code: "E_CAP_DENIED", details: { resource: "tool:mcp.everything.get-env" } } });
  });
});
