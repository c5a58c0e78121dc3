/**
 * The rest of the agent lifecycle, LLM runs and the security/audit read routes, over a real server
 * on loopback: clone, upgrade, merge, split and specialize move real agents' state and mail; a run
 * against an OpenAI-compatible model on loopback answers JSON, or streams the words as SSE chunks
 * and ends its agent when the caller leaves; capability tokens, the policy and RFC 9162 audit
 * proofs that verify.
 */
import { join } from "node:path";
import { AiosError } from "../../src/core/index.js";
import { worker } from "../../examples/agents/worker.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyConsistency, verifyInclusion } from "../../src/audit/index.js";
import { callers, startTestGateway, type TestGateway } from "./harness.js";
import { StreamModel } from "./stream-model.js";

const WORKER = join(process.cwd(), "examples/agents/worker.ts");
const ANSWER = "Forty two is the answer to the question you asked.";
let t: TestGateway;
let model: StreamModel;

beforeAll(async () => {
  model = await new StreamModel(ANSWER).start();
  t = await startTestGateway({
    models: { writer: { provider: "openai", baseURL: model.url, model: "writer", apiKey: "sk-test" } },
    logics: { worker },
    subsystems: { security: { policy: { default: "allow", rules: [{ id: "no-shell", effect: "deny", reason: "no shells here", when: { tool: "shell.execute" } }] } } },
  });
});
afterAll(async () => {
  await t.close();
  await model.stop();
});

const { ok, fails } = callers(() => t);
const spawnWorker = async (name: string): Promise<string> => (await t.plane.spawn({ spec: { name, kind: "code", module: WORKER, export: "worker" } })).id;
const stats = (id: string): Promise<unknown> => t.plane.request(id, { type: "stats" });
const note = (id: string, text: string): Promise<void> => t.plane.send(id, { type: "note", text });

/** The events of a text/event-stream body, in order. */
function sseEvents(text: string): { event: string; data: unknown }[] {
  return text.split("\n\n").filter((b) => b.trim() !== "").map((block) => {
    const lines = block.split("\n");
    const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim() ?? "message";
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
    return { event, data: JSON.parse(data) as unknown };
  });
}

