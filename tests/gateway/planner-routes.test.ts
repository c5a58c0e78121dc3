/**
 * The planner's HTTP routes on a real loopback server (random port) over a real kernel with the
 * default stack, called with fetch and the bearer token: POST /v1/ledger/deposit, POST /v1/agents
 * (workers from the shipped specs), POST /v1/plans, GET /v1/plans/:id, /v1/market/book,
 * /v1/ledger/balances, /v1/ledger/transfers, /v1/reputation; bad bodies are 400 naming the field,
 * no token is 401. The escalation path: when every worker's result is vetoed up to the attempt
 * limit, the task waits on an approval (rule critic.veto) that a person approves over the API.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { ControlPlane, ensureApiToken, startGateway, type Gateway } from "../../src/gateway/index.js";

let dir: string;
let os: Aios;
let plane: ControlPlane;
let gw: Gateway;
let token: string;

const call = async (method: "GET" | "POST", path: string, body?: unknown, auth = true): Promise<{ status: number; json: unknown }> => {
  const r = await fetch(gw.url + path, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: (await r.json()) };
};
const ok = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
  const r = await call(method, path, body);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as T;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-planner-gw-"));
  os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { memory: false, embedder: false, mcp: false, planner: { maxAttempts: 2, maxReplans: 0 } } });
  plane = new ControlPlane(os);
  token = ensureApiToken(dir);
  gw = await startGateway(plane, { token, port: 0 });
}, 60_000);

afterAll(async () => {
  await gw.close();
  plane.close();
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("planner routes", () => {
  it("refuse without the token and name a bad field", async () => {
    expect((await call("GET", "/v1/market/book", undefined, false)).status).toBe(401);
    const bad = await call("POST", "/v1/ledger/deposit", { account: "operator", amount: "1.5" });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: "E_INVALID_ARG", details: { path: "body.amount" } } });
    const noGoal = await call("POST", "/v1/plans", { goal: "" });
    expect(noGoal.status).toBe(400);
    expect(noGoal.json).toMatchObject({ error: { details: { path: "body.goal" } } });
    expect((await call("GET", "/v1/plans/plan_nope")).status).toBe(404);
  });

  it("fund, spawn workers, plan, and read the book, the ledger and reputation", async () => {
    expect(await ok("POST", "/v1/ledger/deposit", { account: "operator", amount: "5000000", id: "fund-1" })).toMatchObject({ account: "operator", available: "5000000" });
    // Idempotent by id: the same deposit again changes nothing.
    expect(await ok("POST", "/v1/ledger/deposit", { account: "operator", amount: "5000000", id: "fund-1" })).toMatchObject({ available: "5000000" });
    for (const w of ["bob", "ann", "cy"]) await ok("POST", "/v1/agents", { specPath: resolve(`examples/specs/market/${w}.yaml`) });
    const plan = await ok<{ planId: string; status: string; answer: unknown }>("POST", "/v1/plans", { goal: "Mica splits into thin sheets; Talc is the softest mineral" });
    expect(plan).toMatchObject({ status: "answered", answer: { text: "Mica splits into thin sheets Talc is the softest mineral" } });
    expect(await ok("GET", `/v1/plans/${plan.planId}`)).toMatchObject({ planId: plan.planId, status: "answered", tasks: { part1: "done", part2: "done", join: "done" } });
    const book = await ok<{ taskId: string; status: string; bids: unknown[] }[]>("GET", "/v1/market/book?status=settled");
    expect(book.map((t) => t.taskId).sort()).toEqual([`${plan.planId}/join/0/r1`, `${plan.planId}/part1/0`, `${plan.planId}/part2/0`]);
    expect(book.find((t) => t.taskId === `${plan.planId}/part1/0`)?.bids).toHaveLength(3);
    expect(await ok("GET", "/v1/market/book?status=refunded")).toHaveLength(1);
    const bal = await ok<{ totals: { balanced: boolean; debitsPending: string }; accounts: { account: string; available: string }[] }>("GET", "/v1/ledger/balances");
    expect(bal.totals).toMatchObject({ balanced: true, debitsPending: "0" });
    expect(bal.accounts.find((a) => a.account === "operator")?.available).toBe(String(5_000_000 - 2 * 100_000 - 150_000));
    const mine = await ok<{ id: string; debitAccountId: string; creditAccountId: string }[]>("GET", "/v1/ledger/transfers?account=operator&limit=50");
    expect(mine.length).toBeGreaterThan(0);
    for (const t of mine) expect([t.debitAccountId, t.creditAccountId]).toContain("operator");
    const rep = await ok<{ agent: string; trust: number }[]>("GET", "/v1/reputation");
    expect(rep.length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it("escalates a result vetoed on every attempt to a person, who approves it over the API", async () => {
    // Only sloppy joiners are left: bob (vetoed at attempt 1, so excluded) and dan (vetoed at attempt 2).
    const agents = await ok<{ id: string; name: string }[]>("GET", "/v1/agents?name=*");
    for (const a of agents.filter((x) => x.name === "ann" || x.name === "cy")) await ok("POST", `/v1/agents/${a.id}/kill`, {});
    const sloppy = await ok<{ id: string }>("POST", "/v1/agents", { spec: { name: "dan", kind: "code", module: resolve("examples/agents/market-worker.ts"), export: "marketWorker", capabilities: ["market#join", "market:**#bid"], args: { price: 120000, sloppyOn: ["join"] } } });
    const asked = os.events.once("approval.requested");
    const plan = await ok<{ planId: string; status: string }>("POST", "/v1/plans", { goal: "Gypsum is soft; Fluorite glows", wait: false });
    expect(plan.status).toBe("running");
    const ev = await asked;
    const pending = await ok<{ id: string; rule: string; args: { taskId: string; worker: string } }[]>("GET", "/v1/approvals?status=pending");
    expect(pending).toEqual([expect.objectContaining({ id: ev.data.id, rule: "critic.veto", args: expect.objectContaining({ taskId: "join", worker: sloppy.id }) })]);
    const ended = os.events.once("plan.ended", (e) => e.data.planId === plan.planId);
    await ok("POST", `/v1/approvals/${ev.data.id}/approve`, { note: "good enough" });
    await ended;
    const st = await ok<{ status: string; answer: { text: string } }>("GET", `/v1/plans/${plan.planId}`);
    expect(st.status).toBe("answered");
    expect(st.answer.text).toMatch(/about 42 percent/);
    const bal = await ok<{ totals: { balanced: boolean; debitsPending: string } }>("GET", "/v1/ledger/balances");
    expect(bal.totals).toMatchObject({ balanced: true, debitsPending: "0" });
  }, 60_000);
});
