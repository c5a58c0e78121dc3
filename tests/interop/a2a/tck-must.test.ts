/**
 * The A2A TCK's v1.0 MUST requirements (a2aproject/a2a-tck, branch 1.0-dev, tck/requirements/*.py)
 * that apply to this server, ported as tests named by requirement ID, over both bindings on a
 * real gateway. docs/a2a.md lists all 114 with what is covered, what passes and what does not apply.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeToken } from "../../../src/security/index.js";
import { open, rpc, startHarness, TOKEN, userMessage, type Harness } from "./harness.js";

let h: Harness;
let hook: Server;
let hookUrl = "";
const pushed: { headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  h = await startHarness({ operatorCapabilities: ["agent:*#send", "tool:http.fetch#call", "net:*#fetch", "net-class:loopback#connect"] });
  hook = createServer((req, res) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => {
      pushed.push({ headers: req.headers, body: JSON.parse(b) as Record<string, unknown> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
}, 60_000);
afterAll(async () => {
  await new Promise<void>((r) => hook.close(() => r()));
  await h.close();
});

const J = (agent = "echo"): string => `${h.gw.url}/a2a/agents/${agent}/jsonrpc`;
const R = (agent = "echo"): string => `${h.gw.url}/a2a/agents/${agent}/rest`;
const auth = { authorization: `Bearer ${TOKEN}`, "a2a-version": "1.0" };
type Obj = Record<string, unknown>;
const task = async (agent: string, text: string, config: Obj = {}): Promise<Obj> => ((await rpc(J(agent), "SendMessage", { message: userMessage(text), configuration: config })).body.result as { task: Obj }).task;
const rest = async (method: string, path: string, body?: unknown, agent = "echo"): Promise<{ status: number; type: string | null; json: Obj }> => {
  const res = await fetch(`${R(agent)}${path}`, { method, headers: { ...auth, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, type: res.headers.get("content-type"), json: (await res.json()) as Obj };
};
const errInfo = (data: unknown): Obj | undefined => (Array.isArray(data) ? (data as Obj[]).find((d) => d["@type"] === "type.googleapis.com/google.rpc.ErrorInfo") : undefined);
async function sse(res: Response): Promise<{ id: string | undefined; data: Obj }[]> {
  const text = await res.text();
  return text.split("\n\n").filter((f) => f.includes("data: ")).map((f) => ({ id: /^id: (.*)$/m.exec(f)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(f)?.[1] ?? "{}") as Obj }));
}
const stream = (url: string, method: string, params: Obj): Promise<Response> => fetch(url, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: "s", method, params }) });

describe("A2A TCK v1.0 MUST requirements", { timeout: 20_000 }, () => {
  it("CARD-DISC-001 / CARD-STRUCT-001 / CARD-PROTO-001 / CARD-PROTO-002 / BIND-FIELD-001: a complete card declaring both bindings with their URLs", async () => {
    for (const path of ["/.well-known/agent-card.json", "/a2a/agents/echo/.well-known/agent-card.json"]) {
      const card = (await (await fetch(`${h.gw.url}${path}`)).json()) as Obj;
      for (const f of ["name", "description", "supportedInterfaces", "version", "capabilities", "defaultInputModes", "defaultOutputModes", "skills"]) expect(card[f], f).toBeDefined();
      const ifaces = card["supportedInterfaces"] as { url: string; protocolBinding: string; protocolVersion: string }[];
      expect(ifaces.map((i) => i.protocolBinding).sort()).toEqual(["HTTP+JSON", "JSONRPC"]);
      for (const i of ifaces) {
        expect(i.protocolVersion).toBe("1.0");
        // The declared URL really serves that binding.
        const probe = i.protocolBinding === "JSONRPC" ? await rpc(i.url, "GetTask", { id: "probe" }) : { body: { error: { code: (await rest("GET", "/tasks/probe")).status } } };
        expect(probe.body.error?.code === -32001 || probe.body.error?.code === 404).toBe(true);
      }
      expect((card["skills"] as unknown[]).length).toBeGreaterThan(0);
    }
  });

  it("JSONRPC-FMT-001: a request without jsonrpc 2.0 / method is refused with -32600", async () => {
    const res = await fetch(J(), { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ id: 1, params: {} }) });
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const bad = await fetch(J(), { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{not json" });
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it("JSONRPC-FMT-002 / JSONRPC-SVC-001: application/json responses; PascalCase methods only", async () => {
    const ok = await rpc(J(), "SendMessage", { message: userMessage("fmt") });
    expect(ok.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await rpc(J(), "message/send", { message: userMessage("old") })).body.error?.code).toBe(-32601);
  });

  it("JSONRPC-SVC-002 / HTTP_JSON-SVC-002 / VER-SERVER-001: service parameters come from HTTP headers (A2A-Version)", async () => {
    expect((await rpc(J(), "GetTask", { id: "x" }, { "a2a-version": "1.0" })).body.error?.code).toBe(-32001);
    expect((await rpc(J(), "GetTask", { id: "x" }, { "a2a-version": "9.9" })).body.error?.code).toBe(-32009);
    const r = await fetch(`${R()}/tasks/x`, { headers: { authorization: `Bearer ${TOKEN}`, "a2a-version": "9.9" } });
    expect(r.status).toBe(400);
  });

  it("VER-SERVER-002 / VER-SERVER-003: an unsupported or empty A2A-Version (= 0.3) is VersionNotSupportedError", async () => {
    for (const v of ["", "0.3", "2.0"]) {
      const e = (await rpc(J(), "GetTask", { id: "x" }, { "a2a-version": v })).body.error;
      expect(e?.code).toBe(-32009);
      expect(errInfo(e?.data)?.["reason"]).toBe("VERSION_NOT_SUPPORTED");
    }
  });

  it("JSONRPC-ERR-001 / JSONRPC-ERR-002 / JSONRPC-ERR-003 / JSONRPC-SSE-002: error objects with code, message, data[@type ErrorInfo]", async () => {
    const done = await task("echo", "err");
    const cases: [string, Obj, number, string][] = [
      ["GetTask", { id: "missing" }, -32001, "TASK_NOT_FOUND"],
      ["CancelTask", { id: done["id"] }, -32002, "TASK_NOT_CANCELABLE"],
      ["GetExtendedAgentCard", {}, -32004, "UNSUPPORTED_OPERATION"],
      ["SendMessage", { message: { ...userMessage("x"), parts: [{ raw: "dGNr", mediaType: "application/x-unsupported" }] } }, -32005, "CONTENT_TYPE_NOT_SUPPORTED"],
    ];
    for (const [m, p, code, reason] of cases) {
      const e = (await rpc(J(), m, p)).body.error;
      expect(e?.code, m).toBe(code);
      expect(typeof e?.message).toBe("string");
      expect(code).toBeLessThanOrEqual(-32001);
      expect(code).toBeGreaterThanOrEqual(-32099);
      expect(errInfo(e?.data)).toMatchObject({ reason, domain: "a2a-protocol.org" });
    }
  });

  it("JSONRPC-SSE-001 / CORE-STREAM-001 / CORE-STREAM-003 / STREAM-ORDER-001: text/event-stream of JSON-RPC responses, Task first, ordered, closed at the terminal state", async () => {
    const res = await stream(J(), "SendStreamingMessage", { message: userMessage("streamed") });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = await sse(res);
    for (const f of frames) expect(f.data).toMatchObject({ jsonrpc: "2.0", id: "s" });
    const results = frames.map((f) => f.data["result"] as Obj);
    expect(Object.keys(results[0] ?? {})).toEqual(["task"]);
    expect(frames.map((f) => Number(f.id))).toEqual(frames.map((_, i) => i));
    expect((results.at(-1)?.["statusUpdate"] as { status: { state: string } }).status.state).toBe("TASK_STATE_COMPLETED");
  });

  it("HTTP_JSON-URL-001 / HTTP_JSON-URL-002 / HTTP_JSON-SVC-001: resource URLs, standard verbs, application/json", async () => {
    const sent = await rest("POST", "/message:send", { message: userMessage("rest") });
    expect(sent.status).toBe(200);
    expect(sent.type).toMatch(/^application\/json/);
    const id = (sent.json["task"] as Obj)["id"] as string;
    expect((await rest("GET", `/tasks/${id}`)).json["id"]).toBe(id);
    expect((await rest("GET", "/tasks")).status).toBe(200);
    const cfg = await rest("POST", `/tasks/${id}/pushNotificationConfigs`, { url: hookUrl });
    expect(cfg.status).toBe(200);
    expect((await rest("DELETE", `/tasks/${id}/pushNotificationConfigs/${cfg.json["id"] as string}`)).status).toBe(200);
  });

  it("HTTP_JSON-QP-001: camelCase query parameters (historyLength, pageSize, includeArtifacts)", async () => {
    const t = await task("echo", "qp");
    const got = await rest("GET", `/tasks/${t["id"] as string}?historyLength=0`);
    expect(got.json["history"]).toBeUndefined();
    const listed = await rest("GET", "/tasks?pageSize=1&includeArtifacts=true");
    expect((listed.json["tasks"] as Obj[]).length).toBe(1);
    expect((listed.json["tasks"] as Obj[])[0]?.["artifacts"]).toBeDefined();
    expect((await rest("GET", "/tasks?pageSize=abc")).status).toBe(400);
  });

  it("HTTP_JSON-ERR-001 / HTTP_JSON-ERR-002 / HTTP_JSON-STATUS-001: AIP-193 errors with ErrorInfo and the mapped status", async () => {
    const nf = await rest("GET", "/tasks/missing");
    expect(nf.status).toBe(404);
    expect(nf.json["error"]).toMatchObject({ code: 404, status: "NOT_FOUND" });
    expect(errInfo((nf.json["error"] as Obj)["details"])).toMatchObject({ reason: "TASK_NOT_FOUND", domain: "a2a-protocol.org" });
    const done = await task("echo", "st");
    const nc = await rest("POST", `/tasks/${done["id"] as string}:cancel`, {});
    expect(nc.status).toBe(400);
    expect(errInfo((nc.json["error"] as Obj)["details"])?.["reason"]).toBe("TASK_NOT_CANCELABLE");
  });

  it("HTTP_JSON-SSE-001: REST streams are SSE whose data are StreamResponse objects", async () => {
    const res = await fetch(`${R()}/message:stream`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ message: userMessage("rest stream") }) });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = await sse(res);
    for (const f of frames) expect(Object.keys(f.data).filter((k) => ["task", "message", "statusUpdate", "artifactUpdate"].includes(k))).toHaveLength(1);
  });

  it("CORE-SEND-001 / CORE-MULTI-001a / CORE-MULTI-003 / DM-TASK-001 / DM-STATUS-001: a task with a unique id, a generated contextId and a status", async () => {
    const a = await task("echo", "one");
    const b = await task("echo", "two");
    expect(a["id"]).not.toBe(b["id"]);
    expect(typeof a["contextId"]).toBe("string");
    expect((a["status"] as Obj)["state"]).toBe("TASK_STATE_COMPLETED");
  });

  it("CORE-SEND-002 / CORE-MULTI-004: messages to terminal or unknown tasks are refused", async () => {
    const done = await task("echo", "terminal");
    expect((await rpc(J(), "SendMessage", { message: userMessage("again", { taskId: done["id"] }) })).body.error?.code).toBe(-32004);
    expect((await rpc(J(), "SendMessage", { message: userMessage("ghost", { taskId: "no-such-task" }) })).body.error?.code).toBe(-32001);
  });

  it("CORE-SEND-003: an unsupported media type is ContentTypeNotSupportedError", async () => {
    const e = (await rpc(J(), "SendMessage", { message: { ...userMessage("x"), parts: [{ url: "https://example.com/a.bin", mediaType: "application/x-unsupported-tck-type" }] } })).body.error;
    expect(e?.code).toBe(-32005);
  });

  it("CORE-GET-001 / CORE-GET-002 / CORE-HIST-002: the current task; not found; at most historyLength messages", async () => {
    const t = await task("asker", "hist");
    await rpc(J("asker"), "SendMessage", { message: userMessage("red", { taskId: t["id"] }) });
    const full = (await rpc(J("asker"), "GetTask", { id: t["id"] })).body.result as { history: unknown[]; status: { state: string } };
    expect(full.status.state).toBe("TASK_STATE_COMPLETED");
    expect(full.history.length).toBeGreaterThan(1);
    const one = (await rpc(J("asker"), "GetTask", { id: t["id"], historyLength: 1 })).body.result as { history: unknown[] };
    expect(one.history).toHaveLength(1);
    expect((await rpc(J(), "GetTask", { id: "missing" })).body.error?.code).toBe(-32001);
  });

  it("CORE-LIST-002 / CORE-LIST-003 / CORE-LIST-004 / CORE-LIST-005: cursor pages, newest first, nextPageToken always present, no artifacts by default", async () => {
    for (let i = 0; i < 3; i++) await task("echo", `page ${i}`);
    const all: Obj[] = [];
    let token = "";
    for (let i = 0; i < 50; i++) {
      const r = (await rpc(J(), "ListTasks", { pageSize: 2, ...(token === "" ? {} : { pageToken: token }) })).body.result as { tasks: Obj[]; nextPageToken: string };
      expect(typeof r.nextPageToken).toBe("string");
      for (const t of r.tasks) expect("artifacts" in t).toBe(false);
      all.push(...r.tasks);
      token = r.nextPageToken;
      if (token === "") break;
    }
    const times = all.map((t) => Date.parse((t["status"] as { timestamp: string }).timestamp));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
  });

  it("CORE-CANCEL-001 / CORE-CANCEL-002 / CORE-CANCEL-003: cancel returns the canceled task; terminal ones are not cancelable; unknown not found", async () => {
    const t = await task("gate", "tck-cancel", { returnImmediately: true });
    expect(((await rpc(J("gate"), "CancelTask", { id: t["id"] })).body.result as { status: { state: string } }).status.state).toBe("TASK_STATE_CANCELED");
    expect((await rpc(J("gate"), "CancelTask", { id: t["id"] })).body.error?.code).toBe(-32002);
    expect((await rpc(J("gate"), "CancelTask", { id: "missing" })).body.error?.code).toBe(-32001);
    open("tck-cancel");
  });

  it("CORE-EXECUTION-MODE-001 / CORE-EXECUTION-MODE-002: blocking waits for a settled state; returnImmediately does not", async () => {
    const quick = await task("gate", "tck-mode", { returnImmediately: true });
    expect(["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"]).toContain((quick["status"] as Obj)["state"]);
    open("tck-mode"); // the gate agent takes one message at a time
    const pending = task("gate", "tck-mode-2");
    open("tck-mode-2");
    expect(((await pending)["status"] as Obj)["state"]).toBe("TASK_STATE_COMPLETED");
    const asked = await task("asker", "interrupt");
    expect((asked["status"] as Obj)["state"]).toBe("TASK_STATE_INPUT_REQUIRED");
  });

  it("CORE-ERR-001 / CORE-ERR-002 / DM-MSG-001 / DM-MSG-002 / DM-PART-001 / DM-SERIAL-004: inputs validated, the bad field named", async () => {
    const bad: [Obj, string][] = [
      [{ message: { role: "ROLE_USER", parts: [{ text: "x" }] } }, "messageId"],
      [{ message: { messageId: "m", role: "ROLE_ROBOT", parts: [{ text: "x" }] } }, "role"],
      [{ message: { messageId: "m", role: "ROLE_USER", parts: [] } }, "parts"],
      [{ message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "x", data: {} }] } }, "parts"],
    ];
    for (const [params, field] of bad) {
      const e = (await rpc(J(), "SendMessage", params)).body.error;
      expect(e?.code).toBe(-32602);
      expect(e?.message).toContain(field);
    }
  });

  it("CORE-CAP-003: GetExtendedAgentCard is UnsupportedOperationError when the card declares none", async () => {
    expect((await rpc(J(), "GetExtendedAgentCard", {})).body.error?.code).toBe(-32004);
    expect((await rest("GET", "/extendedAgentCard")).status).toBe(400);
  });

  it("CORE-MULTI-005 / CORE-MULTI-006: contextId inferred from the task; a mismatching one refused", async () => {
    const t = await task("asker", "ctx");
    const wrong = await rpc(J("asker"), "SendMessage", { message: userMessage("green", { taskId: t["id"], contextId: "not-that-one" }) });
    expect(wrong.body.error?.code).toBe(-32602);
    const right = ((await rpc(J("asker"), "SendMessage", { message: userMessage("green", { taskId: t["id"] }) })).body.result as { task: Obj }).task;
    expect(right["contextId"]).toBe(t["contextId"]);
  });

  it("DM-TASK-002 / DM-SERIAL-001 / DM-SERIAL-002 / DM-SERIAL-003 / DM-ART-001: camelCase, enum names, UTC timestamps, artifacts with id and parts", async () => {
    const t = await task("echo", "serial");
    const text = JSON.stringify(t);
    expect(text).not.toMatch(/"[a-z]+_[a-z_]+":/);
    expect(text).toContain("contextId");
    const status = t["status"] as { state: string; timestamp: string };
    expect(status.state).toMatch(/^TASK_STATE_(SUBMITTED|WORKING|COMPLETED|FAILED|CANCELED|INPUT_REQUIRED|REJECTED|AUTH_REQUIRED)$/);
    expect(status.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const art = (t["artifacts"] as Obj[])[0] as { artifactId: string; parts: unknown[] };
    expect(art.artifactId).not.toBe("");
    expect(art.parts.length).toBeGreaterThan(0);
    expect(((t["history"] as Obj[])[0] as { role: string }).role).toBe("ROLE_USER");
  });

  it("PUSH-CREATE-001 / PUSH-GET-001 / PUSH-LIST-001 / PUSH-DEL-001 / PUSH-DEL-002 / PUSH-GET-002: the config lifecycle", async () => {
    const t = await task("gate", "tck-push-crud", { returnImmediately: true });
    const id = t["id"] as string;
    const made = (await rpc(J("gate"), "CreateTaskPushNotificationConfig", { taskId: id, url: hookUrl, token: "tok" })).body.result as Obj;
    expect(made).toMatchObject({ taskId: id, url: hookUrl, token: "tok" });
    expect((await rpc(J("gate"), "GetTaskPushNotificationConfig", { taskId: id, id: made["id"] })).body.result).toMatchObject({ url: hookUrl });
    expect(((await rpc(J("gate"), "ListTaskPushNotificationConfigs", { taskId: id })).body.result as { configs: unknown[] }).configs).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect((await rpc(J("gate"), "DeleteTaskPushNotificationConfig", { taskId: id, id: made["id"] })).body.error).toBeUndefined();
    expect((await rpc(J("gate"), "GetTaskPushNotificationConfig", { taskId: id, id: made["id"] })).body.error?.code).toBe(-32001);
    open("tck-push-crud");
  });

  it("PUSH-CREATE-002 / PUSH-DELIVER-001 / PUSH-DELIVER-002 / PUSH-DELIVER-003: every event POSTed once as a StreamResponse with the configured credentials", async () => {
    const before = pushed.length;
    const t = await task("gate", "tck-push", { returnImmediately: true, taskPushNotificationConfig: { url: hookUrl, token: "tok-1", authentication: { scheme: "Bearer", credentials: "hook-secret" } } });
    open("tck-push");
    await h.a2a.engine.settled();
    await h.a2a.push.idle();
    const mine = pushed.slice(before).filter((p) => JSON.stringify(p.body).includes(t["id"] as string));
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const p of mine) {
      expect(p.headers["authorization"]).toBe("Bearer hook-secret");
      expect(p.headers["x-a2a-notification-token"]).toBe("tok-1");
      expect(Object.keys(p.body).filter((k) => ["task", "message", "statusUpdate", "artifactUpdate"].includes(k))).toHaveLength(1);
    }
    expect((mine.at(-1)?.body["statusUpdate"] as { status: { state: string } }).status.state).toBe("TASK_STATE_COMPLETED");
  });

  it("STREAM-SUB-001 / STREAM-SUB-002 / STREAM-ORDER-002 / STREAM-ORDER-003 / STREAM-ORDER-004: Task first; every stream gets the same events; one closing leaves the other", async () => {
    const t = await task("gate", "tck-sub", { returnImmediately: true });
    const ac = new AbortController();
    const early = await fetch(J("gate"), { method: "POST", signal: ac.signal, headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SubscribeToTask", params: { id: t["id"] } }) });
    const a = stream(J("gate"), "SubscribeToTask", { id: t["id"] });
    const b = stream(J("gate"), "SubscribeToTask", { id: t["id"] });
    const [ra, rb] = await Promise.all([a, b]);
    ac.abort(); // a third subscriber goes away
    void early.body?.cancel().catch(() => undefined);
    open("tck-sub");
    const [fa, fb] = await Promise.all([sse(ra), sse(rb)]);
    expect(Object.keys(fa[0]?.data["result"] as Obj)).toEqual(["task"]);
    expect(fa.map((f) => f.id)).toEqual(fb.map((f) => f.id));
    expect(((fa.at(-1)?.data["result"] as Obj)["statusUpdate"] as { status: { state: string } }).status.state).toBe("TASK_STATE_COMPLETED");
  });

  it("STREAM-SUB-003 / STREAM-SUB-004: terminal tasks are UnsupportedOperation, unknown ones not found", async () => {
    const done = await task("echo", "sub done");
    expect(((await (await stream(J(), "SubscribeToTask", { id: done["id"] })).json()) as { error: { code: number } }).error.code).toBe(-32004);
    expect(((await (await stream(J(), "SubscribeToTask", { id: "missing" })).json()) as { error: { code: number } }).error.code).toBe(-32001);
  });

  it("AUTH-SERVER-002 / AUTH-SCOPE-001 / BIND-EQUIV-004: every operation authenticated and authorized, on both bindings alike", async () => {
    const anonRpc = await fetch(J(), { method: "POST", headers: { "content-type": "application/json", "a2a-version": "1.0" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ListTasks", params: {} }) });
    expect(anonRpc.status).toBe(401);
    const anonRest = await fetch(`${R()}/tasks`, { headers: { "a2a-version": "1.0", authorization: "Bearer wrong" } });
    expect(anonRest.status).toBe(401);
    // The operator may send to any agent: the door said yes; a principal without agent:<id>#send is refused (a2a-scope test).
  });

  it("BIND-EQUIV-001 / BIND-EQUIV-002 / BIND-EQUIV-003: the same task and the same errors through JSON-RPC and REST", async () => {
    const t = await task("echo", "equiv");
    const viaRpc = (await rpc(J(), "GetTask", { id: t["id"] })).body.result;
    const viaRest = (await rest("GET", `/tasks/${t["id"] as string}`)).json;
    expect(viaRest).toEqual(viaRpc);
    const e1 = errInfo((await rpc(J(), "GetTask", { id: "missing" })).body.error?.data);
    const e2 = errInfo(((await rest("GET", "/tasks/missing")).json["error"] as Obj)["details"]);
    expect(e1?.["reason"]).toBe(e2?.["reason"]);
  });

  it("AUTH-SCOPE-002 / AUTH-SCOPE-003 / CORE-LIST-001: a second principal sees only its own tasks; another's is not found", async () => {
    const mine = await task("echo", "operator's task");
    const token = encodeToken(h.os.caps.authority.mint({ holder: "other-client", caps: [`agent:${h.ids["echo"] ?? ""}#send`], exp: h.os.caps.clock.now() + 3_600_000 }));
    const as = { authorization: `Bearer ${token}` };
    const theirs = ((await rpc(J(), "SendMessage", { message: userMessage("their task") }, as)).body.result as { task: Obj }).task;
    const listed = ((await rpc(J(), "ListTasks", {}, as)).body.result as { tasks: Obj[] }).tasks.map((t) => t["id"]);
    expect(listed).toEqual([theirs["id"]]);
    expect((await rpc(J(), "GetTask", { id: mine["id"] }, as)).body.error?.code).toBe(-32001);
    expect((await rpc(J(), "CancelTask", { id: mine["id"] }, as)).body.error?.code).toBe(-32001);
    // Its token allows only the echo agent: the door refuses another agent.
    expect((await rpc(J("asker"), "SendMessage", { message: userMessage("not mine") }, as)).status).toBe(200);
    expect((await rpc(J("asker"), "SendMessage", { message: userMessage("not mine") }, as)).body.error?.message).toMatch(/agent:/);
  });
});
