/**
 * `npm run bench -- observe`: what tracing costs on the default-stack agent step. Each arm is a
 * process of its own (bench/children/observe-arm.ts) booting the embedded default stack in its own
 * temp data dir (SQLite journal, security with signed tokens, audit, tools, sched, memory, ipc) with
 * the same scripted model (the replay provider: five calls of the tool `add`, then a final answer):
 *   none — observe/ left out (`observe: false`), the baseline;
 *   off  — observe/ installed, tracing off (the default: metrics only);
 *   on   — tracing on, spans exported to a sink that drops them (all the span work, no shipping);
 *   base — with `--base=<dir>`: the tracing-on arm of another checkout (e.g. main before a change),
 *          its own child file and sources, paired against this tree's `on`.
 * One "step" is `os.run(spec, { goal })`: spawn, six LlmInvoke and five ToolCall syscalls, answer,
 * kill. Its cost is the arm process's CPU time (user + system, all threads) since its previous step
 * ended, so a collection is paid in the heap of the arm that made the garbage.
 *
 * A process is the unit of replication: two processes of the same code differ by several per cent
 * (heap layout, code placement, when collections fall), more than one process's hundreds of steps
 * show. So the run starts `--procs` processes per arm, all at once (a boot through tsx takes
 * seconds here), warms each up (`--warmup` steps), then runs `--rounds` rounds in which every
 * process runs one step — one process steps at a time, the arms of each group of processes in an
 * order rotated per round, so drift in the shared machine's speed lands on neighbouring steps of all
 * arms. Per group (process k of each arm) the figure is the ratio of two arms' total CPU over the
 * rounds (collections included); reported are the median of those per-process ratios,
 * their mean with a 95 % t interval across processes, and beside them the median of the per-round
 * paired ratios over all rounds. Beside it, the span work alone: CPU per traced syscall of a Tracing
 * with the same dropping exporter, around a handler that does nothing (minus that handler's cost).
 * Flags: --procs=N (default 5), --rounds=N (default 300), --warmup=N (default 60),
 * --base=<checkout with node_modules>.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { AgentId, TenantId } from "../src/core/index.js";
import type { Caller, SyscallCall } from "../src/abi/index.js";
import { gc, percentile, numArg, strArg, type Suite } from "./harness.js";

/** Takes every span the SDK finished and drops it (the span-work figure's exporter). */
class DropExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** none: observe/ left out; off: observe/ with tracing off; on: tracing on; base: tracing on, from the `--base` tree. */
type Arm = "none" | "off" | "on" | "base";
const CHILD = "bench/children/observe-arm.ts";

/** An arm's process: `step()` runs one step there and resolves with its CPU (ms since its last step's end) and wall time. */
interface ArmProcess {
  step(): Promise<{ cpuMs: number; wallMs: number }>;
  stop(): Promise<number>;
}

