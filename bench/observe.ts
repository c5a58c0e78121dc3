/**
 * `npm run bench -- observe`: what tracing costs on the default-stack agent step. Three arms, each
 * a process of its own (bench/children/observe-arm.ts) booting the embedded default stack in its
 * own temp data dir (SQLite journal, security with signed tokens, audit, tools, sched, memory, ipc)
 * with the same scripted model (the replay provider: five calls of the tool `add`, then a final
 * answer):
 *   none — observe/ left out (`observe: false`), the baseline;
 *   off  — observe/ installed, tracing off (the default: metrics only);
 *   on   — tracing on, spans exported to a sink that drops them (the SDK's full span work).
 * One "step" is `os.run(spec, { goal })`: spawn, six LlmInvoke and five ToolCall syscalls, answer,
 * kill. Its cost is the arm process's CPU time (user + system, all threads) since its previous step
 * ended, so garbage is collected and paid for in the heap of the arm that made it: with the three
 * systems in one process (earlier versions) a collection of the traced arm's garbage landed on
 * whichever arm's step crossed the heap's limit, spreading tracing's GC cost over all three. Wall
 * time is reported beside it. The arms alternate step by step — one process steps at a time, each
 * round runs one step of every arm, in an order rotated per round — so drift in the shared
 * machine's speed (other engineers' load, a WAL checkpoint) lands on neighbouring steps of all arms
 * alike. Each round gives a paired ratio (on / off - 1, off / none - 1); reported is the median of
 * those ratios with its 95 % confidence interval (order statistics of the median,
 * distribution-free) and their p25..p75, and the ratio of the arms' total CPU over all rounds with
 * a paired bootstrap interval (a collection lands on few steps, so the median step carries none;
 * the total counts it). Earlier versions ratioed batch medians per round and on this VM at load ~20
 * got p10..p90 of -23..+179 %: one batch of one arm caught a stall. Beside it, the span work alone:
 * CPU per traced syscall of a Tracing with the same dropping exporter, around a handler that does
 * nothing (minus that handler's own cost), and the spans one step makes.
 * Flags: --rounds=N (default 600), --warmup=N steps per arm (default 20).
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { AgentId, TenantId } from "../src/core/index.js";
import type { Caller, SyscallCall } from "../src/abi/index.js";
import { gc, percentile, numArg, type Suite } from "./harness.js";

/** Takes every span the SDK finished and drops it (the span-work figure's exporter). */
class DropExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

type Arm = "none" | "off" | "on";
const ARMS: readonly Arm[] = ["none", "off", "on"];
const CHILD = fileURLToPath(new URL("./children/observe-arm.ts", import.meta.url));

/** An arm's process: `step()` runs one step there and resolves with its CPU (ms since its last step's end) and wall time. */
interface ArmProcess {
  step(): Promise<{ cpuMs: number; wallMs: number }>;
  stop(): Promise<number>;
}

