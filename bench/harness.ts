/**
 * Benchmark plumbing: every figure is one JSON line {suite, metric, value, unit, workload, machine}
 * on stdout. Suites live in bench/<suite>.ts and default-export a Suite.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

export interface Figure {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly workload: string;
  /** What the figure ran on (bare kernel, default stack, a component alone), when the suite says. */
  readonly stack?: string;
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

/** The value of `--name=value` in a suite's arguments, or undefined when absent. */
export function strArg(args: readonly string[], name: string): string | undefined {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.slice(name.length + 3);
}

/** A numeric `--name=value`, or `dflt` when absent; a value that is not a finite number is an error naming it. */
export function numArg(args: readonly string[], name: string, dflt: number): number {
  const raw = strArg(args, name);
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v)) throw new Error(`bench: --${name}=${raw} is not a number`);
  return v;
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

/** CPU seconds (user + system) of this process since `c0`: the shared machine's noise left out. */
export function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

/** fdatasync latency (p50, ms) of a small write in `dir`: the floor under every acknowledged durable write. */
export function fsyncP50Ms(dir: string): number {
  const fd = openSync(join(dir, "fsync-probe"), "w");
  const t: number[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      writeSync(fd, "x".repeat(128));
      const t0 = performance.now();
      fdatasyncSync(fd);
      t.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  return percentile(t, 50);
}

/**
 * A xorshift32 generator answering an index below `n`, its state kept in a typed array. A closure
 * variable holding a 32-bit value outside V8's small-integer range is a heap number, so every step
 * of `seed ^= seed << 13` on one allocated: the random-target workloads made ~64 bytes of garbage
 * per message of their own, a scavenge every ~30 ms at 1 M msgs/s, each a pause the latency figure
 * counted against the kernel. The sequence is the one the closure gave.
 */
export function xorshift32(seed: number): (n: number) => number {
  const state = new Uint32Array([seed]);
  return (n) => {
    let x = state[0] as number;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    state[0] = x;
    return (x >>> 0) % n;
  };
}
