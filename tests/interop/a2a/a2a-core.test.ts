/**
 * The A2A server's core over raw JSON-RPC on a real gateway: the cards, SendMessage (blocking and
 * return-immediately) mapped to an AgentRequest through the door, GetTask, the A2A-Version check,
 * authentication, and the door's audit of every operation as the principal's own caller.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open, rpc, startHarness, userMessage, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h.close();
});

describe("A2A server core", { timeout: 20_000 }, () => {
  it("serves the daemon's card and each exposed agent's card, not a hidden agent's", async () => {
    const card = (await (await fetch(`${h.gw.url}/.well-known/agent-card.json`)).json()) as { skills: { id: string }[]; supportedInterfaces: { url: string; protocolBinding: string; protocolVersion: string }[]; capabilities: Record<string, boolean> };
    expect(card.skills.map((s) => s.id).sort()).toEqual(["asker", "echo", "gate"]);
    expect(card.supportedInterfaces).toEqual([
      { url: `${h.gw.url}/a2a/jsonrpc`, protocolBinding: "JSONRPC", protocolVersion: "1.0" },
      { url: `${h.gw.url}/a2a/rest`, protocolBinding: "HTTP+JSON", protocolVersion: "1.0" },
    ]);
    expect(card.capabilities).toEqual({ streaming: true, pushNotifications: true, extendedAgentCard: false });
    const echo = (await (await fetch(`${h.gw.url}/a2a/agents/echo/.well-known/agent-card.json`)).json()) as { name: string; description: string };
    expect(echo).toMatchObject({ name: "echo", description: "the echo agent" });
    expect((await fetch(`${h.gw.url}/a2a/agents/hidden/.well-known/agent-card.json`)).status).toBe(404);
  });

  it("SendMessage runs the agent through the door and GetTask reads the task back", async () => {
    const url = `${h.gw.url}/a2a/agents/echo/jsonrpc`;
    const sent = await rpc(url, "SendMessage", { message: userMessage("hello") });
    const task = (sent.body.result as { task: { id: string; contextId: string; status: { state: string }; artifacts: { parts: { text: string }[] }[] } }).task;
    expect(task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(task.artifacts[0]?.parts[0]?.text).toBe("echo: hello");
    expect(task.contextId).not.toBe("");
    const got = await rpc(url, "GetTask", { id: task.id });
    expect(got.body.result).toMatchObject({ id: task.id, status: { state: "TASK_STATE_COMPLETED" } });
  });

  it("returnImmediately answers at once; the task completes later", async () => {
    const url = `${h.gw.url}/a2a/agents/gate/jsonrpc`;
    const sent = await rpc(url, "SendMessage", { message: userMessage("g-core-1"), configuration: { returnImmediately: true } });
    const task = (sent.body.result as { task: { id: string; status: { state: string } } }).task;
    expect(["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"]).toContain(task.status.state);
    open("g-core-1");
    await h.a2a.engine.settled();
    const got = await rpc(url, "GetTask", { id: task.id });
    expect(got.body.result).toMatchObject({ status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "released: g-core-1" }] }] });
  });

  it("refuses a missing bearer token (401) and a missing or other A2A-Version (-32009)", async () => {
    const url = `${h.gw.url}/a2a/agents/echo/jsonrpc`;
    const anon = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "a2a-version": "1.0" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }) });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const none = await rpc(url, "GetTask", { id: "x" }, { "a2a-version": "" });
    expect(none.body.error).toMatchObject({ code: -32009 });
    expect(none.body.error?.message).toMatch(/0\.3 is not supported/);
    const patch = await rpc(url, "GetTask", { id: "nope" }, { "a2a-version": "1.0.7" });
    expect(patch.body.error?.code).toBe(-32001);
  });

  it("every operation is a door call of the principal's own caller, with events", async () => {
    const seen = new Set<string>();
    let done: () => void = () => undefined;
    const both = new Promise<void>((r) => (done = r));
    const sub = h.os.kernel.events.subscribe({ types: ["syscall.completed"] }, (e) => {
      if (e.agent === "a2a:operator") seen.add((e.data as { name: string }).name);
      if (seen.has("A2aTask") && seen.has("AgentRequest")) done();
    });
    await rpc(`${h.gw.url}/a2a/agents/echo/jsonrpc`, "SendMessage", { message: userMessage("door") });
    await both;
    sub.unsubscribe();
    expect([...seen].sort()).toEqual(["A2aTask", "AgentRequest"]);
  });
});
