/**
 * `npm run bench -- sched`: the inference scheduler against a loopback continuous-batching server
 * (tests/fixtures/batching-server.ts, run in a child process so it does not share the client's event
 * loop). 1,000 agents call it with plain fetch through InferenceScheduler leases.
 *
 * Runs: FIFO, round robin and WFQ closed loops (capacity used, tokens/s, Jain's index, scheduler
 * overhead); WFQ and FIFO with weights 1:2:4 (share error); strict priority at 10x overload, open
 * loop (queue wait per class against one service time); and the agiresearch/AIOS FIFO baseline.
 *
 * The baseline, as in agiresearch/AIOS aios/scheduler/fifo_scheduler.py (process_llm_requests) and
 * aios/llm_core/adapter.py (execute_llm_syscalls): a loop sleeps batch_interval = 1.0 s, drains the
 * whole LLM queue, runs every drained call concurrently (a ThreadPoolExecutor with one worker per
 * call, no concurrency cap), and sets each call's response event only after its whole model group
 * (here: the whole batch) has finished; then it sleeps again. Calls arriving meanwhile wait.
 *
 * Flags: --quick (shorter runs), --no-local (skip the real CPU inference figures of models-local).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { RealClock } from "../src/core/index.js";
import { InferenceScheduler, type Lease, type PolicyName } from "../src/sched/index.js";
import { percentile, type Emit, type Suite } from "./harness.js";

class PreciseClock extends RealClock {
  override now(): number {
    return performance.now();
  }
}

// Service times of ~0.4 s (a short real completion) keep the client's own event-loop latency on a
// shared 2-core machine small next to the service time, so capacity figures measure the scheduler.
const AGENTS = 1_000;
const MAX_BATCH = 64;
const DECODE = 40; // tokens/s per sequence
const PREFILL = 20_000; // tokens/s
const MAX_TOKENS = 20;
const PROMPT = "Tell me a short story about a fox who liked tea, in one line. ".repeat(2);
const PROMPT_TOKENS = 4 + Math.ceil(PROMPT.length / 4);
const SERVICE_MS = (PROMPT_TOKENS / PREFILL) * 1000 + (MAX_TOKENS / DECODE) * 1000;
const CAPACITY_RPS = MAX_BATCH / (SERVICE_MS / 1000);
const BACKEND = `backend: continuous batching, max batch ${MAX_BATCH}, decode ${DECODE} tok/s/seq, prefill ${PREFILL} tok/s; request ${PROMPT_TOKENS} prompt + ${MAX_TOKENS} completion tokens (service ${SERVICE_MS.toFixed(1)} ms, capacity ${Math.round(CAPACITY_RPS)} req/s)`;

interface ServerStats {
  busySeqMs: number;
  at: number;
  completionTokens: number;
}

interface Backend {
  readonly url: string;
  call(signal?: AbortSignal): Promise<{ completion: number; total: number }>;
  stats(): Promise<ServerStats>;
  close(): void;
}

async function startBackend(): Promise<Backend> {
  const fixture = fileURLToPath(new URL("../tests/fixtures/batching-server.ts", import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", fixture, "--max-batch", String(MAX_BATCH), "--decode", String(DECODE), "--prefill", String(PREFILL)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once("line", (l) => resolve(l));
    child.once("exit", (code) => reject(new Error(`batching server exited with ${code}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  const body = JSON.stringify({ model: "fixture", messages: [{ role: "user", content: PROMPT }], max_tokens: MAX_TOKENS });
  return {
    url,
    async call(signal) {
      const r = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, ...(signal ? { signal } : {}) });
      const j = (await r.json()) as { usage: { completion_tokens: number; total_tokens: number } };
      return { completion: j.usage.completion_tokens, total: j.usage.total_tokens };
    },
    async stats() {
      return (await (await fetch(`${url}/stats`)).json()) as ServerStats;
    },
    close() {
      child.stdin?.end();
      child.kill("SIGTERM");
    },
  };
}

interface RunResult {
  occupancy: number;
  tokensPerSec: number;
  served: number[];
  waits: number[];
  /** Request issued -> response received (queue wait + service, or + batch for the baseline). */
  latencies: number[];
  requests: number;
  seconds: number;
}

/** Measures a window after a warm-up: occupancy from the server's own integral, tokens per agent. */
async function measure(backend: Backend, warmMs: number, windowMs: number, inWindow: { on: boolean }): Promise<{ occupancy: number; tokensPerSec: number }> {
  await sleep(warmMs);
  const a = await backend.stats();
  inWindow.on = true;
  await sleep(windowMs);
  inWindow.on = false;
  const b = await backend.stats();
  const span = b.at - a.at;
  return { occupancy: (b.busySeqMs - a.busySeqMs) / (MAX_BATCH * span), tokensPerSec: ((b.completionTokens - a.completionTokens) / span) * 1000 };
}

