/**
 * SLO alerts: the committed Prometheus rules file is exactly what slo-rules.ts generates and passes
 * `promtool check rules`; the in-process evaluator fires and resolves each kind of rule on metric
 * samples at injected times (no sleeping), raising slo.firing / slo.resolved events on the bus and
 * the aios_slo_alerts_firing gauge; the quantile matches Prometheus' bucket interpolation.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventBus, type AnyKernelEvent } from "../../src/core/index.js";
import { AiosMetrics, SloEvaluator, prometheusRules, quantile, recordSyscall } from "../../src/observe/index.js";

const RULES_FILE = join(process.cwd(), "ops/prometheus/aios-rules.yml");
const MIN = 60_000;

function setup(disk?: { free: number; size: number }): { m: AiosMetrics; slo: SloEvaluator; seen: AnyKernelEvent[] } {
  const bus = new EventBus();
  const seen: AnyKernelEvent[] = [];
  bus.subscribe({ types: ["slo.*"] }, (e) => void seen.push(e));
  const m = new AiosMetrics();
  m.sample(disk === undefined ? {} : { disk: () => disk });
  return { m, slo: new SloEvaluator(m, bus), seen };
}
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const state = async (slo: SloEvaluator, at: number, alert: string): Promise<boolean> => (await slo.evaluate(at)).find((s) => s.alert === alert)?.firing ?? false;

describe("observe: SLO rules file", () => {
  it("is the generated file and passes promtool check rules with no warnings", () => {
    expect(readFileSync(RULES_FILE, "utf8")).toBe(prometheusRules());
    const r = spawnSync("promtool", ["check", "rules", RULES_FILE], { encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("SUCCESS: 6 rules found");
    expect(r.stdout + r.stderr).not.toMatch(/warn/i);
  });
});

describe("observe: in-process SLO evaluation", () => {
  it("fires the error-rate alert after it held for 5 minutes, and resolves it", async () => {
    const { m, slo, seen } = setup();
    const t0 = 1_000_000;
    expect(await state(slo, t0, "AiosSyscallErrorRate")).toBe(false);
    // 10% errors, minute after minute: pending at first, firing once it held 5 minutes.
    const firingAt: boolean[] = [];
    for (let i = 1; i <= 7; i++) {
      for (let k = 0; k < 90; k++) recordSyscall(m, "Noop", "ok", 50);
      for (let k = 0; k < 10; k++) recordSyscall(m, "ToolCall", "error", 50);
      firingAt.push(await state(slo, t0 + i * MIN, "AiosSyscallErrorRate"));
    }
    expect(firingAt).toEqual([false, false, false, false, false, true, true]);
    await flush();
    expect(seen.filter((e) => e.type === "slo.firing").map((e) => e.data)).toEqual([
      expect.objectContaining({ alert: "AiosSyscallErrorRate", severity: "warning", threshold: 0.05 }),
    ]);
    expect((await m.sloFiring.get()).values.find((v) => v.labels["alert"] === "AiosSyscallErrorRate")?.value).toBe(1);
    // Clean traffic for 5 minutes: the window's error share falls under 5% and the alert resolves.
    let firing = true;
    for (let i = 8; i <= 14 && firing; i++) {
      for (let k = 0; k < 100; k++) recordSyscall(m, "Noop", "ok", 50);
      firing = await state(slo, t0 + i * MIN, "AiosSyscallErrorRate");
    }
    expect(firing).toBe(false);
    await flush();
    expect(seen.at(-1)?.type).toBe("slo.resolved");
  });

  it("fires on p99 syscall latency above 500 ms (model calls excluded) and on a restart storm at once", async () => {
    const { m, slo } = setup();
    await slo.evaluate(0);
    for (let k = 0; k < 95; k++) recordSyscall(m, "MemoryQuery", "ok", 2_000);
    for (let k = 0; k < 5; k++) recordSyscall(m, "ToolCall", "ok", 3_000_000);
    for (let k = 0; k < 100; k++) recordSyscall(m, "LlmInvoke", "ok", 60_000_000);
    m.restarts.inc(25);
    const first = await slo.evaluate(MIN);
    expect(first.find((s) => s.alert === "AiosRestartStorm")).toMatchObject({ firing: true, value: 25 });
    const p99 = first.find((s) => s.alert === "AiosSyscallLatencyP99");
    expect(p99?.value).toBeGreaterThan(0.5);
    expect(p99?.value).toBeLessThanOrEqual(5);
    expect(p99?.firing).toBe(false); // pending: needs 5 minutes
    for (let i = 2; i <= 6; i++) {
      for (let k = 0; k < 95; k++) recordSyscall(m, "MemoryQuery", "ok", 2_000);
      for (let k = 0; k < 5; k++) recordSyscall(m, "ToolCall", "ok", 3_000_000);
      await slo.evaluate(i * MIN);
    }
    expect(await state(slo, 7 * MIN, "AiosSyscallLatencyP99")).toBe(true);
  });

  it("fires on a failed audit verification, a long inference queue wait and a nearly full disk", async () => {
    const disk = { free: 50, size: 10_000 };
    const { m, slo } = setup(disk);
    await slo.evaluate(0);
    m.auditVerifications.inc({ result: "ok" });
    expect(await state(slo, MIN, "AiosAuditVerificationFailed")).toBe(false);
    m.auditVerifications.inc({ result: "failed" });
    expect(await state(slo, 2 * MIN, "AiosAuditVerificationFailed")).toBe(true);
    for (let i = 3; i <= 9; i++) {
      for (let k = 0; k < 20; k++) m.queueWait.observe({ pool: "inference:gpt" }, 12);
      for (let k = 0; k < 20; k++) m.queueWait.observe({ pool: "tool" }, 0.001);
      await slo.evaluate(i * MIN);
    }
    const all = await slo.evaluate(10 * MIN);
    expect(all.find((s) => s.alert === "AiosInferenceQueueWait")?.firing).toBe(true);
    expect(all.find((s) => s.alert === "AiosDataDirDiskLow")?.firing).toBe(true);
    disk.free = 5_000;
    expect(await state(slo, 11 * MIN, "AiosDataDirDiskLow")).toBe(false);
  });

  it("computes quantiles like Prometheus: inside the bucket holding the rank, monotonic in q", () => {
    const b = (counts: number[]): Map<number, number> => new Map([[0.1, counts[0] ?? 0], [1, counts[1] ?? 0], [Infinity, counts[2] ?? 0]]);
    expect(quantile(0.5, b([0, 0, 0]), b([50, 100, 100]))).toBeCloseTo(0.1);
    expect(quantile(0.75, b([0, 0, 0]), b([50, 100, 100]))).toBeCloseTo(0.55);
    expect(quantile(0.99, b([0, 0, 0]), b([0, 0, 10]))).toBe(1);
    expect(quantile(0.99, b([5, 5, 5]), b([5, 5, 5]))).toBeUndefined();
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (raw, q1, q2) => {
        const cum = [raw[0] ?? 0, (raw[0] ?? 0) + (raw[1] ?? 0), (raw[0] ?? 0) + (raw[1] ?? 0) + (raw[2] ?? 0)];
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        const a = quantile(lo, b([0, 0, 0]), b(cum));
        const z = quantile(hi, b([0, 0, 0]), b(cum));
        if (cum[2] === 0) return a === undefined && z === undefined;
        return a !== undefined && z !== undefined && a <= z + 1e-12 && a >= 0 && z <= 1;
      }),
    );
  });
});
