/**
 * observe/'s own counters and histograms (series.ts) against prom-client's: the same calls made on
 * both, each family in a Registry of its own, render the same exposition text (names, help, types,
 * label order, series order, buckets, sums, escaping) and the same `get()` rows, and promtool
 * accepts ours.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Counter, Histogram, Registry } from "prom-client";
import { CounterFamily, HistogramFamily } from "../../src/observe/series.js";

const BUCKETS = [0.0001, 0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120];

/** The same metric definitions in two registries: prom-client's classes in `theirs`, ours in `ours`. */
function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const t = {
    calls: new Counter({ name: "x_calls_total", help: "Calls by name and outcome", labelNames: ["syscall", "outcome"], registers: [theirs] }),
    tokens: new Counter({ name: "x_tokens_total", help: "Tokens by model, tenant and type", labelNames: ["model", "tenant", "type"], registers: [theirs] }),
    restarts: new Counter({ name: "x_restarts_total", help: "Restarts", registers: [theirs] }),
    latency: new Histogram({ name: "x_duration_seconds", help: "Latency by name and outcome", labelNames: ["syscall", "outcome"], buckets: BUCKETS, registers: [theirs] }),
    wait: new Histogram({ name: "x_wait_seconds", help: "Wait by pool", labelNames: ["pool"], buckets: [0.001, 0.01], registers: [theirs] }),
    commit: new Histogram({ name: "x_commit_seconds", help: "Commit latency", buckets: [0.001, 0.01], registers: [theirs] }),
    unused: new Counter({ name: "x_unused_total", help: "Never incremented", labelNames: ["kind"], registers: [theirs] }),
  };
  const o = {
    calls: new CounterFamily({ name: "x_calls_total", help: "Calls by name and outcome", labelNames: ["syscall", "outcome"], registers: [ours] }),
    tokens: new CounterFamily({ name: "x_tokens_total", help: "Tokens by model, tenant and type", labelNames: ["model", "tenant", "type"], registers: [ours] }),
    restarts: new CounterFamily({ name: "x_restarts_total", help: "Restarts", registers: [ours] }),
    latency: new HistogramFamily({ name: "x_duration_seconds", help: "Latency by name and outcome", labelNames: ["syscall", "outcome"], buckets: BUCKETS, registers: [ours] }),
    wait: new HistogramFamily({ name: "x_wait_seconds", help: "Wait by pool", labelNames: ["pool"], buckets: [0.001, 0.01], registers: [ours] }),
    commit: new HistogramFamily({ name: "x_commit_seconds", help: "Commit latency", buckets: [0.001, 0.01], registers: [ours] }),
    unused: new CounterFamily({ name: "x_unused_total", help: "Never incremented", labelNames: ["kind"], registers: [ours] }),
  };
  return { theirs, ours, t, o };
}

describe("observe: series.ts renders as prom-client does", () => {
  it("gives the same exposition and rows for the same calls, positional or by label object", async () => {
    const { theirs, ours, t, o } = pair();
    const names = ["LlmInvoke", "ToolCall", "Noop", 'We"ird\\name\nx'];
    const outcomes = ["ok", "error", "denied"] as const;
    let x = 0.00001;
    for (let i = 0; i < 500; i++) {
      const syscall = names[(i * 7) % names.length] as string;
      const outcome = outcomes[(i * 5) % 3] as string;
      // Values on, between and past the bucket bounds, and sums of awkward floats.
      const v = i % 11 === 0 ? (BUCKETS[i % BUCKETS.length] as number) : i % 13 === 0 ? 500 : (x = (x * 1.37) % 7);
      t.calls.inc({ syscall, outcome });
      t.latency.observe({ syscall, outcome }, v);
      if (i % 2 === 0) {
        o.calls.at(syscall, outcome).inc();
        o.latency.at(syscall, outcome).observe(v);
      } else {
        o.calls.inc({ syscall, outcome });
        o.latency.observe({ syscall, outcome }, v);
      }
      const model = i % 3 === 0 ? "m1" : "m2";
      t.tokens.inc({ model, tenant: "default", type: "input" }, i);
      t.tokens.inc({ model, tenant: "default", type: "output" }, 0.5);
      o.tokens.at(model, "default", "input").inc(i);
      o.tokens.inc({ model, tenant: "default", type: "output" }, 0.5);
      t.wait.observe({ pool: `inference:${i % 2}` }, v / 100);
      o.wait.at(`inference:${i % 2}`).observe(v / 100);
    }
    t.restarts.inc(25);
    o.restarts.inc(25);
    t.restarts.inc();
    o.restarts.at().inc();
    t.commit.observe(0.002);
    o.commit.observe(0.002);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const name of ["x_calls_total", "x_tokens_total", "x_restarts_total", "x_duration_seconds", "x_wait_seconds", "x_commit_seconds", "x_unused_total"]) {
      const a = await theirs.getSingleMetric(name)?.get();
      const b = await ours.getSingleMetric(name)?.get();
      const rows = (m: typeof a) => m?.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName }));
      expect(b?.type).toBe(a?.type);
      expect(b?.help).toBe(a?.help);
      expect(rows(b)).toEqual(rows(a));
    }
    const r = spawnSync("promtool", ["check", "metrics"], { input: await ours.metrics(), encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("renders families never fed, and a reset, as prom-client does", async () => {
    const { theirs, ours, t, o } = pair();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    t.calls.inc({ syscall: "Noop", outcome: "ok" });
    o.calls.at("Noop", "ok").inc();
    t.restarts.inc(3);
    o.restarts.inc(3);
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect((await o.restarts.get()).values).toEqual([{ value: 0, labels: {} }]);
  });

  it("refuses what prom-client refuses: unknown or missing labels, a negative count, a value that is no number", () => {
    const { o } = pair();
    expect(() => o.calls.inc({ syscall: "Noop", outcome: "ok", agent: "ag_1" } as never)).toThrow(/no label agent/);
    expect(() => o.calls.inc({ syscall: "Noop" })).toThrow(/labels syscall, outcome expected/);
    expect(() => o.calls.at("Noop").inc()).toThrow(/label outcome has no value/);
    expect(() => o.restarts.inc(-1)).toThrow(/cannot add -1/);
    expect(() => o.latency.at("Noop", "ok").observe(NaN)).toThrow(/cannot observe NaN/);
    expect(() => new HistogramFamily({ name: "x_h", help: "h", labelNames: ["le"], buckets: [1], registers: [] })).toThrow(/le is a reserved label/);
  });
});
