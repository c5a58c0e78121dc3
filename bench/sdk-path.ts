/**
 * `npm run bench -- sdk-path`: the public SDK path measured the way a program uses it, against an
 * Erlang node doing the same in the same run (issue #10 item 8). Both on the bare kernel — `boot()`
 * without a data directory, as the kernel suite — so the figures compare the SDK's own overhead:
 *  - spawn: `await os.spawn(spec)` one at a time for 1,000,000 agents, each spec a distinct object
 *    with its own name (the kernel suite hands it one object a million times, which its spec cache
 *    turns into one parse); the Erlang node spawns as many processes, each parked in receive.
 *  - send: `await os.send(id, n)` from outside the kernel to one agent that counts its messages,
 *    until it has them all; the Erlang node's process sends to one receiver that counts.
 * The Erlang side is bench/erlang-node.erl, run with `escript` (Debian: erlang-nox). Without it the
 * suite still prints the SDK figures and one `erlang_available: 0` figure saying it is missing.
 * The send is measured once more on the default stack (`boot({ dataDir })`, bench/kernel-stack.ts),
 * where the operator's os.send passes the door: that figure is printed beside the bare one.
 * Flags: --spawn=N, --send=N (counts), --only=spawn|send.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { boot, type AgentLogic } from "../src/index.js";
import { gc, type Emit, type Suite, cpuSeconds } from "./harness.js";
import { bootStack, STACK as DEFAULT_STACK } from "./kernel-stack.js";

const ERL = fileURLToPath(new URL("./erlang-node.erl", import.meta.url));
const STACK = "bare kernel: SDK boot({ stack: \"bare\" })";

interface ErlangResult {
  readonly [k: string]: number | string;
}

/** Runs the Erlang side; undefined when escript is not installed. */
function erlang(mode: "spawn" | "send", n: number): ErlangResult | undefined {
  const r = spawnSync("escript", [ERL, mode, String(n)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  if (r.status !== 0) throw new Error(`escript ${mode} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as ErlangResult;
}

function num(r: ErlangResult, k: string): number {
  const v = r[k];
  if (typeof v !== "number") throw new Error(`erlang-node.erl printed no ${k}`);
  return v;
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

async function sdkSpawn(n: number): Promise<{ secs: number; cpu: number; bytes: number }> {
  const os = await boot({ stack: "bare" });
  const logic: AgentLogic<number> = { init: () => 0, receive: (s) => s + 1 };
  for (let i = 0; i < 1000; i++) await os.spawn({ name: `warm${i}`, kind: "code", ephemeral: true, tier: "micro", logic });
  gc();
  const before = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  // A distinct spec object per agent, as a program building specs from data would hand them over.
  for (let i = 0; i < n; i++) await os.spawn({ name: `agent-${i}`, kind: "code", ephemeral: true, tier: "micro", logic });
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  if (os.ps({ limit: 10 }).length < 10) throw new Error("agents vanished");
  await os.shutdown();
  return { secs, cpu, bytes };
}

async function sdkSend(n: number, onStack = false): Promise<{ secs: number; cpu: number }> {
  const dir = onStack ? mkdtempSync(join(tmpdir(), "aios-sdk-send-")) : undefined;
  const os = dir === undefined ? await boot({ stack: "bare" }) : await bootStack(dir);
  let got = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const logic: AgentLogic<null> = {
    init: () => null,
    receive: (s) => {
      if (++got === n) done();
      return s;
    },
  };
  const id = await os.spawn({ name: "counter", kind: "code", ephemeral: true, logic });
  for (let i = 0; i < 10_000; i++) await os.send(id, i); // warm up
  await new Promise((r) => setTimeout(r, 50));
  got = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await os.send(id, i);
  await all;
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  await os.shutdown();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  return { secs, cpu };
}

function missing(emit: Emit, what: string): void {
  emit({ metric: "erlang_available", value: 0, unit: "bool", workload: `erlang not installed: escript was not found on PATH, so the Erlang node's ${what} figure and the comparison were skipped (Debian: apt-get install erlang-nox)` });
}

async function spawnSection(emit: Emit, n: number): Promise<void> {
  const e = erlang("spawn", n);
  const s = await sdkSpawn(n);
  const sdkW = `${STACK}; ${n.toLocaleString("en")} ephemeral micro code agents, await os.spawn(spec) one at a time, a distinct spec object with its own name per agent; heap after a full GC`;
  emit({ metric: "sdk_spawn_seconds", value: round(s.secs, 3), unit: "s", workload: sdkW });
  emit({ metric: "sdk_spawn_cpu_seconds", value: round(s.cpu, 3), unit: "cpu-s", workload: `${sdkW}; CPU time of this process (user+sys)` });
  emit({ metric: "sdk_spawn_heap_per_agent", value: Math.round(s.bytes), unit: "bytes", workload: sdkW });
  if (e === undefined) return missing(emit, "spawn");
  const erlW = `Erlang/OTP ${String(e["otp"])} node (${String(e["schedulers"])} schedulers, escript bench/erlang-node.erl): one process spawns ${n.toLocaleString("en")} processes one after another, each parked in receive`;
  const es = num(e, "spawn_seconds");
  emit({ metric: "erlang_spawn_seconds", value: round(es, 3), unit: "s", workload: erlW });
  emit({ metric: "erlang_spawn_cpu_seconds", value: round(num(e, "cpu_seconds"), 3), unit: "cpu-s", workload: `${erlW}; the VM's CPU time (statistics(runtime))` });
  emit({ metric: "erlang_spawn_bytes_per_process", value: Math.round(num(e, "bytes_per_process")), unit: "bytes", workload: `${erlW}; erlang:memory(processes) growth / N` });
  const ratio = s.secs / es;
  emit({ metric: "sdk_spawn_vs_erlang", value: round(ratio, 3), unit: "ratio", workload: `sdk_spawn_seconds / erlang_spawn_seconds, measured one after the other in this run (wall time; CPU ratio ${round(s.cpu / num(e, "cpu_seconds"), 3)})`, target: "<= 0.4", pass: ratio <= 0.4 });
}

async function sendSection(emit: Emit, n: number): Promise<void> {
  const e = erlang("send", n);
  const s = await sdkSend(n);
  const rate = n / s.secs;
  const sdkW = `${STACK}; await os.send(id, n) from outside the kernel, ${n.toLocaleString("en")} messages one after another to one agent that counts them, until it has the last`;
  emit({ metric: "sdk_send_msgs_per_s", value: Math.round(rate), unit: "msgs/s", workload: sdkW });
  emit({ metric: "sdk_send_msgs_per_cpu_s", value: Math.round(n / s.cpu), unit: "msgs/cpu-s", workload: `${sdkW}; per CPU second of this process` });
  if (e === undefined) return missing(emit, "send");
  const erlRate = num(e, "msgs_per_s");
  const erlW = `Erlang/OTP ${String(e["otp"])} node (${String(e["schedulers"])} schedulers, escript bench/erlang-node.erl): one process sends ${n.toLocaleString("en")} messages to one receiver that counts them, until it has the last (one-to-one)`;
  emit({ metric: "erlang_send_msgs_per_s", value: Math.round(erlRate), unit: "msgs/s", workload: erlW });
  emit({ metric: "erlang_send_msgs_per_cpu_s", value: Math.round(n / num(e, "cpu_seconds")), unit: "msgs/cpu-s", workload: `${erlW}; per CPU second of the VM` });
  const ratio = rate / erlRate;
  emit({ metric: "sdk_send_vs_erlang", value: round(ratio, 3), unit: "ratio", workload: "sdk_send_msgs_per_s / erlang_send_msgs_per_s, measured one after the other in this run", target: ">= 1", pass: ratio >= 1 });
  // The same program on the default stack (what users run): the operator's os.send passes the door.
  const d = await sdkSend(n, true);
  const dRate = n / d.secs;
  const dW = `${DEFAULT_STACK}; await os.send(id, n) from outside the kernel, ${n.toLocaleString("en")} messages one after another to one ephemeral agent that counts them, until it has the last; load average ${(loadavg()[0] ?? 0).toFixed(1)}`;
  emit({ metric: "sdk_send_default_stack_msgs_per_s", value: Math.round(dRate), unit: "msgs/s", workload: dW });
  emit({ metric: "sdk_send_default_stack_msgs_per_cpu_s", value: Math.round(n / d.cpu), unit: "msgs/cpu-s", workload: `${dW}; per CPU second of this process` });
  emit({ metric: "sdk_send_default_stack_vs_erlang", value: round(dRate / erlRate, 3), unit: "ratio", workload: `sdk_send_default_stack_msgs_per_s / erlang_send_msgs_per_s, measured one after the other in this run (CPU ratio ${round((n / d.cpu) / (n / num(e, "cpu_seconds")), 3)})`, target: ">= 1", pass: dRate >= erlRate });
}

const suite: Suite = async (emit, args) => {
  const arg = (name: string, d: number): number => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? d);
  const only = args.find((a) => a.startsWith("--only="))?.slice(7);
  const want = (s: string): boolean => only === undefined || only.split(",").includes(s);
  if (want("spawn")) await spawnSection(emit, arg("spawn", 1_000_000));
  if (want("send")) await sendSection(emit, arg("send", 5_000_000));
};
export default suite;