/**
 * Closed loop: each agent keeps `outstanding` requests in flight through the scheduler. The window is
 * counted in grants, not seconds: grants [warm, warm + measure) are measured, so with `measure` a
 * whole number of scheduling rounds Jain's index and weighted shares reflect the policy rather than
 * which agents happened to straddle a time boundary.
 */
async function closedLoop(backend: Backend, policy: PolicyName, weightOf: (i: number) => number, outstanding: number, warm: number, measureGrants: number): Promise<RunResult> {
  const sched = new InferenceScheduler({ clock: new PreciseClock(), pools: { gpu: { capacity: MAX_BATCH, policy } } });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one listener per waiting request
  const served = new Array<number>(AGENTS).fill(0);
  const waits: number[] = [];
  const latencies: number[] = [];
  let grants = 0;
  let measured = 0;
  let before: Promise<ServerStats> | undefined;
  let t0 = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const loop = async (i: number): Promise<void> => {
    const agent = `agent-${i}`;
    const weight = weightOf(i);
    while (!stop.signal.aborted) {
      let lease: Lease;
      const issued = performance.now();
      try {
        lease = await sched.lease("gpu", { agent, weight, tokens: PROMPT_TOKENS + MAX_TOKENS, signal: stop.signal });
      } catch {
        return;
      }
      const index = grants++;
      if (index === warm) {
        before = backend.stats();
        t0 = performance.now();
      }
      const r = await backend.call();
      lease.release({ tokens: r.total });
      if (index >= warm && index < warm + measureGrants) {
        served[i] = (served[i] ?? 0) + r.completion;
        waits.push(lease.waitedMs);
        latencies.push(performance.now() - issued);
        if (++measured === measureGrants) finish();
      }
    }
  };
  const loops = Array.from({ length: AGENTS * outstanding }, (_, k) => loop(k % AGENTS));
  await done;
  const b = await backend.stats();
  const a = await (before as Promise<ServerStats>);
  stop.abort();
  await Promise.all(loops);
  const span = b.at - a.at;
  return {
    occupancy: (b.busySeqMs - a.busySeqMs) / (MAX_BATCH * span),
    tokensPerSec: ((b.completionTokens - a.completionTokens) / span) * 1000,
    served,
    waits,
    latencies,
    requests: measureGrants,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The agiresearch/AIOS FIFO scheduler (see the header): batches every 1.0 s, answers at batch end. */
async function aiosBaseline(backend: Backend, warmMs: number, windowMs: number): Promise<RunResult> {
  const queue: { enq: number; done: (wait: number, completion: number) => void }[] = [];
  const served = new Array<number>(AGENTS).fill(0);
  const waits: number[] = [];
  const latencies: number[] = [];
  const win = { on: false };
  let stopped = false;
  let requests = 0;
  const dispatcher = (async () => {
    while (!stopped) {
      await sleep(1_000); // batch_interval
      const batch = queue.splice(0);
      const start = performance.now();
      const results = await Promise.all(batch.map(() => backend.call()));
      batch.forEach((b, k) => b.done(start - b.enq, results[k]?.completion ?? 0));
    }
    for (const b of queue.splice(0)) b.done(-1, 0);
  })();
  const loop = async (i: number): Promise<void> => {
    while (!stopped) {
      const issued = performance.now();
      const [wait, completion] = await new Promise<[number, number]>((resolve) => queue.push({ enq: issued, done: (w, c) => resolve([w, c]) }));
      if (wait < 0) return;
      requests++;
      if (win.on) {
        served[i] = (served[i] ?? 0) + completion;
        waits.push(wait);
        latencies.push(performance.now() - issued);
      }
    }
  };
  const loops = Array.from({ length: AGENTS }, (_, i) => loop(i));
  const m = await measure(backend, warmMs, windowMs, win);
  stopped = true;
  await dispatcher;
  await Promise.all(loops);
  return { ...m, served, waits, latencies, requests, seconds: windowMs / 1000 };
}

interface OverloadResult {
  waits: Map<string, number[]>;
  unserved: Map<string, number>;
  service: number[];
  offered: number;
}

/** Open loop at `factor` x capacity: 5% high (10), 25% normal (0), 70% low (-10) from 1,000 agents. */
async function overload(backend: Backend, factor: number, runMs: number): Promise<OverloadResult> {
  const sched = new InferenceScheduler({ clock: new PreciseClock(), pools: { gpu: { capacity: MAX_BATCH, policy: "priority", agingMs: 1_000 } } });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const classes = [
    { name: "high", priority: 10, p: 0.05 },
    { name: "normal", priority: 0, p: 0.25 },
    { name: "low", priority: -10, p: 0.7 },
  ];
  const waits = new Map(classes.map((c) => [c.name, [] as number[]]));
  const unserved = new Map(classes.map((c) => [c.name, 0]));
  const service: number[] = [];
  const inflight: Promise<void>[] = [];
  let offered = 0;
  const one = async (cls: (typeof classes)[number], agent: string): Promise<void> => {
    let lease: Lease;
    try {
      lease = await sched.lease("gpu", { agent, priority: cls.priority, tokens: PROMPT_TOKENS + MAX_TOKENS, signal: stop.signal });
    } catch {
      unserved.set(cls.name, (unserved.get(cls.name) ?? 0) + 1);
      return;
    }
    waits.get(cls.name)?.push(lease.waitedMs);
    const s0 = performance.now();
    const r = await backend.call();
    service.push(performance.now() - s0);
    lease.release({ tokens: r.total });
  };
  const rate = (factor * CAPACITY_RPS) / 1000; // per ms
  const start = performance.now();
  while (performance.now() - start < runMs) {
    await sleep(2);
    const owed = Math.floor((performance.now() - start) * rate) - offered; // arrivals due so far, at a steady rate
    for (let k = 0; k < owed; k++) {
      const u = Math.random();
      const cls = u < 0.05 ? classes[0] : u < 0.3 ? classes[1] : classes[2];
      inflight.push(one(cls as (typeof classes)[number], `agent-${Math.floor(Math.random() * AGENTS)}`));
      offered++;
    }
  }
  stop.abort();
  await Promise.all(inflight);
  return { waits, unserved, service, offered };
}

function jain(xs: readonly number[]): number {
  const s = xs.reduce((a, b) => a + b, 0);
  const s2 = xs.reduce((a, b) => a + b * b, 0);
  return s2 === 0 ? 0 : (s * s) / (xs.length * s2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

function emitClosed(emit: Emit, name: string, r: RunResult, workload: string, withTargets: boolean): void {
  const t = (target: string, pass: boolean): { target?: string; pass?: boolean } => (withTargets ? { target, pass } : {});
  emit({ metric: `capacity_used[${name}]`, value: round(r.occupancy * 100, 1), unit: "%", workload, ...t(">= 97%", r.occupancy >= 0.97) });
  emit({ metric: `throughput[${name}]`, value: Math.round(r.tokensPerSec), unit: "completion tokens/s", workload: `${workload}; ideal decode capacity ${MAX_BATCH * DECODE} tok/s` });
  const j = jain(r.served);
  emit({ metric: `jain_equal_weights[${name}]`, value: round(j, 4), unit: "index", workload, ...t(">= 0.99", j >= 0.99) });
  emit({ metric: `queue_wait_p50[${name}]`, value: round(percentile(r.waits, 50), 2), unit: "ms", workload });
  emit({ metric: `queue_wait_p99[${name}]`, value: round(percentile(r.waits, 99), 2), unit: "ms", workload });
  emit({ metric: `latency_p50[${name}]`, value: round(percentile(r.latencies, 50), 1), unit: "ms", workload: `${workload}; request issued -> response` });
  emit({ metric: `latency_p99[${name}]`, value: round(percentile(r.latencies, 99), 1), unit: "ms", workload: `${workload}; request issued -> response` });
}

/**
 * The scheduler's own CPU time per request, with no network: 1,000 agents each keep one request
 * queued on a 32-slot pool; each iteration releases the oldest lease (which grants the next waiter)
 * and queues a new request for that agent. process.cpuUsage() over N requests, so time the OS gives
 * to other processes on this shared machine is not counted.
 */
async function overheadMicro(policy: PolicyName, n: number): Promise<number> {
  const sched = new InferenceScheduler({ clock: new PreciseClock(), pools: { gpu: { capacity: 32, policy, agingMs: 1_000 } } });
  const held: Lease[] = [];
  const take = (l: Lease): void => void held.push(l);
  const req = (i: number): void => void sched.lease("gpu", { agent: `agent-${i}`, priority: i % 3, weight: 1 + (i % 4), tokens: 40 + (i % 7), deadline: performance.now() + (i % 100) }).then(take, () => undefined);
  for (let i = 0; i < AGENTS; i++) req(i);
  await Promise.resolve();
  const c0 = process.cpuUsage();
  for (let k = 0; k < n; k++) {
    while (held.length === 0) await Promise.resolve();
    const l = held.shift() as Lease;
    l.release({ tokens: 45 });
    req(k % AGENTS);
  }
  const c = process.cpuUsage(c0);
  sched.close();
  return (c.user + c.system) / n;
}

const suite: Suite = async (emit, args) => {
  const quick = args.includes("--quick");
  const windowMs = quick ? 4_000 : 8_000;
  for (const policy of ["fifo", "round-robin", "wfq", "priority", "edf"] as const) {
    const us = await overheadMicro(policy, quick ? 50_000 : 200_000);
    emit({ metric: `overhead_per_request[${policy}]`, value: round(us, 2), unit: "us CPU", workload: `in-process, ${AGENTS} agents x 1 queued request, 32 slots, ${policy}; lease()+release()+grant, CPU time per request`, target: "<= 50 us", pass: us <= 50 });
  }
  const backend = await startBackend();
  try {
    for (const policy of ["fifo", "round-robin", "wfq"] as const) {
      const r = await closedLoop(backend, policy, () => 1, 1, AGENTS, AGENTS);
      emitClosed(emit, policy, r, `${AGENTS} agents, equal weights, 1 request each in flight (closed loop), ${policy}; measured over grants ${AGENTS}..${2 * AGENTS} (one round, ${r.seconds.toFixed(1)} s); ${BACKEND}`, true);
    }
    {
      const policy = "wfq";
      const weights = [1, 2, 4];
      // One WFQ cycle serves each weight-w agent w times: AGENTS * (1+2+4)/3 grants.
      const cycle = Math.round((AGENTS * 7) / 3);
      const r = await closedLoop(backend, policy, (i) => weights[i % 3] as number, 3, cycle, cycle);
      const total = r.served.reduce((a, b) => a + b, 0);
      let worst = 0;
      for (const [k, w] of weights.entries()) {
        const got = r.served.filter((_, i) => i % 3 === k).reduce((a, b) => a + b, 0) / total;
        worst = Math.max(worst, Math.abs(got / (w / 7) - 1));
      }
      emit({
        metric: `weighted_share_error[${policy}]`,
        value: round(worst * 100, 2),
        unit: "% (max over classes)",
        workload: `${AGENTS} agents, weights 1:2:4 in thirds, 3 requests each in flight, ${policy}; measured over grants ${cycle}..${2 * cycle} (one cycle, ${r.seconds.toFixed(1)} s); ${BACKEND}`,
        target: "<= 5%",
        pass: worst <= 0.05,
      });
      emit({ metric: `capacity_used[${policy}-weighted]`, value: round(r.occupancy * 100, 1), unit: "%", workload: `weights 1:2:4, 3 in flight per agent (deeper queue); ${BACKEND}`, target: ">= 97%", pass: r.occupancy >= 0.97 });
    }
    const o = await overload(backend, 10, windowMs);
    const service = percentile(o.service, 50);
    const work = `open loop at 10x capacity (${o.offered} requests from ${AGENTS} agents), 5% high / 25% normal / 70% low, strict priority with aging 1 s/level; ${BACKEND}`;
    for (const [cls, ws] of o.waits) {
      emit({ metric: `queue_wait_p50[priority:${cls}]`, value: round(percentile(ws, 50), 2), unit: "ms", workload: `${work}; served ${ws.length}, unserved at end ${o.unserved.get(cls) ?? 0}` });
      emit({ metric: `queue_wait_p99[priority:${cls}]`, value: round(percentile(ws, 99), 2), unit: "ms", workload: `${work}; served ${ws.length}` });
    }
    const hi = percentile(o.waits.get("high") ?? [], 99);
    emit({ metric: "high_priority_p99_wait_over_service_time", value: round(hi / service, 3), unit: "service times", workload: `${work}; median service ${round(service, 1)} ms`, target: "<= 1", pass: hi <= service });
    // A baseline cycle is 1 s of sleep plus a whole batch (all 1,000 calls, ~AGENTS/CAPACITY_RPS s): measure two.
    const cycleMs = 1_000 + (AGENTS / CAPACITY_RPS) * 1_000;
    const b = await aiosBaseline(backend, 2_000, Math.round(2 * cycleMs));
    emitClosed(emit, "aios-fifo-baseline", b, `${AGENTS} agents, 1 request each (closed loop), agiresearch/AIOS FIFO: drain queue every 1.0 s, dispatch all at once, answer at batch end; ${Math.round(2 * cycleMs)} ms window; queue wait = until dispatch; ${BACKEND}`, false);
  } finally {
    backend.close();
  }
  // Real CPU inference figures (stories260K) belong to models/: run its suite when it exists.
  const local = new URL("./models-local.ts", import.meta.url);
  if (!args.includes("--no-local") && existsSync(fileURLToPath(local))) {
    const mod = (await import(local.href)) as { default?: Suite };
    if (typeof mod.default === "function") await mod.default(emit, args);
  }
};

export default suite;
