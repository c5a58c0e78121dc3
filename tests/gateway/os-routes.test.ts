/**
 * The memory, tools and secrets routes against a real server on loopback over a real kernel in a
 * temp data dir: each route's answer, the door (operator calls are audited syscalls; `as` acts with
 * an agent's capabilities), field-naming 400s, and the bearer token on every row of the table.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES } from "../../src/gateway/index.js";
import { callers, fillPath, startTestGateway, type TestGateway } from "./harness.js";

const WORKER = join(process.cwd(), "examples/agents/worker.ts");
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t.close();
});

const { ok, fails } = callers(() => t);
/** The audit entries of `syscall` made by `agent`, after committing what is buffered. */
const audited = (agent: string, syscall: string): unknown[] => {
  t.os.audit.flush();
  return t.os.audit.entries({ agent, limit: 100_000 }).filter((e) => e.kind === "syscall" && e.data["syscall"] === syscall);
};

describe("every route needs the bearer token", () => {
  it("answers 401 E_AUTH without a token and with a wrong one, on every row of the table", async () => {
    expect(ROUTES.length).toBeGreaterThan(40);
    for (const r of ROUTES) {
      for (const token of [null, "wrong-token"]) {
        const res = await t.call(r.method.toUpperCase(), fillPath(r.path), r.method === "get" ? undefined : {}, token);
        expect(res.status, `${r.method} ${r.path} token=${String(token)}`).toBe(401);
        expect((res.json as { error: { code: string } }).error.code).toBe("E_AUTH");
      }
    }
  });
});