describe("lifecycle routes", () => {
  it("clones with state, upgrades in place, merges two into one and splits one into two", async () => {
    const a = await spawnWorker("alpha");
    await note(a, "first");
    const clone = await ok("POST", `/v1/agents/${a}/clone`, { overrides: { name: "alpha-copy" } });
    const c = String(clone["id"]);
    expect(await stats(c)).toEqual({ handled: 1, notes: ["first"] });
    expect((await t.plane.status(c)).name).toBe("alpha-copy");

    const up = await ok("POST", "/v1/agents/alpha/upgrade", { spec: { version: "2.0.0" } });
    expect(up).toMatchObject({ id: a, name: "alpha", version: "2.0.0", status: "running" });
    expect(await stats(a)).toMatchObject({ notes: ["first"] }); // state kept
    await fails("POST", `/v1/agents/${a}/upgrade`, { spec: { name: "renamed" } }, 400, /cannot change an agent's name/);

    await note(c, "second");
    const merged = await ok("POST", `/v1/agents/${a}/merge`, { with: c, combine: "shallow", spec: { name: "alpha-merged", kind: "code", module: WORKER, export: "worker" } });
    const m = String(merged["id"]);
    expect(await stats(m)).toMatchObject({ notes: ["first", "second"] }); // the second state's keys win
    for (const gone of [a, c]) expect((await t.plane.status(gone)).status).toBe("killed");

    const split = await ok("POST", `/v1/agents/${m}/split`, { strategy: "keys", keys: ["notes"], specs: [{ name: "left", kind: "code", module: WORKER, export: "worker" }, null] });
    const [left, right] = split["ids"] as [string, string];
    expect(await stats(left)).toMatchObject({ notes: ["first", "second"] });
    expect((await t.plane.status(right)).name).toBe("alpha-merged");
    expect((await t.plane.status(m)).status).toBe("killed");
    const copies = await ok("POST", `/v1/agents/${left}/split`, { strategy: "copy" });
    for (const id of copies["ids"] as string[]) expect(await stats(id)).toMatchObject({ notes: ["first", "second"] });
  });

  it("specializes a child with a narrower spec and refuses a wider one", async () => {
    // A registered logic: the child is the agent's creation, and an agent may name no module file.
    const p = (await t.plane.spawn({ spec: { name: "generalist", kind: "code", logic: "worker" } })).id;
    await t.plane.grant(p, "tool:file.read#call");
    const s = await ok("POST", `/v1/agents/${p}/specialize`, { narrow: { name: "specialist", tools: [] } });
    const child = await t.plane.status(String(s["id"]));
    expect(child).toMatchObject({ name: "generalist/specialist", parent: p });
    await fails("POST", `/v1/agents/${p}/specialize`, { narrow: { tools: ["shell.execute"] } }, 403, /specialize may only narrow/);
  });

  it("lets a hook veto an operation (409) and names bad bodies (400)", async () => {
    const id = await spawnWorker("guarded");
    const off = t.os.hooks.before("clone", () => {
      throw new AiosError("E_VETOED", "no clones today");
    });
    try {
      await fails("POST", `/v1/agents/${id}/clone`, {}, 409, /no clones today/);
    } finally {
      off();
    }
    await fails("POST", `/v1/agents/${id}/merge`, { with: id }, 400, /^body\.combine/);
    await fails("POST", `/v1/agents/${id}/merge`, { with: id, combine: "pair" }, 400, /two different agents/);
    await fails("POST", `/v1/agents/${id}/split`, { strategy: "keys" }, 400, /^body\.keys/);
    await fails("POST", `/v1/agents/${id}/split`, { strategy: "copy", keys: ["a"] }, 400, /^body\.keys/);
    await fails("POST", `/v1/agents/${id}/upgrade`, { spec: {} }, 400, /^body\.spec/);
    await fails("POST", `/v1/agents/${id}/specialize`, {}, 400, /^body\.narrow/);
    await fails("POST", "/v1/agents/ag_none/clone", {}, 404, /ag_none/);
  });
});

describe("LLM runs", () => {
  it("answers JSON, then ends the run's agent", async () => {
    const r = await ok("POST", "/v1/runs", { spec: { name: "helper", model: "writer" }, goal: "What is the answer?" });
    expect(r).toMatchObject({ text: ANSWER, steps: 1, usage: { promptTokens: 12, completionTokens: 7 }, agent: expect.any(String) });
    expect((await t.plane.status(String(r["agent"]))).status).toBe("killed");
  });

  it("streams the answer as SSE chunks word by word, then the answer (stream: true or the Accept header)", async () => {
    for (const how of [{ body: { stream: true }, headers: {} }, { body: {}, headers: { accept: "text/event-stream" } }]) {
      const res = await fetch(`${t.gw.url}/v1/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json", ...how.headers },
        body: JSON.stringify({ spec: { name: "streamer", model: "writer" }, goal: "What is the answer?", ...how.body }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
      const events = sseEvents(await res.text());
      const chunks = events.filter((e) => e.event === "chunk").map((e) => (e.data as { text: string }).text);
      expect(chunks.length).toBe(ANSWER.split(" ").length);
      expect(chunks.join("")).toBe(ANSWER);
      expect(events.at(-1)).toMatchObject({ event: "answer", data: { text: ANSWER, steps: 1 } });
    }
  });

  it("ends the run's agent when the streaming caller goes away mid-answer", async () => {
    model.hold = true;
    const ac = new AbortController();
    const ended = t.os.events.once("agent.transition", (e) => e.data.to === "killed" && String(e.data.reason ?? "").includes("went away"));
    const res = await fetch(`${t.gw.url}/v1/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" },
      body: JSON.stringify({ spec: { name: "abandoned", model: "writer" }, goal: "Talk slowly", stream: true }),
      signal: ac.signal,
    });
    const reader = res.body?.getReader();
    const first: Uint8Array | undefined = (await reader?.read())?.value as Uint8Array | undefined;
    expect(new TextDecoder().decode(first)).toContain("event: chunk");
    ac.abort();
    const e = await ended;
    model.hold = false;
    model.release();
    expect((await t.plane.status(String(e.agent))).status).toBe("killed");
  });

  it("refuses a bad body with 400 before streaming, and reports a failed run as an error event", async () => {
    await fails("POST", "/v1/runs", { spec: { name: "x" }, stream: true }, 400, /^body\.goal/);
    await fails("POST", "/v1/runs", { goal: "g" }, 400, /^body\.spec: give exactly one/);
    const r = await t.call("POST", "/v1/runs", { spec: { name: "lost", model: "no-such-model" }, goal: "g", stream: true });
    expect(r.status).toBe(200);
    const events = sseEvents(r.text);
    expect(events).toEqual([{ event: "error", data: { error: expect.objectContaining({ code: expect.stringMatching(/^E_/), message: expect.stringContaining("no-such-model") }) } }]);
    await fails("POST", "/v1/runs", { spec: { name: "lost", model: "no-such-model" }, goal: "g" }, 400, /no-such-model/);
  });
});

describe("capabilities, policy and audit read routes", () => {
  it("lists every agent's tokens and shows the policy in force", async () => {
    const id = await spawnWorker("holder");
    const g = await t.plane.grant(id, "tool:file.read#call");
    const all = (await t.call("GET", "/v1/caps")).json as { agent: string; name: string; tokens: { id: string }[] }[];
    expect(all.find((x) => x.agent === id)).toMatchObject({ name: "holder", tokens: expect.arrayContaining([expect.objectContaining({ id: g.id, capabilities: ["tool:file.read#call"] })]) });
    const p = await ok("GET", "/v1/policy");
    expect(p).toMatchObject({ combine: "first-match", default: "allow", rules: [{ id: "no-shell", effect: "deny", when: { tool: "shell.execute" } }], taintGuard: { mode: "deny" }, generation: 1 });
  });

  it("answers entries, tree heads and inclusion and consistency proofs that verify", async () => {
    await spawnWorker("audited");
    const head = await ok("GET", "/v1/audit/head");
    const size = Number(head["size"]);
    expect(size).toBeGreaterThan(3);
    const list = await ok("GET", "/v1/audit/entries?from=2&limit=3");
    expect((list["entries"] as { seq: number }[]).map((e) => e.seq)).toEqual([2, 3, 4]);

    const proof = await ok("GET", `/v1/audit/proof/3?treeSize=${size}`);
    expect(proof).toMatchObject({ entry: { seq: 3 }, leafIndex: 2, treeSize: size, root: head["root"] });
    const hex = (s: unknown): Buffer => Buffer.from(String(s), "hex");
    expect(verifyInclusion(hex(proof["leaf"]), 2, size, (proof["path"] as string[]).map(hex), hex(head["root"]))).toBe(true);
    expect(verifyInclusion(hex(proof["leaf"]), 3, size, (proof["path"] as string[]).map(hex), hex(head["root"]))).toBe(false);

    const early = await ok("GET", "/v1/audit/head?size=2");
    const c = await ok("GET", `/v1/audit/consistency?from=2&to=${size}`);
    expect(c).toMatchObject({ fromSize: 2, toSize: size, fromRoot: early["root"], toRoot: head["root"] });
    expect(verifyConsistency(2, size, hex(c["fromRoot"]), hex(c["toRoot"]), (c["path"] as string[]).map(hex))).toBe(true);

    await fails("GET", "/v1/audit/proof/abc", undefined, 400, /^params\.seq/);
    await fails("GET", `/v1/audit/proof/${size + 1000}?treeSize=${size}`, undefined, 404, /no audit entry/);
    await fails("GET", "/v1/audit/consistency", undefined, 400, /^query\.from/);
  });
});
