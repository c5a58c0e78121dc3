/**
 * Tool figures (issue #5, section 10): the start overhead of a sandboxed shell.execute over a bare
 * exec of the same command (goal <= 15 ms), median of N runs each, measured through the registry
 * exactly as an agent's ToolCall runs it (bwrap + namespaces + rlimits; see shellFigures for the
 * passes). Also the per-call cost of
 * a QuickJS script tool (fresh runtime and context per call on a pooled, never-grown wasm instance). `toolFigures(emit)` is what the security
 * suite calls; `npx tsx bench/tools-figures.ts` runs it on its own.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { RealClock, type AgentId, type TenantId } from "../src/core/index.js";
import { SpecCapabilityChecker } from "../src/kernel/index.js";
import { ToolRegistry, makeToolContext, scriptTool, shellTool, type ToolContext } from "../src/tools/index.js";
import { emitter, percentile, type Emit, type Suite } from "./harness.js";

function bareExec(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    c.on("error", reject);
    c.on("close", () => resolve());
  });
}

async function timeRuns(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

export async function toolFigures(emit: Emit, runs = 50): Promise<void> {
  const checker = new SpecCapabilityChecker();
  const caller = { agent: "ag_bench" as AgentId, tenant: "default" as TenantId, name: "bench", capabilities: ["tool:*#call", "shell#exec{allow=[true]}"], taint: new Set<string>(), priority: 0 };
  const ctx = makeToolContext({ caller, checker: () => checker, clock: new RealClock() });
  const reg = new ToolRegistry();
  reg.register(scriptTool({ name: "bench.add", source: "function run(a) { return a.x + 1; }" }));

  if (existsSync("/usr/bin/bwrap")) await shellFigures(emit, runs, ctx);
  else emit({ metric: "shell.execute start overhead (median)", value: NaN, unit: "ms", workload: "bubblewrap not installed (scripts/ci-deps.sh)", target: "<= 15 ms over bare exec", pass: false });

  await reg.execute("bench.add", { x: 1 }, ctx);
  const js = await timeRuns(runs, () => reg.execute("bench.add", { x: 1 }, ctx));
  emit({ metric: "QuickJS script tool call (median)", value: round(percentile(js, 50)), unit: "ms", workload: `trivial run(a) => a.x + 1, ${runs} sequential calls, fresh QuickJS runtime + context per call` });
}

const SANDBOX_DESCRIPTION = "bwrap user/pid/net/ipc/uts/cgroup namespaces, ro /usr, tmpfs work dir, rlimits by dash ulimit; a prepared sandbox per call unless noted";

/**
 * Four passes, each interleaving its calls with bare execs so that load drifting during the run
 * biases both samples alike: (1) the default tool, calls back to back (the headline figure: the
 * next call finds its prepared sandbox set up or still starting); (2) the default tool with a pause
 * between calls, as when an agent thinks between commands, so the sandbox is always set up; (3)
 * the default tool with no bare exec in between, the least time to prepare; (4) `prepare: false`,
 * bwrap's whole setup in every call.
 */
async function shellFigures(emit: Emit, runs: number, ctx: ToolContext): Promise<void> {
  const tool = (prepare: boolean): (() => Promise<unknown>) => {
    const reg = new ToolRegistry();
    reg.register(shellTool({ prepare }));
    return () => reg.execute("shell.execute", { command: "true" }, ctx);
  };
  const bare = (): Promise<void> => bareExec("/usr/bin/true", []);
  const prepared = tool(true);
  const cold = tool(false);
  // Warm the page cache and the first fork before measuring.
  await timeRuns(5, bare);
  await timeRuns(5, prepared);
  await timeRuns(5, cold);
  const pass = async (fns: (() => Promise<unknown>)[], pauseMs = 0): Promise<number[][]> => {
    const out = fns.map((): number[] => []);
    for (let i = 0; i < runs; i++) {
      for (const [j, fn] of fns.entries()) {
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        out[j]?.push(...(await timeRuns(1, fn)));
      }
    }
    return out;
  };
  const load = (): string => `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cpus`;
  const med = (a: number[] | undefined): number => round(percentile(a ?? [], 50));
  const base = `/usr/bin/true, ${runs} sequential runs each; bare = child_process.spawn; sandboxed = shell.execute via the registry (${SANDBOX_DESCRIPTION})`;

  const [b1, p1] = await pass([bare, prepared]);
  const w1 = `${base}; calls back to back, interleaved with bare; ${load()}`;
  const overhead = round(med(p1) - med(b1));
  emit({ metric: "shell.execute start overhead (median)", value: overhead, unit: "ms", workload: w1, target: "<= 15 ms over bare exec", pass: overhead <= 15 });
  emit({ metric: "bare exec (median)", value: med(b1), unit: "ms", workload: w1 });
  emit({ metric: "shell.execute sandboxed (median)", value: med(p1), unit: "ms", workload: w1 });
  emit({ metric: "shell.execute sandboxed (p99)", value: round(percentile(p1 ?? [], 99)), unit: "ms", workload: w1 });

  const [b2, p2] = await pass([bare, prepared], 100);
  const w2 = `${base}; 100 ms pause before every call (the prepared sandbox is set up when the call comes), interleaved with bare; ${load()}`;
  emit({ metric: "shell.execute start overhead, calls 100 ms apart (median)", value: round(med(p2) - med(b2)), unit: "ms", workload: w2 });

  const [p3] = await pass([prepared]);
  emit({ metric: "shell.execute sandboxed, strictly back to back (median)", value: med(p3), unit: "ms", workload: `${base}; calls back to back with nothing in between; ${load()}` });

  const [b4, c4] = await pass([bare, cold]);
  const w4 = `${base}; shellTool({ prepare: false }): bwrap setup in every call; interleaved with bare; ${load()}`;
  emit({ metric: "shell.execute start overhead, no prepared sandbox (median)", value: round(med(c4) - med(b4)), unit: "ms", workload: w4 });
  emit({ metric: "shell.execute sandboxed, no prepared sandbox (median)", value: med(c4), unit: "ms", workload: w4 });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const suite: Suite = async (emit, args) => {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
  await toolFigures(emit, n);
};
export default suite;

if (process.argv[1]?.endsWith("tools-figures.ts") === true && process.env["AIOS_BENCH_CHILD"] !== "1") {
  await toolFigures(emitter("tools"));
}