describe("memory routes", () => {
  it("stores, gets, updates, shows history, queries with scores, links and walks neighbours", async () => {
    const cat = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "the cat sat on the warm mat" }, tags: ["pets"] });
    expect(cat).toEqual({ id: expect.any(String), version: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const dog = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "a dog barks at the postman" }, scope: "global" });
    const rec = await ok("GET", `/v1/memory/records/${String(cat["id"])}`);
    expect(rec).toMatchObject({ id: cat["id"], type: "note", owner: "operator", scope: "agent", content: { text: "the cat sat on the warm mat" }, tags: ["pets"] });

    const v2 = await ok("PUT", `/v1/memory/records/${String(cat["id"])}`, { content: { text: "the cat sleeps on the warm mat" } });
    const h = await ok("GET", `/v1/memory/records/${String(cat["id"])}/history`);
    const versions = h["versions"] as { hash: string; parents: string[]; op: string }[];
    expect(versions.map((v) => v.hash)).toEqual([cat["version"], v2["version"]]);
    expect(versions[1]?.parents).toEqual([cat["version"]]);
    expect(h["heads"]).toEqual([v2["version"]]);

    const q = await ok("POST", "/v1/memory/query", { text: "cat on a mat", k: 5 });
    const hits = q["hits"] as { id: string; score: number; lexicalRank?: number }[];
    expect(hits[0]).toMatchObject({ id: cat["id"], lexicalRank: 1 });
    expect(hits[0]?.score).toBeGreaterThan(0);
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]?.score ?? 0).toBeGreaterThanOrEqual(hits[i]?.score ?? 0);
    const lexical = await ok("POST", "/v1/memory/query", { text: "postman", mode: "lexical" });
    expect((lexical["hits"] as { id: string }[]).map((x) => x.id)).toEqual([dog["id"]]);

    expect(await ok("POST", "/v1/memory/links", { from: cat["id"], to: dog["id"], type: "chases" })).toEqual({ created: true });
    expect(await ok("POST", "/v1/memory/links", { from: cat["id"], to: dog["id"], type: "chases" })).toEqual({ created: false });
    const n = await ok("GET", `/v1/memory/records/${String(cat["id"])}/neighbours?types=chases&depth=1`);
    expect(n["nodes"]).toEqual([{ id: dog["id"], type: "note", depth: 1, from: cat["id"], via: "chases" }]);
    expect((await ok("GET", `/v1/memory/records/${String(dog["id"])}/neighbours?direction=in`))["nodes"]).toEqual([{ id: cat["id"], type: "note", depth: 1, from: dog["id"], via: "chases" }]);
    expect((await ok("GET", `/v1/memory/records/${String(cat["id"])}/neighbours?types=likes`))["nodes"]).toEqual([]);

    // Each of these was a syscall through the door, audited as the operator's.
    for (const s of ["MemoryStore", "MemoryGet", "MemoryUpdate", "MemoryHistory", "MemoryQuery", "MemoryLink", "MemoryNeighbors"]) expect(audited("operator", s).length, s).toBeGreaterThan(0);
  });

  it("snapshots a scope, lists its snapshots and restores one by writing new versions", async () => {
    const a = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "plan A" }, scope: "global" });
    const snap = await ok("POST", "/v1/memory/snapshots", { scope: "global", label: "before" });
    expect(snap).toEqual({ id: expect.stringMatching(/^snap_/), records: expect.any(Number) });
    await ok("PUT", `/v1/memory/records/${String(a["id"])}`, { content: { text: "plan B" } });
    const extra = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "made after" }, scope: "global" });
    const list = await ok("GET", "/v1/memory/snapshots?scope=global");
    expect(list["snapshots"]).toContainEqual({ id: snap["id"], scope: "global", label: "before", ts: expect.any(Number), records: snap["records"] });
    expect(await ok("POST", `/v1/memory/snapshots/${String(snap["id"])}/restore`, {})).toMatchObject({ reverted: 1, removed: 1 });
    expect((await ok("GET", `/v1/memory/records/${String(a["id"])}`))["content"]).toEqual({ text: "plan A" });
    expect((await t.call("GET", `/v1/memory/records/${String(extra["id"])}`)).status).toBe(404);
    expect(((await ok("GET", `/v1/memory/records/${String(a["id"])}/history`))["versions"] as unknown[]).length).toBe(3); // history kept
    await fails("POST", "/v1/memory/snapshots/snap_none/restore", {}, 404, /no snapshot snap_none/);
    expect(audited("operator", "MemorySnapshot").length).toBe(1);
    expect(audited("operator", "MemoryRestore").length).toBe(2);
  });

  it("grants shared namespaces: the fabric's grants for the operator, capabilities for agents acting with `as`", async () => {
    // The operator's own shared writes are held to the memory's grants (it is no agent of the kernel).
    await fails("POST", "/v1/memory/records", { type: "note", content: { text: "x" }, scope: "shared/team" }, 403, /agent operator may not write memory:shared\/team/);
    expect(await ok("POST", "/v1/memory/grants", { namespace: "team", agent: "operator", access: "write" })).toEqual({ namespace: "team", agent: "operator", access: "write" });
    const op = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "agenda" }, scope: "shared/team" });
    expect(audited("operator", "MemoryGrant").length).toBe(1);

    // An agent's are held to its capabilities, checked at the door.
    const { id } = await t.plane.spawn({ spec: { name: "scribe", kind: "code", module: WORKER, export: "worker" } });
    await fails("POST", "/v1/memory/records", { type: "note", content: { text: "x" }, scope: "shared/team", as: "scribe" }, 403, /memory:shared\/team#write/);
    await ok("POST", "/v1/caps/grant", { agent: id, capability: "memory:shared/team#*" });
    const w = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "minutes of the meeting" }, scope: "shared/team", as: "scribe" });
    expect(await ok("GET", `/v1/memory/records/${String(w["id"])}?as=${id}`)).toMatchObject({ owner: id, scope: "shared", namespace: "team" });
    expect(await ok("GET", `/v1/memory/records/${String(op["id"])}?as=scribe`)).toMatchObject({ owner: "operator", content: { text: "agenda" } });
    expect(audited(id, "MemoryStore").map((e) => (e as { data: { decision: string } }).data.decision)).toEqual(["denied", "allowed"]);

    // Grants name agents by id (a name is resolved); "none" revokes.
    expect(await ok("POST", "/v1/memory/grants", { namespace: "team", agent: "scribe", access: "read" })).toEqual({ namespace: "team", agent: id, access: "read" });
    expect(await ok("GET", "/v1/memory/grants?namespace=team")).toEqual({
      grants: [{ tenant: "default", namespace: "team", agent: id, access: "read" }, { tenant: "default", namespace: "team", agent: "operator", access: "write" }].sort((a, b) => a.agent.localeCompare(b.agent)),
    });
    expect(await ok("POST", "/v1/memory/grants", { namespace: "team", agent: "operator", access: "none" })).toEqual({ namespace: "team", agent: "operator", access: null });
    await fails("POST", "/v1/memory/records", { type: "note", content: { text: "y" }, scope: "shared/team" }, 403, /may not write/);
    await fails("POST", "/v1/memory/grants", { namespace: "team", agent: "nobody-here", access: "read" }, 404, /no agent nobody-here/);

    // An agent's private record is not the operator's to read without `as`: unreadable is not found.
    const mine = await ok("POST", "/v1/memory/records", { type: "note", content: { text: "private" }, as: id });
    expect((await t.call("GET", `/v1/memory/records/${String(mine["id"])}`)).status).toBe(404);
    expect((await ok("GET", `/v1/memory/records/${String(mine["id"])}?as=scribe`))["content"]).toEqual({ text: "private" });
  });

  it("answers 400 naming the field for bad bodies and queries", async () => {
    await fails("POST", "/v1/memory/records", { content: { text: "no type" } }, 400, /^body\.type/);
    await fails("POST", "/v1/memory/records", { type: "note", content: {}, colour: "red" }, 400, /^body: .*colour/);
    await fails("POST", "/v1/memory/records", { type: "note", content: {}, tags: [""] }, 400, /^body\.tags\.0/);
    await fails("POST", "/v1/memory/query", { text: "x", k: 0 }, 400, /^body\.k/);
    await fails("POST", "/v1/memory/query", { mode: "fuzzy" }, 400, /^body\.mode/);
    await fails("POST", "/v1/memory/links", { from: "a", type: "t" }, 400, /^body\.to/);
    await fails("POST", "/v1/memory/grants", { namespace: "team", agent: "a", access: "admin" }, 400, /^body\.access/);
    await fails("POST", "/v1/memory/grants", { namespace: "no spaces", agent: "a", access: "read" }, 400, /^body\.namespace/);
    await fails("PUT", "/v1/memory/records/mem_x", { base: "not-a-hash" }, 400, /^body\.base/);
    await fails("GET", "/v1/memory/records/mem_x/neighbours?depth=99", undefined, 400, /^query\.depth/);
    await fails("GET", "/v1/memory/snapshots?colour=red", undefined, 400, /^query: .*colour/);
    await fails("POST", "/v1/memory/records", { type: "note", content: {}, as: "no-such-agent" }, 404, /no agent no-such-agent/);
    await fails("GET", "/v1/memory/records/mem_none", undefined, 404, /mem_none/);
  });
});

