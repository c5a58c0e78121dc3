/**
 * Planning is traced: `os.plan(goal)` on a booted OS with tracing into an in-memory exporter (the
 * default planner, one scripted market worker) makes a `plan create` span for its PlanCreate — the
 * operator's call, so the root of a trace of its own — naming the plan it created, with the door's
 * syscall and decision attributes; the dashboard's recent traces show it with the plan id. The plan's
 * dispatches are in that trace: the worker's handling of each request the plan sends it (the call for
 * proposals, the awarded work) is a child of the plan's span, and nothing of the plan is a new root.
 * So are the market's steps: the plan's post, award (with its escrow reservation), the critic's
 * judgement and the verdict that posts the escrow are children of the plan's span, and the worker's
 * bid and its report (MarketDone) children of its handling of the plan's requests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { flushed, parentId, spanId } from "./trace-helpers.js";

const WORKER = resolve("examples/agents/market-worker.ts");
const exporter = new InMemorySpanExporter();
let dir: string;
let os: Aios;
let ann: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-plan-trace-"));
  os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { memory: false, embedder: false, mcp: false, observe: { tracing: { exporter } } } });
  ann = await os.spawn({ name: "ann", kind: "code", module: WORKER, export: "marketWorker", capabilities: ["market#join", "market:**#bid"], args: { price: 100_000 } });
  await os.ledger.deposit("operator", 10_000_000n);
}, 60_000);

afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("tracing: planning", () => {
  it("makes a root `plan create` span naming the plan", async () => {
    const r = await os.plan("Granite forms from cooling magma deep underground; Basalt forms from lava cooling quickly at the surface");
    expect(r.status).toBe("answered");
    await flushed(os);
    const plans = exporter.getFinishedSpans().filter((s) => s.name === "plan create");
    expect(plans).toHaveLength(1);
    const span = plans[0];
    expect(span?.kind).toBe(SpanKind.INTERNAL);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.attributes).toMatchObject({ "aios.plan.id": r.planId, "aios.syscall": "PlanCreate", "aios.decision": "allowed" });
    const recent = os.subsystems.observe?.tracing?.recent;
    const traceId = span?.spanContext().traceId ?? "";
    expect(recent?.list().find((t) => t.traceId === traceId)?.root).toBe("plan create");
    expect(recent?.trace(traceId)?.[0]?.span.attributes).toEqual({ "aios.plan.id": r.planId });
  });

  it("puts the worker's handling of the plan's requests in the plan's trace", async () => {
    exporter.reset();
    const r = await os.plan("Granite is hard; Basalt is dark");
    expect(r.status).toBe("answered");
    await flushed(os);
    const spans = exporter.getFinishedSpans();
    const plan = spans.find((s) => s.name === "plan create" && s.attributes["aios.plan.id"] === r.planId);
    expect(plan).toBeDefined();
    const traceId = plan?.spanContext().traceId;
    const planSpanId = plan?.spanContext().spanId;
    // The worker's handling of the plan's requests (its call for proposals, then the awarded work).
    const handled = spans.filter((s) => s.name === "handle ann");
    expect(handled.length).toBeGreaterThanOrEqual(2);
    for (const s of handled) {
      expect(s.spanContext().traceId).toBe(traceId);
      expect(s.parentSpanContext?.spanId).toBe(planSpanId);
    }
    // Nothing of this plan is left as a root of another trace.
    const roots = spans.filter((s) => s.parentSpanContext === undefined);
    expect(roots.map((s) => s.name)).toEqual(["plan create"]);
  });

  it("puts the market's steps of a plan in its trace: post, bid, award, escrow, critic, verdict", async () => {
    exporter.reset();
    const r = await os.plan("Granite is hard");
    expect(r.status).toBe("answered");
    await flushed(os);
    const spans = exporter.getFinishedSpans();
    const plan = spans.find((s) => s.name === "plan create" && s.attributes["aios.plan.id"] === r.planId);
    const traceId = plan?.spanContext().traceId;
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      expect(found[0]?.spanContext().traceId, name).toBe(traceId);
      return found[0];
    };
    const post = one("market post");
    const award = one("market award");
    const judge = one("critic judge");
    const verdict = one("market verdict");
    for (const s of [post, award, judge, verdict]) expect(parentId(s), s?.name).toBe(spanId(plan));
    const task = post?.attributes["aios.market.task_id"];
    expect(task).toMatch(new RegExp(`^${r.planId}/`));
    expect(post?.attributes).toMatchObject({ "aios.syscall": "MarketPost", "aios.decision": "allowed", "aios.market.budget": expect.stringMatching(/^[0-9]+$/) });
    expect(award?.attributes).toMatchObject({ "aios.market.task_id": task, "aios.market.awards": 1, "aios.market.worker": ann, "aios.market.price": "100000", "aios.ledger.escrow": "reserve", "aios.ledger.reservation": `task:${String(task)}` });
    expect(judge?.attributes).toMatchObject({ "aios.market.task_id": task, "aios.market.worker": ann, "aios.critic.accept": true, "aios.critic.score": expect.any(Number), "aios.critic.threshold": expect.any(Number) });
    expect(verdict?.attributes).toMatchObject({ "aios.market.task_id": task, "aios.ledger.escrow": "post", "aios.ledger.reservation": `task:${String(task)}` });
    // The worker's own calls, made while it handles the plan's requests.
    const handled = spans.filter((s) => s.name === "handle ann").map((s) => spanId(s));
    const bid = one("market bid");
    const done = one("market done");
    expect(handled).toContain(parentId(bid));
    expect(handled).toContain(parentId(done));
    expect(bid?.attributes).toMatchObject({ "aios.market.task_id": task, "aios.market.price": "100000", "aios.market.quality": expect.any(Number) });
    // The dashboard's waterfall shows who won at what price, and what the escrow did.
    const rows = os.subsystems.observe?.tracing?.recent?.trace(traceId ?? "") ?? [];
    expect(rows.find((row) => row.span.name === "market award")?.span.attributes).toMatchObject({ "aios.market.worker": ann, "aios.market.price": "100000", "aios.ledger.escrow": "reserve" });
  });
});
