/**
 * Benchmark plumbing: every figure is one JSON line {suite, metric, value, unit, workload, machine}
 * on stdout. Suites live in bench/<suite>.ts and default-export a Suite.
 */
import { cpus, totalmem } from "node:os";

export interface Figure {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly workload: string;
  /** The target from the issue, as text (e.g. "<= 3 s"), when there is one. */
  readonly target?: string;
  readonly pass?: boolean;
}

export type Emit = (f: Figure) => void;
export type Suite = (emit: Emit, args: readonly string[]) => Promise<void>;

export const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};

export function emitter(suite: string): Emit {
  return (f) => {
    process.stdout.write(JSON.stringify({ suite, ...f, machine }) + "\n");
  };
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return NaN;
  const s = [...sample].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] as number;
}

/** Forces a full GC when node runs with --expose-gc (bench/index.ts re-executes itself with it). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}
