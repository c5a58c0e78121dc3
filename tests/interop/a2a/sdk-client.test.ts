/**
 * The official @a2a-js/sdk client drives AIOS agents, over both bindings the cards declare
 * (JSON-RPC and HTTP+JSON): send, stream, get, list (paged), cancel, and subscribe — including a
 * subscriber that drops and resumes from its cursor (`Last-Event-ID`, the `aios.seq` of the last
 * object it saw) and receives every later event exactly once. Multi-turn through input-required.
 */
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory, type Client } from "@a2a-js/sdk/client";
import type { StreamResponse} from "@a2a-js/sdk";
import { SendMessageRequest, Task, TaskState } from "@a2a-js/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open, startHarness, TOKEN, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h.close();
});

const authFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("authorization", `Bearer ${TOKEN}`);
  return fetch(input, { ...init, headers });
};

async function client(agent: string, binding: "JSONRPC" | "HTTP+JSON"): Promise<Client> {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: authFetch }), new RestTransportFactory({ fetchImpl: authFetch })],
      preferredTransports: [binding],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: authFetch }),
    }),
  );
  return factory.createFromUrl(`${h.gw.url}/a2a/agents/${agent}/.well-known/agent-card.json`, "");
}

let n = 0;
const send = (text: string, extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}): SendMessageRequest =>
  SendMessageRequest.fromJSON({ message: { messageId: `sdk-${++n}`, role: "ROLE_USER", parts: [{ text }], ...extra }, configuration: config });

const wire = (t: Task): Record<string, unknown> => Task.toJSON(t) as Record<string, unknown>;
const seqOf = (r: StreamResponse): number => {
  const p = r.payload;
  const meta = p?.$case === "task" ? p.value.metadata : p?.$case === "statusUpdate" ? p.value.metadata : p?.$case === "artifactUpdate" ? p.value.metadata : undefined;
  return Number((meta as Record<string, unknown> | undefined)?.["aios.seq"]);
};
const kind = (r: StreamResponse): string => (r.payload?.$case === "statusUpdate" ? `status:${TaskState[r.payload.value.status?.state ?? 0]}` : (r.payload?.$case ?? "none"));

describe.each(["JSONRPC", "HTTP+JSON"] as const)("the @a2a-js/sdk client over %s", { timeout: 20_000 }, (binding) => {
  it("sends a message and gets the completed task back; GetTask agrees", async () => {
    const c = await client("echo", binding);
    const r = await c.sendMessage(send("hi from the sdk"));
    if (!("status" in r)) throw new Error("expected a Task");
    expect(r.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(wire(r)).toMatchObject({ artifacts: [{ parts: [{ text: "echo: hi from the sdk" }] }] });
    const got = await c.getTask({ tenant: "", id: r.id, historyLength: undefined });
    expect(got.id).toBe(r.id);
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it("streams a task from submission to completion, in order", async () => {
    const c = await client("gate", binding);
    const key = `stream-${binding}`;
    const seen: string[] = [];
    const seqs: number[] = [];
    for await (const ev of c.sendMessageStream(send(key))) {
      seen.push(kind(ev));
      seqs.push(seqOf(ev));
      if (seen.length === 1) open(key);
    }
    expect(seen).toEqual(["task", "status:TASK_STATE_WORKING", "artifactUpdate", "status:TASK_STATE_COMPLETED"]);
    expect(seqs).toEqual([0, 1, 2, 3]);
  });

  it("lists the caller's tasks newest first, paged by cursor", async () => {
    const c = await client("echo", binding);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await c.sendMessage(send(`list ${i}`));
      if ("status" in r) ids.push(r.id);
    }
    const seen: string[] = [];
    let token = "";
    for (let page = 0; page < 20; page++) {
      const res = await c.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 2, pageToken: token, historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: undefined });
      expect(res.tasks.length).toBeLessThanOrEqual(2);
      for (const t of res.tasks) expect(t.artifacts).toEqual([]);
      seen.push(...res.tasks.map((t) => t.id));
      token = res.nextPageToken;
      if (token === "") break;
    }
    // The three just sent are the newest of the echo agent's tasks, newest first.
    expect(seen.slice(0, 3)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("cancels a working task; a second cancel is TaskNotCancelable", async () => {
    const c = await client("gate", binding);
    const r = await c.sendMessage(send(`cancel-${binding}`, {}, { returnImmediately: true }));
    if (!("status" in r)) throw new Error("expected a Task");
    const canceled = await c.cancelTask({ tenant: "", id: r.id, metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await expect(c.cancelTask({ tenant: "", id: r.id, metadata: undefined })).rejects.toThrow(/cannot be canceled/);
    open(`cancel-${binding}`);
    await h.a2a.engine.settled();
    expect((await c.getTask({ tenant: "", id: r.id, historyLength: undefined })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it("a subscriber that drops resumes from its cursor and gets every later event exactly once", async () => {
    const c = await client("gate", binding);
    const key = `resume-${binding}`;
    const r = await c.sendMessage(send(key, {}, { returnImmediately: true }));
    if (!("status" in r)) throw new Error("expected a Task");
    let cursor = -1;
    for await (const ev of c.resubscribeTask({ tenant: "", id: r.id })) {
      expect(kind(ev)).toBe("task");
      cursor = seqOf(ev);
      break; // the subscriber goes away after the first object
    }
    expect(cursor).toBeGreaterThanOrEqual(0);
    open(key);
    await h.a2a.engine.settled();
    const resumed: number[] = [];
    const kinds: string[] = [];
    for await (const ev of c.resubscribeTask({ tenant: "", id: r.id }, { serviceParameters: { "Last-Event-ID": String(cursor) } })) {
      resumed.push(seqOf(ev));
      kinds.push(kind(ev));
    }
    // The snapshot at the cursor, then each later event once, in order, ending at the terminal status.
    expect(resumed[0]).toBe(cursor);
    expect(resumed.slice(1)).toEqual(Array.from({ length: resumed.length - 1 }, (_, i) => cursor + 1 + i));
    expect(kinds.at(-1)).toBe("status:TASK_STATE_COMPLETED");
    expect(kinds).toContain("artifactUpdate");
    // Subscribing afresh to the finished task is UnsupportedOperation.
    await expect(async () => {
      for await (const _ of c.resubscribeTask({ tenant: "", id: r.id })) void _;
    }).rejects.toThrow(/nothing to subscribe to/);
  });

  it("continues a task through input-required (multi-turn), inferring the context from the task", async () => {
    const c = await client("asker", binding);
    const first = await c.sendMessage(send("paint it"));
    if (!("status" in first)) throw new Error("expected a Task");
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const second = await c.sendMessage(send("blue", { taskId: first.id }));
    if (!("status" in second)) throw new Error("expected a Task");
    expect(second.id).toBe(first.id);
    expect(second.contextId).toBe(first.contextId);
    expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(wire(second)).toMatchObject({ artifacts: [{ parts: [{ text: "you chose blue" }] }] });
  });
});
