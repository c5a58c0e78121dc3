/**
 * Tool figures (issue #5, section 10): the start overhead of a sandboxed shell.execute over a bare
 * exec of the same command (goal <= 15 ms), median of N runs each, measured through the registry
 * exactly as an agent's ToolCall runs it (bwrap + namespaces + rlimits). Also the per-call cost of
 * a QuickJS script tool (fresh runtime and context per call on a pooled, never-grown wasm instance). `toolFigures(emit)` is what the security
 * suite calls; `npx tsx bench/tools-figures.ts` runs it on its own.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { RealClock, type AgentId, type TenantId } from "../src/core/index.js";
import { SpecCapabilityChecker } from "../src/kernel/index.js";
import { ToolRegistry, makeToolContext, scriptTool, shellTool } from "../src/tools/index.js";
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
  reg.register(shellTool());
  reg.register(scriptTool({ name: "bench.add", source: "function run(a) { return a.x + 1; }" }));

  if (existsSync("/usr/bin/bwrap")) {
    // Warm both paths (page cache, first fork) before measuring.
    await timeRuns(5, () => bareExec("/usr/bin/true", []));
    await timeRuns(5, () => reg.execute("shell.execute", { command: "true" }, ctx));
    // Interleaved (bare, sandboxed, bare, ...) so that load from other processes drifting during
    // the run biases both samples alike instead of whichever ran second.
    const bare: number[] = [];
    const boxed: number[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push(...(await timeRuns(1, () => bareExec("/usr/bin/true", []))));
      boxed.push(...(await timeRuns(1, () => reg.execute("shell.execute", { command: "true" }, ctx))));
    }
    const overhead = percentile(boxed, 50) - percentile(bare, 50);
    const workload = `/usr/bin/true, ${runs} sequential runs each, bare and sandboxed interleaved; bare = child_process.spawn; sandboxed = shell.execute via the registry (${SANDBOX_DESCRIPTION}); load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cpus`;
    emit({ metric: "shell.execute start overhead (median)", value: round(overhead), unit: "ms", workload, target: "<= 15 ms over bare exec", pass: overhead <= 15 });
    emit({ metric: "bare exec (median)", value: round(percentile(bare, 50)), unit: "ms", workload });
    emit({ metric: "shell.execute sandboxed (median)", value: round(percentile(boxed, 50)), unit: "ms", workload });
    emit({ metric: "shell.execute sandboxed (p99)", value: round(percentile(boxed, 99)), unit: "ms", workload });
  } else {
    emit({ metric: "shell.execute start overhead (median)", value: NaN, unit: "ms", workload: "bubblewrap not installed (scripts/ci-deps.sh)", target: "<= 15 ms over bare exec", pass: false });
  }

  await reg.execute("bench.add", { x: 1 }, ctx);
  const js = await timeRuns(runs, () => reg.execute("bench.add", { x: 1 }, ctx));
  emit({ metric: "QuickJS script tool call (median)", value: round(percentile(js, 50)), unit: "ms", workload: `trivial run(a) => a.x + 1, ${runs} sequential calls, fresh QuickJS runtime + context per call` });
}

const SANDBOX_DESCRIPTION = "bwrap user/pid/net/ipc/uts/cgroup namespaces, ro /usr, tmpfs work dir, rlimits by dash ulimit";

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
