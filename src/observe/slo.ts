/**
 * The in-process SLO evaluator: every `evaluate(now)` samples this instance's metrics, keeps the
 * samples that cover the longest rule window, and runs each rule of slo-rules.ts over its window. A
 * rule whose value stays above its threshold for its `for` duration fires (`slo.firing`, critical
 * or warn, and aios_slo_alerts_firing{alert} = 1); it resolves (`slo.resolved`) when it drops back.
 * Time is the caller's (the plugin's clock timer; tests pass it), so nothing here sleeps.
 */
import type { EventBus } from "../core/index.js";
import "./events.js";
import type { AiosMetrics } from "./metrics.js";
import { SLO_RULES, type SloRule, type SloSample } from "./slo-rules.js";

export interface AlertState {
  readonly alert: string;
  readonly value: number | undefined;
  readonly firing: boolean;
}

type Values = { readonly values: readonly { readonly value: number; readonly labels: Readonly<Record<string, string | number | undefined>>; readonly metricName?: string }[] };

const sum = (v: Values, pick: (labels: Readonly<Record<string, string | number | undefined>>) => boolean = () => true): number => {
  let n = 0;
  for (const x of v.values) if (pick(x.labels)) n += x.value;
  return n;
};

function buckets(v: Values, pick: (labels: Readonly<Record<string, string | number | undefined>>) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of v.values) {
    if (x.metricName?.endsWith("_bucket") !== true || !pick(x.labels)) continue;
    const le = x.labels["le"];
    const bound = le === "+Inf" ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + x.value);
  }
  return out;
}

export class SloEvaluator {
  private samples: SloSample[] = [];
  private readonly pendingSince = new Map<string, number>();
  private readonly firing = new Set<string>();
  private readonly keepMs: number;

  constructor(
    private readonly m: AiosMetrics,
    private readonly events: EventBus | undefined,
    readonly rules: readonly SloRule[] = SLO_RULES,
  ) {
    this.keepMs = Math.max(...rules.map((r) => r.windowSeconds)) * 1000;
  }

  async sample(now: number): Promise<SloSample> {
    const m = this.m;
    const gauge = async (name: string): Promise<number | undefined> => {
      const g = m.registry.getSingleMetric(name);
      return g === undefined ? undefined : (await g.get()).values[0]?.value;
    };
    const calls = await m.syscalls.get();
    return {
      at: now,
      syscalls: sum(calls),
      syscallErrors: sum(calls, (l) => l["outcome"] === "error"),
      latency: buckets(await m.syscallSeconds.get(), (l) => l["syscall"] !== "LlmInvoke"),
      inferenceWait: buckets(await m.queueWait.get(), (l) => String(l["pool"]).startsWith("inference:")),
      restarts: sum(await m.restarts.get()),
      auditFailures: sum(await m.auditVerifications.get(), (l) => l["result"] === "failed"),
      diskFree: await gauge("aios_data_dir_free_bytes"),
      diskSize: await gauge("aios_data_dir_size_bytes"),
    };
  }

  /** Samples the metrics at `now` and runs every rule; returns each rule's state. */
  async evaluate(now: number): Promise<AlertState[]> {
    const newest = await this.sample(now);
    this.samples.push(newest);
    // Keep one sample at or before the longest window's start (the baseline of that window).
    while (this.samples.length > 2 && (this.samples[1] as SloSample).at <= now - this.keepMs) this.samples.shift();
    return this.rules.map((r) => this.judge(r, newest, now));
  }

  private judge(r: SloRule, newest: SloSample, now: number): AlertState {
    const oldest = this.baseline(now - r.windowSeconds * 1000);
    const value = r.windowSeconds === 0 ? r.value(newest, newest) : oldest === newest ? undefined : r.value(oldest, newest);
    const breached = value !== undefined && value > r.threshold;
    if (!breached) {
      this.pendingSince.delete(r.alert);
      if (this.firing.delete(r.alert)) {
        this.m.sloFiring.set({ alert: r.alert }, 0);
        this.events?.emit("slo.resolved", { alert: r.alert, value: value ?? null }, undefined, "info");
      }
      return { alert: r.alert, value, firing: false };
    }
    const since = this.pendingSince.get(r.alert) ?? now;
    this.pendingSince.set(r.alert, since);
    if (!this.firing.has(r.alert) && now - since >= r.forSeconds * 1000) {
      this.firing.add(r.alert);
      this.m.sloFiring.set({ alert: r.alert }, 1);
      this.events?.emit("slo.firing", { alert: r.alert, severity: r.severity, summary: r.summary, value, threshold: r.threshold }, undefined, r.severity === "critical" ? "critical" : "warn");
    }
    return { alert: r.alert, value, firing: this.firing.has(r.alert) };
  }

  /** The newest sample taken at or before `from`, else the oldest kept. */
  private baseline(from: number): SloSample {
    let pick = this.samples[0] as SloSample;
    for (const s of this.samples) {
      if (s.at <= from) pick = s;
      else break;
    }
    return pick;
  }
}
