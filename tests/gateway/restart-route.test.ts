/**
 * POST /v1/agents/:id/restart over a real gateway on the default stack with a data directory: the
 * agent comes back under its id with its journaled state (the worker's notes), the restart is in
 * the audit log as the operator's lifecycle entries, and bad requests get the error that names them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { worker } from "../../examples/agents/worker.js";
import { callers, startTestGateway, type TestGateway } from "./harness.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ logics: { worker } });
});
afterAll(async () => {
  await t.close();
});
const { ok, fails } = callers(() => t);

describe("POST /v1/agents/:id/restart", () => {
  it("restarts a durable agent under its id with its journaled state, and audits it", async () => {
    const { id } = (await ok("POST", "/v1/agents", { spec: { name: "keeper", kind: "code", logic: "worker" } })) as { id: string };
    await ok("POST", `/v1/agents/${id}/send`, { payload: { type: "note", text: "remember me" } });
    const before = (await ok("POST", `/v1/agents/${id}/request`, { payload: { type: "stats" } })).reply as { handled: number; notes: string[] };
    expect(before.notes).toEqual(["remember me"]);
    expect(await ok("POST", `/v1/agents/${id}/restart`, { reason: "operator test" })).toEqual({ id });
    expect(await ok("GET", `/v1/agents/${id}`)).toMatchObject({ id, name: "keeper", status: "running", incarnation: 1, durable: true });
    // The state the journal held: the note, and the count of handled messages going on from it.
    expect((await ok("POST", `/v1/agents/${id}/request`, { payload: { type: "stats" } })).reply).toEqual({ handled: before.handled + 1, notes: ["remember me"] });
    // By name too, with no body.
    expect(await ok("POST", "/v1/agents/keeper/restart")).toEqual({ id });

    const audit = (await ok("GET", `/v1/audit/entries?agent=${id}&limit=100`)) as { entries: { kind: string; data: Record<string, unknown> }[] };
    const lifecycle = audit.entries.filter((e) => e.kind === "lifecycle").map((e) => e.data);
    expect(lifecycle).toContainEqual(expect.objectContaining({ event: "agent.transition", to: "killed", reason: "restart: operator test" }));
    expect(lifecycle).toContainEqual(expect.objectContaining({ event: "agent.restarted", by: "operator", reason: "operator test" }));
  });

  it("refuses an unknown agent, an ended one, a bad body and a missing token", async () => {
    await fails("POST", "/v1/agents/nobody/restart", {}, 404, /nobody/);
    const { id } = (await ok("POST", "/v1/agents", { spec: { name: "gone", kind: "code", logic: "worker" } })) as { id: string };
    await ok("POST", `/v1/agents/${id}/kill`, {});
    await fails("POST", `/v1/agents/${id}/restart`, {}, 409, /has ended/);
    await fails("POST", `/v1/agents/${id}/restart`, { reason: 5 }, 400, /reason/);
    expect((await t.call("POST", `/v1/agents/${id}/restart`, {}, null)).status).toBe(401);
  });
});