describe("tools routes", () => {
  it("lists tools, describes one with the JSON Schema of its arguments, and calls it as the operator (audited)", async () => {
    const list = await ok("GET", "/v1/tools");
    const tools = list["tools"] as { name: string; description: string; sideEffect: boolean }[];
    expect(tools.map((x) => x.name)).toContain("file.read");
    expect(tools.find((x) => x.name === "file.read")).toEqual({ name: "file.read", description: expect.any(String), sideEffect: false });
    const d = await ok("GET", "/v1/tools/file.read");
    expect(d).toMatchObject({ name: "file.read", inputSchema: { type: "object", properties: { path: { type: "string" } } } });

    const file = join(t.dir, "greeting.txt");
    writeFileSync(file, "hello from disk");
    const before = audited("operator", "ToolCall").length;
    const r = await ok("POST", "/v1/tools/file.read/call", { args: { path: file } });
    expect(r).toMatchObject({ result: { content: "hello from disk" } });
    expect(audited("operator", "ToolCall").length).toBe(before + 1);
  });

  it("calls as an agent with that agent's capabilities only, and names bad arguments", async () => {
    const { id } = await t.plane.spawn({ spec: { name: "reader", kind: "code", module: WORKER, export: "worker" } });
    const file = join(t.dir, "secret-plans.txt");
    writeFileSync(file, "plans");
    await fails("POST", "/v1/tools/file.read/call", { args: { path: file }, as: id }, 403, /tool:file.read/);
    expect(audited(id, "ToolCall")).toEqual([expect.objectContaining({ data: expect.objectContaining({ decision: "denied" }) })]);
    await fails("POST", "/v1/tools/file.read/call", { args: { path: 42 } }, 400, /args\.path/);
    await fails("POST", "/v1/tools/file.read/call", { argz: {} }, 400, /^body: .*argz/);
    await fails("POST", "/v1/tools/no.such.tool/call", { args: {} }, 404, /no tool named "no.such.tool"/);
    await fails("GET", "/v1/tools/no.such.tool", undefined, 404, /no tool named/);
  });
});

describe("secrets routes", () => {
  it("sets, lists names and deletes; answers names only", async () => {
    expect(await ok("PUT", "/v1/secrets/SERVICE_TOKEN", { value: "tok-1234567890" })).toEqual({ name: "SERVICE_TOKEN" });
    expect(await ok("GET", "/v1/secrets")).toEqual({ names: ["SERVICE_TOKEN"] });
    expect(await ok("PUT", "/v1/secrets/SERVICE_TOKEN", { value: "tok-0987654321" })).toEqual({ name: "SERVICE_TOKEN" });
    expect(await ok("DELETE", "/v1/secrets/SERVICE_TOKEN")).toEqual({ name: "SERVICE_TOKEN", deleted: true });
    expect(await ok("DELETE", "/v1/secrets/SERVICE_TOKEN")).toEqual({ name: "SERVICE_TOKEN", deleted: false });
    expect(await ok("GET", "/v1/secrets")).toEqual({ names: [] });
    for (const s of ["SecretSet", "SecretList", "SecretDelete"]) expect(audited("operator", s).length, s).toBeGreaterThan(0);
    await fails("PUT", "/v1/secrets/9bad", { value: "long enough" }, 400, /^params\.name/);
    await fails("PUT", "/v1/secrets/OK_NAME", { value: "abc" }, 400, /^body\.value: at least 4/);
    await fails("PUT", "/v1/secrets/OK_NAME", {}, 400, /^body\.value/);
    await fails("PUT", "/v1/secrets/OK_NAME", { value: "long enough", extra: 1 }, 400, /^body/);
  });
});
