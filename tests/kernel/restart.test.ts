import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, storeSubsystem, type AgentSpecInput } from "../../src/index.js";
import { bootSim, counter, record, settle, tally } from "./helpers.js";


const bootDurable = (dataDir: string) => boot({ dataDir, stack: "bare", durable: true, logics: { tally }, add: [storeSubsystem({ dataDir })] });

describe("operator restart", () => {
  it("starts an agent afresh under the same id and name, with its queued mail", async () => {
    const { os } = await bootSim();
    const seen = record(os, { types: ["agent.transition", "agent.restarted"] });
    const id = await os.spawn({ name: "t", kind: "code", logic: tally });
    await os.send(id, 1);
    await os.send(id, 2);
    await settle();
    await os.pause(id);
    await os.send(id, 3); // queued while paused: it goes to the new incarnation
    expect(await os.restart(id, "stuck")).toBe(id);
    await settle();
    expect(os.status(id)).toMatchObject({ id, name: "t", status: "running", incarnation: 1 });
    expect(await os.request(id, "get")).toBe(1); // fresh state, then the queued message
    const mine = seen.filter((e) => e.agent === id);
    expect(mine.map((e) => (e.type === "agent.transition" ? `${e.data.from}->${e.data.to}:${e.data.reason ?? ""}` : e.type))).toEqual([
      "none->pending:", "pending->running:", "running->paused:", "paused->killed:restart: stuck", "none->pending:", "agent.restarted", "pending->running:",
    ]);
    expect(seen.find((e) => e.type === "agent.restarted")).toMatchObject({ data: { by: "operator", reason: "stuck", newId: id } });
    await os.shutdown();
  });

  it("an ended agent cannot be restarted; a vetoed restart changes nothing", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "t", kind: "code", logic: tally });
    await os.send(id, 1);
    await settle();
    const off = os.hooks.before("restart", () => ({ veto: "not now" }));
    await expect(os.restart(id)).rejects.toMatchObject({ code: "E_VETOED" });
    expect(os.status(id)).toMatchObject({ status: "running", incarnation: 0 });
    expect(await os.request(id, "get")).toBe(1);
    off();
    await os.kill(id);
    await expect(os.restart(id)).rejects.toMatchObject({ code: "E_CONFLICT" });
    await expect(os.restart("nobody")).rejects.toMatchObject({ code: "E_NO_AGENT" });
    await os.shutdown();
  });

  it("an ephemeral agent starts fresh", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "e", kind: "code", logic: tally, ephemeral: true });
    await os.send(id, 1);
    await settle();
    await os.restart(id);
    expect(os.status(id)).toMatchObject({ status: "running", incarnation: 1 });
    expect(await os.request(id, "get")).toBe(0);
    await os.shutdown();
  });

  it("counts in the supervisor's restart intensity and refuses a restart beyond it", async () => {
    const { os, clock } = await bootSim();
    const child = (name: string, restart: AgentSpecInput["restart"]): AgentSpecInput => ({ name, kind: "code", logic: counter, restart });
    const sup = await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 1, periodMs: 5_000 }, children: [child("a", "permanent"), child("b", "temporary")] });
    const a = os.ps({ name: "a" })[0]?.id ?? "";
    const b = os.ps({ name: "b" })[0]?.id ?? "";
    await os.restart(a);
    await settle();
    expect(os.status(a)).toMatchObject({ status: "running", incarnation: 1 });
    const refused = os.restart(b);
    await expect(refused).rejects.toMatchObject({ code: "E_QUOTA", retryable: true });
    expect(os.status(b)).toMatchObject({ status: "running", incarnation: 0 });
    clock.advance(5_001);
    await os.restart(b); // a temporary child too: the supervisor keeps tracking it
    await os.send(b, "boom");
    await settle();
    expect(os.status(b).status).toBe("failed"); // temporary: not restarted after a crash
    await os.send(a, "boom"); // the operator's restart of b used the one slot of this period
    await settle();
    expect(os.status(sup).status).toBe("failed");
    await os.shutdown();
  });

  it("a restarted supervisor starts fresh children", async () => {
    const { os } = await bootSim();
    const sup = await os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "w", kind: "code", logic: counter }] });
    const w = os.ps({ name: "w" })[0]?.id ?? "";
    await os.restart(sup);
    await settle();
    expect(os.status(sup)).toMatchObject({ status: "running", incarnation: 1 });
    expect(os.status(w).status).toBe("killed");
    const alive = os.ps({ name: "w", status: ["running"] });
    expect(alive).toHaveLength(1);
    expect(alive[0]?.parent).toBe(sup);
    await os.shutdown();
  });

  it("a durable agent keeps its journaled state and mail, across a daemon restart too; a dormant one can be restarted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-restart-"));
    let os = await bootDurable(dir);
    const id = await os.spawn({ name: "d", kind: "code", logic: "tally" });
    for (let i = 0; i < 3; i++) await os.send(id, i);
    await settle();
    await os.pause(id);
    await os.send(id, "queued");
    await os.restart(id);
    await settle();
    expect(os.status(id)).toMatchObject({ status: "running", incarnation: 1, durable: true });
    expect(await os.request(id, "get")).toBe(4);
    await os.shutdown();

    os = await bootDurable(dir);
    expect(os.kernel.get(id).dormant).not.toBeNull(); // not used yet since the boot
    await os.restart(id);
    expect(os.kernel.get(id).dormant).toBeNull();
    expect(os.status(id)).toMatchObject({ status: "running", incarnation: 1 });
    expect(await os.request(id, "get")).toBe(4);
    await os.send(id, "more");
    await settle();
    await os.shutdown();

    os = await bootDurable(dir);
    expect(await os.request(id, "get")).toBe(5);
    await os.shutdown();
  });
});
