/**
 * `npm run bench -- cli` (issue #11 item 8, "speed"): how long a user waits for the `aios` command.
 * Each figure starts the real CLI as a new process, the way a shell does, and times it to its exit:
 *   - `aios --version` through bin/aios.js (dist/, after bin's currency check);
 *   - `aios ps` through bin/aios.js from dist/ and from the sources through tsx (AIOS_CLI=dist|src),
 *     against a real daemon (`aios up` from dist/) on loopback serving a supervisor and 3 workers
 *     (examples/specs/team.yaml), so ps renders a 4-row table.
 * Reported per command: wall ms (median and min of --runs=15, after 2 warm-ups) and, where GNU time
 * is installed, the child's CPU ms (user + system, median): on a shared machine the wall time moves
 * with the load average (in the workload string) and the CPU time does not. Target: ps from dist
 * <= 300 ms wall. dist/ is built first (npm run build) when it is missing or older than src/.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chooseEntry } from "../bin/entry.js";
import { percentile, numArg, type Suite } from "./harness.js";

const ROOT = process.cwd();
const BIN = join(ROOT, "bin/aios.js");
const GNU_TIME = "/usr/bin/time";


/** One run: wall ms, and CPU ms when GNU time can report it. */
function once(cmd: readonly string[], env: NodeJS.ProcessEnv): { wallMs: number; cpuMs?: number } {
  const timed = existsSync(GNU_TIME);
  const argv = timed ? [GNU_TIME, "-f", "AIOS_CPU %U %S", ...cmd] : [...cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] ?? "", argv.slice(1), { env: { ...process.env, ...env }, encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
  const m = /AIOS_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return m === null ? { wallMs } : { wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

function measure(cmd: readonly string[], env: NodeJS.ProcessEnv, runs: number): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < 2; i++) once(cmd, env);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = once(cmd, env);
    wall.push(r.wallMs);
    if (r.cpuMs !== undefined) cpu.push(r.cpuMs);
  }
  return { wall, cpu };
}

const suite: Suite = async (emit, args) => {
  const runs = numArg(args, "runs", 15);
  if (chooseEntry(ROOT, undefined).kind !== "dist") {
    process.stderr.write("bench cli: dist/ is missing or older than src/; running npm run build first\n");
    const b = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
    if (b.status !== 0) throw new Error("npm run build failed");
  }
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-cli-"));
  const data = join(dir, "data");
  const daemon = spawn(process.execPath, [BIN, "--data-dir", data, "--json", "up", "--port", "0"], { env: { ...process.env, AIOS_CLI: "dist" }, stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: daemon.stdout }).once("line", () => resolve());
      daemon.once("exit", (code) => reject(new Error(`aios up exited ${code}`)));
    });
    once([process.execPath, BIN, "--data-dir", data, "run", "examples/specs/team.yaml"], { AIOS_CLI: "dist" });
    const cases = [
      { metric: "cli_version_dist", cmd: [process.execPath, BIN, "--version"], env: {}, what: "`aios --version` via bin/aios.js (dist/)" },
      { metric: "cli_ps_dist", cmd: [process.execPath, BIN, "--data-dir", data, "ps"], env: { AIOS_CLI: "dist" }, what: "`aios ps` via bin/aios.js from dist/", target: "<= 300 ms" },
      { metric: "cli_ps_tsx", cmd: [process.execPath, BIN, "--data-dir", data, "ps"], env: { AIOS_CLI: "src" }, what: "`aios ps` via bin/aios.js from src/ through tsx" },
    ];
    for (const c of cases) {
      const { wall, cpu } = measure(c.cmd, c.env, runs);
      const load = loadavg()[0]?.toFixed(1) ?? "?";
      const against = c.metric.includes("_ps_") ? ", against a daemon on loopback serving 4 agents (team.yaml)" : "";
      const workload = `${c.what}, a new process per run${against}; median of ${runs} runs after 2 warm-ups; load average ${load}`;
      const p50 = percentile(wall, 50);
      emit({ metric: `${c.metric}_wall_p50`, value: Math.round(p50), unit: "ms", workload, ...(c.target === undefined ? {} : { target: c.target, pass: p50 <= 300 }) });
      emit({ metric: `${c.metric}_wall_min`, value: Math.round(Math.min(...wall)), unit: "ms", workload });
      if (cpu.length > 0) emit({ metric: `${c.metric}_cpu_p50`, value: Math.round(percentile(cpu, 50)), unit: "ms", workload: `${workload}; user + system CPU of the child (GNU time)` });
    }
  } finally {
    if (daemon.exitCode === null) {
      daemon.kill("SIGTERM");
      await new Promise((r) => daemon.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
};

export default suite;