/** Forks an arm's process from `tree` (this checkout, or `--base`'s), in mode none, off or on. */
async function startArm(arm: Arm, tree: string, dataDir: string): Promise<ArmProcess> {
  const mode = arm === "base" ? "on" : arm;
  const child = fork(join(tree, CHILD), [mode, dataDir], { cwd: tree, execArgv: ["--expose-gc", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
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
  let stopped = false;
  return {
    async step() {
      const m = await ask("step");
      const cpu = (m["cpuMs"] ?? NaN) - last;
      last = m["cpuMs"] ?? NaN;
      return { cpuMs: cpu, wallMs: m["wallMs"] ?? NaN };
    },
    async stop() {
      if (stopped) return 0;
      stopped = true;
      return (await ask("stop"))["spans"] ?? 0;
    },
  };
}

/** The comparisons reported: `a` against `b`, each as a / b - 1. */
const PAIRS = [
  { metric: "tracing_on_overhead", a: "on", b: "off", target: "<= 10 %", what: "tracing on vs off" },
  { metric: "tracing_off_overhead", a: "off", b: "none", target: "not measurable", what: "observe/ installed with tracing off vs left out" },
  { metric: "tracing_on_vs_base", a: "on", b: "base", target: undefined, what: "tracing on, this tree vs the --base tree" },
] as const satisfies readonly { metric: string; a: Arm; b: Arm; target: string | undefined; what: string }[];

const STACK = "default stack: boot({ dataDir }) with the SQLite journal, security with signed tokens, audit, tools, sched, memory (no embedder), ipc; observe/ per arm";

const suite: Suite = async (emit, args) => {
  const procs = numArg(args, "procs", 5);
  const rounds = numArg(args, "rounds", 300);
  const warmup = numArg(args, "warmup", 60);
  const base = strArg(args, "base");
  const here = fileURLToPath(new URL("..", import.meta.url));
  const arms: Arm[] = ["none", "off", "on", ...(base === undefined ? [] : (["base"] as const))];
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-observe-"));
  const load0 = loadavg()[0] ?? NaN;
  const t0 = Date.now();
  // Per arm: every step's CPU, every step's wall time; per group of processes (process k of each arm): each arm's total CPU.
  const samples = new Map<Arm, number[]>(arms.map((a) => [a, []]));
  const wall = new Map<Arm, number[]>(arms.map((a) => [a, []]));
  const totals: Map<Arm, number>[] = [];
  const perRound = new Map<string, number[]>(PAIRS.map((p) => [p.metric, []]));
  let spans = 0;
  const live: ArmProcess[] = [];
  try {
    // Every process of every arm is booted at once (a boot through tsx takes seconds on
    // this machine) and all stay up: a round steps each group's arms in turn.
    const gens: Map<Arm, ArmProcess>[] = await Promise.all(
      Array.from({ length: procs }, async (_, g) => {
        const ps = new Map<Arm, ArmProcess>();
        await Promise.all(arms.map(async (arm) => {
          const p = await startArm(arm, arm === "base" ? (base as string) : here, join(dir, `${arm}-${g}`));
          ps.set(arm, p);
          live.push(p);
        }));
        return ps;
      }),
    );
    const step = (g: number, arm: Arm): Promise<{ cpuMs: number; wallMs: number }> => (gens[g]?.get(arm) as ArmProcess).step();
    for (let i = 0; i < warmup; i++) for (let g = 0; g < procs; g++) for (const arm of arms) await step(g, arm);
    for (let g = 0; g < procs; g++) totals.push(new Map<Arm, number>(arms.map((a) => [a, 0])));
    for (let round = 0; round < rounds; round++) {
      for (let g = 0; g < procs; g++) {
        const total = totals[g] as Map<Arm, number>;
        const cpu = new Map<Arm, number>();
        for (let k = 0; k < arms.length; k++) {
          const arm = arms[(round + g + k) % arms.length] as Arm;
          const t = await step(g, arm);
          cpu.set(arm, t.cpuMs);
          total.set(arm, (total.get(arm) as number) + t.cpuMs);
          (samples.get(arm) as number[]).push(t.cpuMs);
          (wall.get(arm) as number[]).push(t.wallMs);
        }
        for (const p of PAIRS) if (cpu.has(p.a) && cpu.has(p.b)) (perRound.get(p.metric) as number[]).push((cpu.get(p.a) as number) / (cpu.get(p.b) as number) - 1);
      }
    }
    for (const ps of gens) spans += await (ps.get("on") as ArmProcess).stop();
    const load1 = loadavg()[0] ?? NaN;
    const workload = `replay model: 5 x ToolCall add + answer per step (os.run: spawn, 6 LlmInvoke, 5 ToolCall, kill); ${procs} processes per arm (${arms.join(", ")}), all up at once, each warmed up ${warmup} steps, then ${rounds} rounds in which every process runs one step, one process stepping at a time, arms in an order rotated per round and process; CPU time (user + system, all threads) per step; ${round2((Date.now() - t0) / 1000)} s; load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end; ${new Date(t0).toISOString()}`;
    for (const arm of arms) {
      emit({ metric: `step_cpu_ms_p50_${arm}`, value: round2(percentile(samples.get(arm) as number[], 50)), unit: "CPU-ms", stack: STACK, workload });
      emit({ metric: `step_wall_ms_p50_${arm}`, value: round2(percentile(wall.get(arm) as number[], 50)), unit: "ms", stack: STACK, workload });
    }
    const pct = (x: number): number => round2(x * 100);
    for (const p of PAIRS) {
      if (!arms.includes(p.a) || !arms.includes(p.b)) continue;
      // Per process: the ratio of the two processes' total CPU over all rounds (their
      // collections included), paired in time. Across processes: the median, and the mean with its
      // 95 % t interval (each process's heap, code layout and the machine's hour differ: the
      // process is the unit of replication).
      const ratios = totals.map((t) => (t.get(p.a) as number) / (t.get(p.b) as number) - 1);
      const across = meanWithCi(ratios);
      const med = percentile(ratios, 50);
      const rounds1 = medianWithCi(perRound.get(p.metric) as number[]);
      const pass = p.target === undefined ? undefined : p.target.startsWith("<=") ? across.hi <= 0.1 : across.lo <= 0 && across.hi >= 0;
      const per = `per-process ratios (total CPU ${p.a} / ${p.b} - 1) ${ratios.map((r) => pct(r)).join(", ")} %; mean ${pct(across.mean)} % (95 % t CI across processes ${pct(across.lo)}..${pct(across.hi)} %); per-round paired ratio median ${pct(rounds1.median)} % (CI ${pct(rounds1.lo)}..${pct(rounds1.hi)} %, p25..p75 ${pct(percentile(perRound.get(p.metric) as number[], 25))}..${pct(percentile(perRound.get(p.metric) as number[], 75))} %)`;
      emit({ metric: `${p.metric}_pct`, value: pct(med), unit: "%", ...(p.target === undefined ? {} : { target: p.target }), ...(pass === undefined ? {} : { pass }), stack: STACK, workload: `${p.what}: median of the per-process ratios; ${per}; ${workload}` });
      emit({ metric: `${p.metric}_round_median_pct`, value: pct(rounds1.median), unit: "%", stack: STACK, workload: `${p.what}: median of the per-round paired ratios (${p.a} / ${p.b} - 1) over all processes` });
    }
    const perCall = await tracedCallCpuUs();
    emit({ metric: "traced_syscall_cpu_us", value: round2(perCall), unit: "CPU-us", stack: "Tracing alone", workload: `span work alone: Tracing.open / close as the door's run stage calls them (span start, attributes, end, export batch to a dropping exporter, recent-trace store) around a no-op handler, 50,000 calls after 20,000 warm-up, minus the bare handler; x ${SPANS_PER_STEP} spans per step = ${round2((perCall * SPANS_PER_STEP) / 1000)} CPU-ms of the tracing-on step's ${round2(percentile(samples.get("on") as number[], 50))}` });
    emit({ metric: "spans_exported", value: spans, unit: "spans", stack: STACK, workload: "tracing-on arms, warm-up included (12 per step: invoke_agent, 6 chat, 5 execute_tool)" });
  } finally {
    for (const p of live) await p.stop().catch(() => 0);
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
  // As the door's run stage does: the span opened on the call object, the handler awaited, the span closed.
  const tracedCall = async (): Promise<void> => {
    const span = t.open({ ...call }, "ToolCall", args);
    const r = await run();
    if (span !== undefined) t.close(span, "ToolCall", true, r);
  };
  const N = 50_000;
  try {
    for (let i = 0; i < 20_000; i++) await tracedCall();
    gc();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await tracedCall();
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

/** Two-sided 95 % quantiles of Student's t for 1..10 degrees of freedom (more: 2.23 is used, which errs wide). */
const T975 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23];

/** The mean of a few per-process figures and its 95 % t interval (NaN bounds for one process). */
function meanWithCi(xs: readonly number[]): { mean: number; lo: number; hi: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lo: NaN, hi: NaN };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (T975[Math.min(n - 1, T975.length) - 1] as number) * sd / Math.sqrt(n);
  return { mean, lo: mean - half, hi: mean + half };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export default suite;
