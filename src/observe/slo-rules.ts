/**
 * The SLO alert rules, as data: each has the PromQL a Prometheus server evaluates (exported as
 * ops/prometheus/aios-rules.yml) and the same condition computed in process over windows of this
 * instance's own metric samples (slo.ts). One definition, two evaluators, so they cannot drift apart
 * in what they mean; a test checks the exported file with `promtool check rules`.
 */
import { stringifyYaml } from "../core/index.js";

/** Cumulative figures the in-process evaluator samples (counters as running totals). */
export interface SloSample {
  readonly at: number;
  readonly syscalls: number;
  readonly syscallErrors: number;
  /** Cumulative bucket counts of the syscall latency histogram (model calls excluded), by upper bound. */
  readonly latency: ReadonlyMap<number, number>;
  /** Cumulative bucket counts of the inference pools' wait histogram, by upper bound. */
  readonly inferenceWait: ReadonlyMap<number, number>;
  readonly restarts: number;
  readonly auditFailures: number;
  readonly diskFree: number | undefined;
  readonly diskSize: number | undefined;
}

export interface SloRule {
  readonly alert: string;
  readonly summary: string;
  readonly severity: "warning" | "critical";
  /** The PromQL expression of the exported rule. */
  readonly expr: string;
  /** How long the condition must hold before the alert fires. */
  readonly forSeconds: number;
  /** The window the in-process evaluator compares samples across. */
  readonly windowSeconds: number;
  readonly threshold: number;
  /** The observed value over the window (undefined: not enough data); fires when above the threshold. */
  value(oldest: SloSample, newest: SloSample): number | undefined;
}

/** Syscall latency excludes model calls: their seconds are the model's, not the kernel's. */
const NON_MODEL = `syscall!="LlmInvoke"`;

export const SLO_RULES: readonly SloRule[] = [
  {
    alert: "AiosSyscallErrorRate",
    summary: "More than 5% of syscalls failed over 5 minutes",
    severity: "warning",
    expr: `sum(rate(aios_syscalls_total{outcome="error"}[5m])) / sum(rate(aios_syscalls_total[5m])) > 0.05`,
    forSeconds: 300,
    windowSeconds: 300,
    threshold: 0.05,
    value: (a, b) => {
      const calls = b.syscalls - a.syscalls;
      return calls < 20 ? undefined : (b.syscallErrors - a.syscallErrors) / calls;
    },
  },
  {
    alert: "AiosSyscallLatencyP99",
    summary: "p99 syscall latency (model calls excluded) above 500 ms over 5 minutes",
    severity: "warning",
    expr: `histogram_quantile(0.99, sum by (le) (rate(aios_syscall_duration_seconds_bucket{${NON_MODEL}}[5m]))) > 0.5`,
    forSeconds: 300,
    windowSeconds: 300,
    threshold: 0.5,
    value: (a, b) => quantile(0.99, a.latency, b.latency),
  },
  {
    alert: "AiosInferenceQueueWait",
    summary: "p95 wait for an inference slot above 5 s over 5 minutes",
    severity: "warning",
    expr: `histogram_quantile(0.95, sum by (le) (rate(aios_sched_wait_seconds_bucket{pool=~"inference:.*"}[5m]))) > 5`,
    forSeconds: 300,
    windowSeconds: 300,
    threshold: 5,
    value: (a, b) => quantile(0.95, a.inferenceWait, b.inferenceWait),
  },
  {
    alert: "AiosRestartStorm",
    summary: "More than 20 agent restarts in 5 minutes",
    severity: "critical",
    expr: `increase(aios_agent_restarts_total[5m]) > 20`,
    forSeconds: 0,
    windowSeconds: 300,
    threshold: 20,
    value: (a, b) => b.restarts - a.restarts,
  },
  {
    alert: "AiosAuditVerificationFailed",
    summary: "An audit chain verification found tampering",
    severity: "critical",
    expr: `increase(aios_audit_verifications_total{result="failed"}[1h]) > 0`,
    forSeconds: 0,
    windowSeconds: 3600,
    threshold: 0,
    value: (a, b) => b.auditFailures - a.auditFailures,
  },
  {
    alert: "AiosDataDirDiskLow",
    summary: "Less than 5% free space on the data directory's file system",
    severity: "critical",
    expr: `aios_data_dir_free_bytes / aios_data_dir_size_bytes < 0.05`,
    forSeconds: 300,
    windowSeconds: 0,
    // Compared as "used share above 95%", so every rule fires above its threshold.
    threshold: 0.95,
    value: (_a, b) => (b.diskFree === undefined || b.diskSize === undefined || b.diskSize === 0 ? undefined : 1 - b.diskFree / b.diskSize),
  },
];

/**
 * Prometheus' histogram_quantile over the increase between two cumulative bucket samples: linear
 * interpolation inside the bucket holding the rank; the largest finite bound when it falls in +Inf.
 */
export function quantile(q: number, older: ReadonlyMap<number, number>, newer: ReadonlyMap<number, number>): number | undefined {
  const bounds = [...newer.keys()].sort((x, y) => x - y);
  const inc = bounds.map((le) => (newer.get(le) ?? 0) - (older.get(le) ?? 0));
  const total = inc[inc.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const count = inc[i] as number;
    if (count >= rank) {
      const upper = bounds[i] as number;
      if (upper === Infinity) return bounds[i - 1] ?? 0;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const below = i === 0 ? 0 : (inc[i - 1] as number);
      return count === below ? upper : lower + ((upper - lower) * (rank - below)) / (count - below);
    }
  }
  return bounds[bounds.length - 2];
}

/** The rules as a Prometheus rules file (YAML). */
export function prometheusRules(rules: readonly SloRule[] = SLO_RULES): string {
  const doc = {
    groups: [
      {
        name: "aios-slo",
        rules: rules.map((r) => ({
          alert: r.alert,
          expr: r.expr,
          ...(r.forSeconds > 0 ? { for: `${r.forSeconds / 60}m` } : {}),
          labels: { severity: r.severity },
          annotations: { summary: r.summary },
        })),
      },
    ],
  };
  return `# Generated from src/observe/slo-rules.ts (the same rules AIOS evaluates in process).\n# Regenerate: npx tsx scripts/prometheus-rules.ts > ops/prometheus/aios-rules.yml\n${stringifyYaml(doc, { lineWidth: 0 })}`;
}
