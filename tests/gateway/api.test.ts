/**
 * The control API against a real server on 127.0.0.1 (random port) over a real kernel with the
 * embedded default stack in a temp data dir, driven through the CLI's real HTTP client: the token is
 * required, every endpoint answers, bad bodies are 400 naming the field, a taken port is E_CONFIG
 * naming it, a draining server answers 503, and the OpenAPI document lists every route.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyKernelEvent } from "../../src/core/index.js";
import { silentLogger } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { ControlPlane, ROUTES, ensureApiToken, startGateway, type Gateway } from "../../src/gateway/index.js";
import { HttpControl } from "../../src/cli/client.js";

const WORKER = join(process.cwd(), "examples/agents/worker.ts");
let dir: string;
let os: Aios;
let plane: ControlPlane;
let gw: Gateway;
let token: string;
let api: HttpControl;

const raw = (path: string, init: RequestInit = {}, auth = true): Promise<Response> =>
  fetch(gw.url + path, { ...init, headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json", ...(init.headers ?? {}) } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-gw-"));
  writeFileSync(join(dir, "note.txt"), "hello");
  os = await boot({
    dataDir: join(dir, "data"),
    logger: silentLogger,
    subsystems: { security: { policy: { rules: [{ id: "ask-before-note", effect: "approve", reason: "reading the note needs a person", when: { tool: "file.read" } }] } } },
  });
  plane = new ControlPlane(os);
  token = ensureApiToken(join(dir, "data"));
  gw = await startGateway(plane, { token, port: 0 });
  api = new HttpControl(gw.url, token);
});

afterAll(async () => {
  await gw.close();
  plane.close();
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("gateway: authentication", () => {
  it("refuses requests without the token, or with a wrong one, with 401 E_AUTH", async () => {
    for (const r of [await raw("/v1/agents", {}, false), await raw("/v1/agents", { headers: { authorization: "Bearer nope" } }), await raw("/openapi.json", {}, false)]) {
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("E_AUTH");
    }
    expect((await raw("/v1/agents")).status).toBe(200);
  });

  it("serves an OpenAPI document naming every route", async () => {
    const doc = (await (await raw("/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toBe("3.1.0");
    for (const r of ROUTES) expect(doc.paths[r.path.replace(/:([A-Za-z]+)/g, "{$1}")]?.[r.method]?.operationId).toBe(r.operationId);
  });
});

describe("gateway: agents", () => {
  it("spawns from a spec object and a spec path; ps, status, tree, send, request, pause, resume, kill", async () => {
    const { id } = await api.spawn({ spec: { name: "w1", kind: "code", module: WORKER, export: "worker", capabilities: ["agent:*#send"] } });
    const team = await api.spawn({ specPath: join(process.cwd(), "examples/specs/team.yaml") });
    expect(team.name).toBe("team");
    expect((await api.status(id)).status).toBe("running");
    expect((await api.ps({ name: "worker-*" })).map((a) => a.name).sort()).toEqual(["worker-1", "worker-2", "worker-3"]);
    expect((await api.ps({ status: ["running"], limit: 2 })).length).toBe(2);
    expect((await api.tree()).find((n) => n.id === team.id)?.children.length).toBe(3);
    expect(await api.request(id, { type: "square", n: 6 })).toBe(36);
    await api.pause(id);
    await api.send(id, { type: "note", text: "queued" });
    expect(await api.status(id)).toMatchObject({ status: "paused", mailbox: 1 });
    await api.resume(id);
    expect(await api.request(id, { type: "stats" })).toMatchObject({ notes: ["queued"] });
    expect(await api.kill(id, "test over")).toEqual({ killed: true });
    expect(await api.kill(id)).toEqual({ killed: false });
    expect((await api.status(id)).status).toBe("killed");
    await expect(api.status("ag_nope")).rejects.toMatchObject({ code: "E_NO_AGENT" });
  });

  it("lists recent events and streams live ones over SSE, filtered by agent", async () => {
    const { id } = await api.spawn({ spec: { name: "streamer", kind: "code", module: WORKER, export: "worker" } });
    expect((await api.events({ agent: id })).some((e) => e.type === "agent.spawned")).toBe(true);
    const ac = new AbortController();
    const seen: AnyKernelEvent[] = [];
    let killedSeen: () => void = () => undefined;
    const killed = new Promise<void>((r) => (killedSeen = r));
    const following = api.follow({ agent: id }, (e) => {
      seen.push(e);
      if (e.type === "agent.transition" && e.data.to === "killed") killedSeen();
    }, ac.signal);
    await api.kill(id);
    await killed;
    ac.abort();
    await following;
    expect(seen.every((e) => e.agent === id)).toBe(true);
    expect(seen.map((e) => e.type)).toContain("agent.spawned"); // the history came first
    expect(new Set(seen.map((e) => e.seq)).size).toBe(seen.length); // each once
  });
});

describe("gateway: bad input", () => {
  it("answers 400 naming the field", async () => {
    const cases: [string, unknown, RegExp][] = [
      ["/v1/agents", { spec: 5 }, /body\.spec/],
      ["/v1/agents", {}, /body\.spec: give exactly one of spec or specPath/],
      ["/v1/agents", { spec: { name: "x", kind: "code" } }, /logic/],
      ["/v1/caps/grant", { agent: "a" }, /body\.capability/],
      ["/v1/caps/explain", { agent: "a", action: "no-hash" }, /body\.action/],
      ["/v1/escalations/e1/decide", { decision: "maybe" }, /body\.decision/],
    ];
    for (const [path, body, msg] of cases) {
      const r = await raw(path, { method: "POST", body: JSON.stringify(body) });
      expect(r.status, path).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(msg);
    }
    const notJson = await raw("/v1/agents", { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
    const badQuery = await raw("/v1/agents?status=sleeping");
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { error: { message: string } }).error.message).toMatch(/query\.status/);
  });
});

describe("gateway: approvals, escalations, capabilities, audit", () => {
  it("parks a policy approval, lists it and lets the operator approve it", async () => {
    const { id } = await api.spawn({ spec: { name: "reader", kind: "code", module: WORKER, export: "worker", capabilities: ["tool:file.read#call", `file:${dir}/**#read`] } });
    const parked = os.kernel.events.once("approval.requested");
    const answer = api.request(id, { type: "read", path: join(dir, "note.txt") });
    await parked;
    const pending = await api.approvals("pending");
    expect(pending[0]).toMatchObject({ agent: id, syscall: "ToolCall", rule: "ask-before-note" });
    const decided = await api.decideApproval(pending[0]?.id ?? "", "approve", "tester");
    expect(decided).toMatchObject({ status: "approved", decidedBy: "tester" });
    expect(await answer).toMatchObject({ ok: true, result: { content: "hello" } });
    await expect(api.decideApproval(decided.id, "deny")).rejects.toMatchObject({ code: "E_CONFLICT" });
    await expect(api.decideApproval("apr_none", "approve")).rejects.toMatchObject({ code: "E_NOT_FOUND" });
  });

  it("lists escalations and refuses a decision on an unknown one", async () => {
    expect(await api.escalations()).toEqual([]);
    await expect(api.decideEscalation("esc_none", "abandon")).rejects.toMatchObject({ code: "E_NOT_FOUND" });
  });

  it("grants, lists, explains and revokes capabilities", async () => {
    const { id } = await api.spawn({ spec: { name: "capped", kind: "code", module: WORKER, export: "worker" } });
    expect((await api.explain(id, "tool:file.read#call")).allowed).toBe(false);
    const t = await api.grant(id, "tool:file.read#call", 60_000);
    expect(t.capabilities).toEqual(["tool:file.read#call"]);
    expect((await api.caps(id)).map((x) => x.id)).toContain(t.id);
    const x = await api.explain(id, "tool:file.read#call");
    expect(x.allowed).toBe(true);
    expect(x.decidedBy).toContain(t.id);
    expect(await api.revoke(t.id)).toEqual({ revoked: 1 });
    expect((await api.explain(id, "tool:file.read#call")).allowed).toBe(false);
    await expect(api.revoke("cap_none")).rejects.toMatchObject({ code: "E_NOT_FOUND" });
  });

  it("verifies the audit log", async () => {
    const r = await api.auditVerify();
    expect(r.ok).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.entries ?? 0).toBeGreaterThan(0);
  });
});

describe("gateway: port and drain", () => {
  it("names the port when it is taken", async () => {
    await expect(startGateway(plane, { token, port: gw.port })).rejects.toMatchObject({ code: "E_CONFIG", message: expect.stringContaining(`port ${gw.port}`) });
  });

  it("answers 503 E_SHUTDOWN once draining", async () => {
    const other = await startGateway(plane, { token, port: 0 });
    const client = new HttpControl(other.url, token);
    expect(await client.ps()).toBeInstanceOf(Array);
    other.drain();
    await expect(client.ps()).rejects.toMatchObject({ code: "E_SHUTDOWN" });
    await other.close();
    await expect(client.ps()).rejects.toMatchObject({ code: "E_UNAVAILABLE" });
  });
});
