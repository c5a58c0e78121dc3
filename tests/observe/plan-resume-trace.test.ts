/**
 * A plan resumed after a restart stays in its trace (ADR 0042): the plan's trace context (the W3C
 * traceparent of its `plan create` span) is kept with the plan in the planner's store, and the work
 * the restarted daemon resumes — the market's new round, the worker's handling of its requests, the
 * critic's judgement — joins that trace as children of the `plan create` span, which the first boot
 * exported. Two boots of the default stack on one data directory, tracing into an in-memory exporter
 * each; the first is shut down while the worker is at work on the plan's task.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { flushed, parentId, spanId } from "./trace-helpers.js";

const WORKER = resolve("examples/agents/market-worker.ts");
const dir = mkdtempSync(join(tmpdir(), "aios-plan-resume-trace-"));
const systems: Aios[] = [];

/** Keeps its spans when the OS shuts down (the in-memory exporter forgets them at shutdown). */
class KeepingExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function start(exporter: InMemorySpanExporter): Promise<Aios> {
  const os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { memory: false, embedder: false, mcp: false, observe: { tracing: { exporter } } } });
  systems.push(os);
  return os;
}

afterAll(async () => {
  for (const os of systems) await os.shutdown().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe("tracing: a plan resumed after a restart", () => {
  it("joins the plan's trace under its `plan create` span", async () => {
    const first = new KeepingExporter();
    const os1 = await start(first);
    // Slow enough that the daemon stops (at once, below) while the worker holds the plan's task.
    await os1.spawn({ name: "ann", kind: "code", module: WORKER, export: "marketWorker", capabilities: ["market#join", "market:**#bid"], args: { price: 100, delayMs: 4000 } });
    await os1.ledger.deposit("operator", 10_000_000n);
    const awarded = new Promise<void>((res) => {
      const stop = os1.events.subscribe({ types: ["market.message"] }, (e) => {
        if (e.type === "market.message" && e.data.performative === "accept-proposal") {
          stop();
          res();
        }
      });
    });
    const planner = os1.subsystems.planner;
    if (planner === undefined) throw new Error("no planner");
    const { planId } = await planner.operator("PlanCreate", { goal: "Granite is hard" });
    await awarded;
    await os1.shutdown(); // flushes the first boot's spans into `first`
    const plan = first.getFinishedSpans().find((s) => s.name === "plan create" && s.attributes["aios.plan.id"] === planId);
    expect(plan).toBeDefined();
    const traceId = plan?.spanContext().traceId;

    const second = new InMemorySpanExporter();
    const os2 = await start(second);
    const outcome = await os2.subsystems.planner?.engine.start(planId);
    // The failure, if any, is named: the resumed run depends on timing a loaded CI machine stretches.
    expect(outcome?.status, JSON.stringify(outcome?.error)).toBe("answered");
    await flushed(os2);
    const spans = second.getFinishedSpans();
    expect(spans.some((s) => s.name === "plan create")).toBe(false);
    // The resumed round: its post and award are children of the first boot's `plan create` span.
    const post = spans.find((s) => s.name === "market post");
    const award = spans.find((s) => s.name === "market award");
    expect(post).toBeDefined();
    expect(award).toBeDefined();
    for (const s of [post, award]) {
      expect(s?.spanContext().traceId).toBe(traceId);
      expect(parentId(s)).toBe(spanId(plan));
    }
    // Everything the plan caused after the restart is in that trace.
    const planWork = spans.filter((s) => s.name.startsWith("market ") || s.name === "critic judge" || s.name === "handle ann");
    expect(planWork.length).toBeGreaterThanOrEqual(6);
    for (const s of planWork) expect(s.spanContext().traceId, s.name).toBe(traceId);
  }, 60_000);
});