async function startArm(arm: Arm, dataDir: string): Promise<ArmProcess> {
  const child = fork(CHILD, [arm, dataDir], { execArgv: ["--expose-gc", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let waiting: ((m: Record<string, number>) => void) | undefined;
  let failed: Error | undefined;
  child.on("message", (m: Record<string, number>) => {
    const w = waiting;
    waiting = undefined;
    w?.(m);
  });
  child.on("exit", (code) => {
    if (code !== 0) failed = new Error(`observe arm ${arm} exited with ${code ?? "a signal"}`);
    const w = waiting;
    waiting = undefined;
    w?.({});
  });
  const ask = (cmd: string | undefined): Promise<Record<string, number>> =>
    new Promise((resolve, reject) => {
      waiting = (m) => (failed === undefined ? resolve(m) : reject(failed));
      if (cmd !== undefined) child.send({ cmd });
    });
  await ask(undefined); // ready
  let last = 0;
  return {
    async step() {
      const m = await ask("step");
      const cpu = (m["cpuMs"] ?? NaN) - last;
      last = m["cpuMs"] ?? NaN;
      return { cpuMs: cpu, wallMs: m["wallMs"] ?? NaN };
    },
    async stop() {
      return (await ask("stop"))["spans"] ?? 0;
    },
  };
}

const suite: Suite = async (emit, args) => {
  const rounds = numArg(args, "rounds", 600);
  const warmup = numArg(args, "warmup", 20);
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-observe-"));
  const arms = new Map<Arm, ArmProcess>();
  let spans = 0;
  try {
    for (const arm of ARMS) arms.set(arm, await startArm(arm, join(dir, arm)));
    const step = (arm: Arm): Promise<{ cpuMs: number; wallMs: number }> => (arms.get(arm) as ArmProcess).step();
    // Warm-up: every arm's code paths compiled and caches filled before anything is timed.
    for (const arm of ARMS) for (let i = 0; i < warmup; i++) await step(arm);
    const samples = new Map<Arm, number[]>(ARMS.map((a) => [a, []]));
    const wall = new Map<Arm, number[]>(ARMS.map((a) => [a, []]));
    const ratioOn: number[] = [];
    const ratioOff: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cpu = new Map<Arm, number>();
      // One process steps at a time, in an order rotated per round.
      for (let k = 0; k < ARMS.length; k++) {
        const arm = ARMS[(round + k) % ARMS.length] as Arm;
        const t = await step(arm);
        cpu.set(arm, t.cpuMs);
        (samples.get(arm) as number[]).push(t.cpuMs);
        (wall.get(arm) as number[]).push(t.wallMs);
      }
      ratioOn.push((cpu.get("on") as number) / (cpu.get("off") as number) - 1);
      ratioOff.push((cpu.get("off") as number) / (cpu.get("none") as number) - 1);
    }
    for (const [arm, p] of arms) {
      const n = await p.stop();
      if (arm === "on") spans = n;
    }
    arms.clear();
    const workload = `default stack (SQLite data dir, signed tokens, audit, sched, memory), replay model: 5 x ToolCall add + answer per step; one process per arm; ${rounds} rounds of one step per arm, alternating in rotated order, after ${warmup} warm-up steps per arm; load average ${loadavg()[0]?.toFixed(1) ?? "?"}`;
    for (const arm of ARMS) {
      emit({ metric: `step_cpu_ms_p50_${arm}`, value: round2(percentile(samples.get(arm) as number[], 50)), unit: "CPU-ms", workload });
      emit({ metric: `step_wall_ms_p50_${arm}`, value: round2(percentile(wall.get(arm) as number[], 50)), unit: "ms", workload });
    }
    const on = medianWithCi(ratioOn);
    const off = medianWithCi(ratioOff);
    const pct = (x: number): number => round2(x * 100);
    const spread = (xs: number[], m: { lo: number; hi: number }): string => `95 % CI of the median ${pct(m.lo)}..${pct(m.hi)} %; per-round p25..p75 ${pct(percentile(xs, 25))}..${pct(percentile(xs, 75))} %`;
    emit({ metric: "tracing_on_overhead_pct", value: pct(on.median), unit: "%", target: "<= 10 %", pass: on.hi <= 0.1, workload: `${workload}; CPU time per step, median of the per-round paired ratios (on / off - 1); ${spread(ratioOn, on)}` });
    emit({ metric: "tracing_off_overhead_pct", value: pct(off.median), unit: "%", target: "not measurable", pass: off.lo <= 0 && off.hi >= 0, workload: `${workload}; observe installed with tracing off vs left out, median of the per-round paired ratios (off / none - 1); ${spread(ratioOff, off)}` });
    // A collection lands on a few steps only, so the median step carries none: the extra garbage a
    // traced step leaves is paid in the tail the median ignores. The ratio of the arms' total CPU
    // over all rounds counts it; its 95 % CI is a paired bootstrap over rounds.
    const meanOn = ratioOfMeans(samples.get("on") as number[], samples.get("off") as number[]);
    const meanOff = ratioOfMeans(samples.get("off") as number[], samples.get("none") as number[]);
    emit({ metric: "tracing_on_overhead_mean_pct", value: pct(meanOn.ratio), unit: "%", target: "<= 10 %", pass: meanOn.hi <= 0.1, workload: `${workload}; CPU time, total over all rounds (on / off - 1), collections included; 95 % CI ${pct(meanOn.lo)}..${pct(meanOn.hi)} % (paired bootstrap over rounds, 2,000 resamples)` });
    emit({ metric: "tracing_off_overhead_mean_pct", value: pct(meanOff.ratio), unit: "%", target: "not measurable", pass: meanOff.lo <= 0 && meanOff.hi >= 0, workload: `${workload}; CPU time, total over all rounds (off / none - 1); 95 % CI ${pct(meanOff.lo)}..${pct(meanOff.hi)} % (paired bootstrap over rounds, 2,000 resamples)` });
    const perCall = await tracedCallCpuUs();
    emit({ metric: "traced_syscall_cpu_us", value: round2(perCall), unit: "CPU-us", workload: `span work alone: Tracing.around (span start, attributes, end, batch processor to a dropping exporter, recent-trace store) around a no-op handler, 50,000 calls after 20,000 warm-up, minus the bare handler; x ${SPANS_PER_STEP} spans per step = ${round2((perCall * SPANS_PER_STEP) / 1000)} CPU-ms of the tracing-on step's ${round2(percentile(samples.get("on") as number[], 50))}` });
    emit({ metric: "spans_exported", value: spans, unit: "spans", workload: "tracing-on arm, warm-up included (12 per step: invoke_agent, 6 chat, 5 execute_tool)" });
  } finally {
    for (const p of arms.values()) await p.stop().catch(() => 0);
    rmSync(dir, { recursive: true, force: true });
  }
};

/** invoke_agent, 6 chat and 5 execute_tool. */
const SPANS_PER_STEP = 12;

/** CPU microseconds one traced syscall's span costs, measured on a Tracing of its own. */
async function tracedCallCpuUs(): Promise<number> {
  const { Tracing } = await import("../src/observe/tracing.js");
  const t = new Tracing({ exporter: new DropExporter() });
  const caller: Caller = { agent: "ag_bench" as AgentId, tenant: "default" as TenantId, name: "adder", capabilities: [], taint: new Set<string>(), priority: 0 };
  const call: SyscallCall = { caller, signal: new AbortController().signal };
  const args = { tool: "add", args: { a: 1, b: 2 } };
  const run = (): Promise<number> => Promise.resolve(1);
  const N = 50_000;
  try {
    for (let i = 0; i < 20_000; i++) await t.around(call, "ToolCall", args, run);
    gc();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await t.around(call, "ToolCall", args, run);
    const traced = process.cpuUsage(c0);
    const b0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await run();
    const bare = process.cpuUsage(b0);
    return (traced.user + traced.system - (bare.user + bare.system)) / N;
  } finally {
    await t.shutdown();
  }
}

/**
 * The sample median and a distribution-free 95 % confidence interval for the true median: the order
 * statistics n/2 -/+ 1.96 sqrt(n)/2 (the normal approximation of the binomial, fine for n >= 30).
 */
function medianWithCi(xs: readonly number[]): { median: number; lo: number; hi: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const half = 1.96 * Math.sqrt(n) / 2;
  const at = (i: number): number => s[Math.min(n - 1, Math.max(0, Math.round(i)))] as number;
  return { median: percentile(s, 50), lo: at(n / 2 - half - 1), hi: at(n / 2 + half) };
}

/**
 * sum(a) / sum(b) - 1 over paired rounds, with a 95 % percentile-bootstrap interval: 2,000 resamples
 * of the rounds (the same rounds for both arms, keeping each round's pairing), drawn by a seeded
 * generator so a rerun on the same samples gives the same interval.
 */
function ratioOfMeans(a: readonly number[], b: readonly number[]): { ratio: number; lo: number; hi: number } {
  const n = Math.min(a.length, b.length);
  const ratio = (pick: (i: number) => number): number => {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) {
      const k = pick(i);
      sa += a[k] as number;
      sb += b[k] as number;
    }
    return sa / sb - 1;
  };
  let seed = 0x9e3779b9;
  // mulberry32: small, fast, good enough to resample indices.
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const boot: number[] = [];
  for (let r = 0; r < 2_000; r++) boot.push(ratio(() => Math.floor(random() * n)));
  boot.sort((x, y) => x - y);
  return { ratio: ratio((i) => i), lo: boot[Math.floor(0.025 * boot.length)] as number, hi: boot[Math.floor(0.975 * boot.length)] as number };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export default suite;
