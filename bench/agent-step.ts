/**
 * `npm run bench -- agent-step`: the agent-step workload (issue #10 item 8) through the stack users
 * run — `boot({ dataDir })` from the SDK, which installs the journal store, security, audit, tools,
 * the scheduler, models, memory and semantic IPC — not the bare kernel (bench/models-local.ts measures
 * the same agent on the bare kernel). The program is what a user writes: one tool `add(a, b)` defined
 * with `defineTool` and registered on `os.tools`, a scripted in-process model (`ReplayProvider` with a
 * `respond` function, given to boot as a provider) that answers each run with five tool calls, one
 * per turn, each adding 1 to the last result, then a final text ("5"); each run is `os.run(spec,
 * { goal })`, which spawns one LLM agent, asks it and ends it. A run is 6 model turns (steps) and 5
 * tool calls. Figures, ephemeral (`ephemeral: true`) and durable (`durable: true`, SQLite journal):
 * median and p99 ms per run one after another, us per step (median run / 6), CPU per step, and for
 * 1,000 runs started at once the total time and the peak heap per run.
 * Flags: --ephemeral / --durable (one mode only), --quick (fewer runs), --writers (the durable
 * workload on the writer thread against the inline writer, interleaved: ADR 0037's measurement).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { getHeapStatistics } from "node:v8";
import { boot, type Aios } from "../src/index.js";
import { ReplayProvider } from "../src/models/index.js";
import { addTool, fiveAdds } from "./fixtures.js";
import { gc, percentile, type Emit, type Suite, cpuSeconds, fsyncP50Ms } from "./harness.js";

/** Model turns per run: five tool-call turns and the final answer. */
const TURNS = 6;
const STACK = "default stack: SDK boot({ dataDir }) with journal store, security, audit, tools, sched, models, memory, ipc";

export async function bootDefaultStack(dataDir: string, writer?: "thread" | "inline"): Promise<Aios> {
  const os = await boot({
    dataDir,
    subsystems: {
      models: { models: {}, providers: { scripted: new ReplayProvider({ name: "scripted", respond: (req) => fiveAdds("add", req) }) } },
      ...(writer === undefined ? {} : { store: { storage: { driver: "sqlite" as const, writer } } }),
    },
  });
  os.tools.register(addTool());
  return os;
}

/**
 * Frozen through and through, as a program running one spec over and over hands it: the kernel then
 * parses it once (an unfrozen spec is parsed on every run, as it may have been edited in between).
 */
export function agentSpec(durable: boolean): { name: string; kind: "llm"; model: string; tools: string[]; capabilities: string[]; ephemeral?: boolean; durable?: boolean } {
  return Object.freeze({
    name: "adder", kind: "llm", model: "scripted", tools: Object.freeze(["add"]) as string[],
    capabilities: Object.freeze(["tool:add#call", "llm:scripted#invoke"]) as string[],
    ...(durable ? { durable: true } : { ephemeral: true }),
  });
}

/**
 * The heap in use, as process.memoryUsage().heapUsed reports it, read without the resident set size
 * that memoryUsage() also reads (about 9 us a call: 2,000 samples were 18 ms of a timed batch).
 */
const heapUsed = (): number => getHeapStatistics().used_heap_size;

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

