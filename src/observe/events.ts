/**
 * observe/'s event types, added to the kernel's typed EventDataMap: SLO alerts (in-process rules over
 * the instance's metrics) and behavioural anomalies of single agents against their own baseline.
 */
export {};

declare module "../core/index.js" {
  interface EventDataMap {
    "slo.firing": { alert: string; severity: "warning" | "critical"; summary: string; value: number; threshold: number };
    "slo.resolved": { alert: string; value: number | null };
    /** An agent's behaviour left its own baseline (EWMA): what changed, by how much, against what. */
    "security.anomaly": { kind: "syscall_mix" | "denial_rate" | "spend"; score: number; observed: number; baseline: number; windowMs: number; detail: string };
  }
}
