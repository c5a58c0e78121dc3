/**
 * The wired planner as an SDK user meets it: `boot({ dataDir })` with the default stack, three
 * scripted worker agents on the market, `os.plan(goal)`. Checked: the goal becomes a graph of three
 * parallel parts and a join; every part is bid for by the three workers and cleared at the best price;
 * bob's sloppy join result is vetoed by the critic (escrow voided, the result never returned), the
 * task is re-posted without bob and redone by cy; the answer is the faithful one; the ledger balances
 * (double entry, no pending credits left, escrow empty) with exactly the accepted prices paid; the
 * verdicts are events and audit entries; every bid went through the door (a worker without the
 * capability is refused E_CAP_DENIED); reputation saw bob's poor result.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyKernelEvent } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";

const WORKER = resolve("examples/agents/market-worker.ts");
const CAPS = ["market#join", "market:**#bid"];
const worker = (name: string, price: number, sloppyOn: string[] = []) => ({ name, kind: "code" as const, module: WORKER, export: "marketWorker", capabilities: CAPS, args: { price, sloppyOn } });

let dir: string;
let os: Aios;
const events: AnyKernelEvent[] = [];
const ids = { bob: "", ann: "", cy: "" };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-planner-sdk-"));
  os = await boot({ dataDir: dir, subsystems: { memory: false, embedder: false, mcp: false } });
  os.events.subscribe({ types: ["market.message", "critic.verdict", "ledger.transfer", "plan.created", "plan.task", "plan.ended"] }, (e) => void events.push(e));
  ids.bob = await os.spawn(worker("bob", 100_000, ["join"]));
  ids.ann = await os.spawn(worker("ann", 200_000));
  ids.cy = await os.spawn(worker("cy", 150_000));
  await os.ledger.deposit("operator", 10_000_000n);
}, 60_000);

afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const GOAL = "Granite forms from cooling magma deep underground; Basalt forms from lava cooling quickly at the surface; Marble forms when limestone is heated and pressed";

describe("os.plan through the market", () => {
  it("plans, clears, vetoes one result, redoes it and balances the ledger", async () => {
    const r = await os.plan(GOAL);
    expect(r.status).toBe("answered");
    expect(r.answer).toEqual({ text: GOAL.split("; ").join(" ") });
    await new Promise((res) => setImmediate(res));

    const created = events.find((e) => e.type === "plan.created");
    expect(created?.data).toMatchObject({ planId: r.planId, tasks: 4, payer: "operator" });
    // Every part was bid for by all three workers, and bob (cheapest) won it.
    const proposes = events.filter((e) => e.type === "market.message" && (e.data as { performative: string }).performative === "propose");
    const byTask = new Map<string, Set<string>>();
    for (const e of proposes) {
      const d = e.data as { taskId: string; from: string };
      byTask.set(d.taskId, (byTask.get(d.taskId) ?? new Set()).add(d.from));
    }
    for (const part of ["part1", "part2", "part3"]) expect(byTask.get(`${r.planId}/${part}/0`)).toEqual(new Set([ids.bob, ids.ann, ids.cy]));
    // The join: bob's result vetoed, then re-posted without bob and won by cy.
    expect(byTask.get(`${r.planId}/join/0/r1`)).toEqual(new Set([ids.ann, ids.cy]));
    const verdicts = events.filter((e) => e.type === "critic.verdict").map((e) => e.data as { subject: string; accept: boolean; worker: string; score: number });
    expect(verdicts.filter((v) => !v.accept)).toEqual([expect.objectContaining({ subject: `${r.planId}/join/0`, worker: ids.bob })]);
    expect(verdicts.filter((v) => v.accept).map((v) => v.subject).sort()).toEqual([`${r.planId}/join/0/r1`, `${r.planId}/part1/0`, `${r.planId}/part2/0`, `${r.planId}/part3/0`]);

    const book = await os.market.book();
    const status = Object.fromEntries(book.map((t) => [t.taskId, t.status]));
    expect(status[`${r.planId}/join/0`]).toBe("refunded");
    expect(status[`${r.planId}/join/0/r1`]).toBe("settled");

    const totals = await os.ledger.totals();
    expect(totals.balanced).toBe(true);
    expect(totals.debitsPending).toBe("0");
    const bal = Object.fromEntries((await os.ledger.balances()).map((a) => [a.account, a.available]));
    expect(bal[`agent:${ids.bob}`]).toBe("300000");
    expect(bal[`agent:${ids.cy}`]).toBe("150000");
    expect(bal[`agent:${ids.ann}`]).toBe("0");
    expect(bal["operator"]).toBe(String(10_000_000 - 450_000));
    const escrow = await os.ledger.balance("escrow:default");
    expect([escrow.creditsPosted, escrow.debitsPosted, escrow.creditsPending]).toEqual(["450000", "450000", "0"]);
    // The vetoed reservation was voided: a void transfer, no payment to bob for the join.
    const transfers = await os.ledger.transfers({ limit: 1000 });
    expect(transfers.some((t) => t.id === `task:${r.planId}/join/0:void`)).toBe(true);
    expect(transfers.some((t) => t.id === `task:${r.planId}/join/0:pay`)).toBe(false);
    expect(events.filter((e) => e.type === "ledger.transfer").length).toBe(transfers.length);

    // Verdicts are audit entries too, and every MarketBid is an audited syscall.
    os.audit.flush();
    const audited = os.audit.entries({}).filter((e) => e.data["type"] === "critic.verdict" || e.data["event"] === "critic.verdict");
    expect(audited.length).toBe(5);
    expect(os.audit.entries({ agent: ids.bob }).filter((e) => e.data["syscall"] === "MarketBid").length).toBe(4);

    const rep = await os.reputation();
    const q = (agent: string) => rep.find((p) => p.agent === agent)?.dimensions.quality.mean ?? -1;
    // bob: three accepted results and one veto; four accepted ones would give a Beta mean of 5/6.
    const bob = rep.find((p) => p.agent === ids.bob);
    expect(bob?.dimensions.quality.evidence).toBeGreaterThan(3.9);
    expect(q(ids.bob)).toBeLessThan(5 / 6 - 0.05);

    const st = await os.planner.status(r.planId);
    expect(st.tasks).toEqual({ part1: "done", part2: "done", part3: "done", join: "done" });
  }, 60_000);

  it("refuses a bid without the market capability at the door (audited)", async () => {
    const rogue = await os.spawn({ name: "rogue", kind: "code", module: WORKER, export: "marketWorker", capabilities: ["market#join"], args: { price: 1 } });
    const r = await os.plan("Slate forms from shale under low heat and pressure");
    expect(r.status).toBe("answered");
    os.audit.flush();
    const denied = os.audit.entries({ agent: rogue }).filter((e) => e.data["syscall"] === "MarketBid" && e.data["decision"] === "denied");
    expect(denied.length).toBe(1);
  }, 60_000);
});