async function mode(emit: Emit, durable: boolean, quick: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "aios-agent-step-"));
  const os = await bootDefaultStack(dir);
  const spec = agentSpec(durable);
  const name = durable ? "durable" : "ephemeral";
  const how = durable
    ? `durable agents (spec durable: true; SQLite journal, WAL synchronous=FULL group commit; fdatasync on this disk p50 ${fsyncP50Ms(dir).toFixed(2)} ms)`
    : "ephemeral agents (spec ephemeral: true)";
  const workload = `${STACK}; ${how}; per run os.run(spec, { goal }) spawns one LLM agent, the scripted in-process model answers 5 add(a, b) tool calls one per turn then the final text, the agent ends: ${TURNS} model turns + 5 tool calls per run`;
  const run = async (): Promise<void> => {
    const a = await os.run(spec, { goal: "count to five" });
    if (a.text !== "5") throw new Error(`unexpected answer ${a.text}`);
  };
  // Steady state: the JIT has compiled the step and the heap has grown (a service runs warm). A
  // durable run needs as long a warm-up as an ephemeral one (docs/measurements.md, session 21).
  const warm = durable ? 1000 : 500;
  for (let i = 0; i < warm; i++) await run();
  await Promise.all(Array.from({ length: 1000 }, run));

  const runs = durable ? (quick ? 100 : 400) : quick ? 500 : 3000;
  const times = new Array<number>(runs);
  gc();
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    times[i] = performance.now() - t0;
  }
  const cpuPerRunMs = (cpuSeconds(c0) * 1000) / runs;
  const med = percentile(times, 50);
  const p99 = percentile(times, 99);
  const seqW = `${workload}; after ${warm.toLocaleString("en")} runs one after another and 1,000 at once to warm up, ${runs.toLocaleString("en")} runs one after another, each timed`;
  const stepTarget = durable ? 150 : 60;
  const stepUs = (med * 1000) / TURNS;
  // The per-step targets times the 6 model turns of a run: 0.36 ms ephemeral, 0.9 ms durable.
  const runTarget = (stepTarget * TURNS) / 1000;
  emit({ metric: `run_ms_p50_${name}`, value: round(med, 3), unit: "ms", workload: seqW, target: `<= ${runTarget} ms`, pass: med <= runTarget });
  emit({ metric: `run_ms_p99_${name}`, value: round(p99, 3), unit: "ms", workload: seqW });
  emit({ metric: `step_us_${name}`, value: round(stepUs, 1), unit: "us/step", workload: `${seqW}; median run / ${TURNS} model turns`, target: `<= ${stepTarget} us`, pass: stepUs <= stepTarget });
  emit({ metric: `step_cpu_us_${name}`, value: round((cpuPerRunMs * 1000) / TURNS, 1), unit: "cpu-us/step", workload: `${seqW}; CPU time of this process (user+sys) per run / ${TURNS}: what an idle core would take` });

  const batches = quick ? 2 : 5;
  const walls: number[] = [];
  const cpus: number[] = [];
  const peaks: number[] = [];
  for (let b = 0; b < batches; b++) {
    // Timed: the 1,000 runs and nothing else (a sampler wrapped around each run is a frame and two
    // awaits more per run, alive all batch long).
    gc();
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    await Promise.all(Array.from({ length: 1000 }, run));
    walls.push((performance.now() - t1) / 1000);
    cpus.push(cpuSeconds(c1));
    // The same batch again, untimed, for the peak heap: sampled as each run starts and ends (the heap
    // is largest while all 1,000 agents are alive).
    gc();
    const base = heapUsed();
    let peak = base;
    const sampled = async (): Promise<void> => {
      const p = run();
      const h = heapUsed();
      if (h > peak) peak = h;
      await p;
      const h2 = heapUsed();
      if (h2 > peak) peak = h2;
    };
    await Promise.all(Array.from({ length: 1000 }, sampled));
    peaks.push((peak - base) / 1000);
  }
  const secs = percentile(walls, 50);
  const concW = `${workload}; 1,000 runs started at once (Promise.all of os.run), median of ${batches} batches, a full GC before each; the peak heap from an untimed batch after each, sampled at each run's start and end`;
  emit({ metric: `runs_1000_concurrent_s_${name}`, value: round(secs, 3), unit: "s", workload: `${concW}; all batches: ${walls.map((w) => w.toFixed(3)).join(", ")} s`, target: "<= 0.3 s", pass: secs <= 0.3 });
  emit({ metric: `runs_1000_concurrent_cpu_s_${name}`, value: round(percentile(cpus, 50), 3), unit: "cpu-s", workload: `${concW}; CPU time of this process (user+sys)` });
  emit({ metric: `runs_1000_concurrent_peak_heap_per_run_${name}`, value: Math.round(percentile(peaks, 50)), unit: "bytes", workload: `${concW}; (highest heapUsed sampled at each run's start and end) - heapUsed after the GC, / 1,000` });
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * `--writers`: the durable workload on two default stacks in one process, one committing on the
 * store's writer thread (the default, ADR 0037) and one inline on the main thread, in interleaved
 * rounds (A B B A ...) so both see the same machine load: per writer, the median of the rounds' ms
 * per sequential run and of the 1,000-concurrent batches' wall time, each with this process's CPU
 * time (all threads, so the writer thread's share is in it) and the load average around the rounds.
 */
async function writers(emit: Emit, quick: boolean): Promise<void> {
  const kinds = ["thread", "inline"] as const;
  const dirs = kinds.map(() => mkdtempSync(join(tmpdir(), "aios-agent-step-writer-")));
  const stacks = await Promise.all(kinds.map((k, i) => bootDefaultStack(dirs[i] as string, k)));
  const spec = agentSpec(true);
  const runOn = (os: Aios) => async (): Promise<void> => {
    const a = await os.run(spec, { goal: "count to five" });
    if (a.text !== "5") throw new Error(`unexpected answer ${a.text}`);
  };
  for (const os of stacks) {
    const run = runOn(os);
    for (let i = 0; i < 50; i++) await run();
    await Promise.all(Array.from({ length: 1000 }, run));
  }
  const rounds = quick ? 2 : 6;
  const seqRuns = quick ? 50 : 100;
  const seq = kinds.map(() => ({ ms: [] as number[], cpu: [] as number[] }));
  const conc = kinds.map(() => ({ s: [] as number[], cpu: [] as number[] }));
  const load0 = loadavg()[0] ?? 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const run = runOn(stacks[i] as Aios);
      gc();
      let c0 = process.cpuUsage();
      let t0 = performance.now();
      for (let k = 0; k < seqRuns; k++) await run();
      seq[i]?.ms.push((performance.now() - t0) / seqRuns);
      seq[i]?.cpu.push((cpuSeconds(c0) * 1000) / seqRuns);
      gc();
      c0 = process.cpuUsage();
      t0 = performance.now();
      await Promise.all(Array.from({ length: 1000 }, run));
      conc[i]?.s.push((performance.now() - t0) / 1000);
      conc[i]?.cpu.push(cpuSeconds(c0));
    }
  }
  const load = `load average ${load0.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after (2 cores shared)`;
  const base = `${STACK}; durable agents, SQLite journal; two stacks in one process, writer: "thread" (default) and writer: "inline", ${rounds} interleaved rounds; ${load}`;
  kinds.forEach((k, i) => {
    const q = seq[i] as { ms: number[]; cpu: number[] };
    const c = conc[i] as { s: number[]; cpu: number[] };
    const w = `${base}; this figure: writer ${k}`;
    emit({ metric: `durable_run_ms_writer_${k}`, value: round(percentile(q.ms, 50), 3), unit: "ms", workload: `${w}; median over rounds of the mean ms per run of ${seqRuns} sequential os.run; rounds: ${q.ms.map((x) => x.toFixed(2)).join(", ")}` });
    emit({ metric: `durable_run_cpu_ms_writer_${k}`, value: round(percentile(q.cpu, 50), 3), unit: "cpu-ms", workload: `${w}; CPU time (user+sys, all threads) per sequential run, median over rounds` });
    emit({ metric: `durable_runs_1000_concurrent_s_writer_${k}`, value: round(percentile(c.s, 50), 3), unit: "s", workload: `${w}; 1,000 os.run at once, median over rounds; rounds: ${c.s.map((x) => x.toFixed(3)).join(", ")}` });
    emit({ metric: `durable_runs_1000_concurrent_cpu_s_writer_${k}`, value: round(percentile(c.cpu, 50), 3), unit: "cpu-s", workload: `${w}; CPU time (user+sys, all threads) per batch of 1,000, median over rounds` });
  });
  for (const os of stacks) await os.shutdown();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

const suite: Suite = async (emit, args) => {
  const quick = args.includes("--quick");
  if (args.includes("--writers")) {
    await writers(emit, quick);
    return;
  }
  const modes = args.includes("--ephemeral") ? [false] : args.includes("--durable") ? [true] : [false, true];
  for (const durable of modes) await mode(emit, durable, quick);
};
export default suite;
