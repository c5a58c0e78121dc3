/**
 * Restart time as a user meets it (issue #17 item 6): the default stack (`boot({ dataDir })`) with
 * 10,000 durable echo agents that handled 500,000 messages (about 1,000,000 journal records written:
 * enqueue + handled each, compacted as the journal does by default), shut down; then a new Node
 * process boots on that directory and asks one agent a question. Figures: ms from the new process's
 * start to boot() resolving and to the first answer (target <= 1,000 ms), and how much of it was
 * loading modules. Run through tsx (the sources) always, and from the compiled build too when dist/
 * exists (`npm run build`: plain node, as an installed `aios` runs); each figure says which.
 * Durable agents come back lazily (kernel/recovery.ts): boot enters them all in the process table,
 * the first answer restores the one asked.
 * Args: --restart-agents=<n> (10,000), --restart-messages=<n> (500,000).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger, type AgentId } from "../src/core/index.js";
import { boot } from "../src/index.js";
import { Journal, SqliteDriver } from "../src/store/index.js";
import { echo } from "./children/echo.js";
import type { Emit } from "./harness.js";

const CHILD = fileURLToPath(new URL("./children/restart-child.ts", import.meta.url));
const DIST_CHILD = fileURLToPath(new URL("./children/restart-child-dist.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

type Loader = "tsx" | "dist";

interface ChildFigures {
  readonly importMs: number;
  readonly bootMs: number;
  readonly answerMs: number;
  readonly importCpuMs: number;
  readonly bootCpuMs: number;
  readonly answerCpuMs: number;
  readonly agents: number;
}

function runChild(dataDir: string, agent: AgentId, loader: Loader): Promise<ChildFigures & { wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = loader === "tsx" ? ["--import", "tsx", CHILD, dataDir, agent] : [DIST_CHILD, dataDir, agent];
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    p.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || line === undefined) return reject(new Error(`restart child exited ${code}: ${err.slice(0, 500)}`));
      resolve({ ...(JSON.parse(line) as ChildFigures), wallMs: performance.now() - t0 });
    });
  });
}

export async function restartFigures(emit: Emit, root: string, agents: number, messages: number): Promise<void> {
  const dataDir = join(root, "restart");
  const os = await boot({ dataDir, logger: silentLogger, logics: { echo } });
  const ids: AgentId[] = [];
  for (let i = 0; i < agents; i += 500) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(500, agents - i) }, (_, k) => os.spawn({ name: `echo-${i + k}`, kind: "code", logic: "echo", durable: true })))));
  }
  for (let i = 0; i < messages; i += 5000) {
    await Promise.all(Array.from({ length: Math.min(5000, messages - i) }, (_, k) => os.request(ids[(i + k) % agents] as AgentId, { k: i + k }, { timeoutMs: 60_000 })));
  }
  await os.shutdown("bench");
  const journal = await Journal.open(SqliteDriver.open(join(dataDir, "journal")));
  const rows = journal.storedRows();
  const live = journal.state.size();
  await journal.close();

  const loaders: Loader[] = existsSync(DIST) ? ["tsx", "dist"] : ["tsx"];
  // Each restart uses a different agent, so each first answer restores an agent the others did not.
  let next = 1;
  for (const loader of loaders) {
    const runs = [await runChild(dataDir, ids[next++] as AgentId, loader), await runChild(dataDir, ids[next++] as AgentId, loader)];
    const best = runs.reduce((a, b) => (b.answerCpuMs < a.answerCpuMs ? b : a));
    if (best.agents !== agents) throw new Error(`restart child recovered ${best.agents} agents, not ${agents}`);
    const how = loader === "tsx" ? "a new Node process loading the sources through tsx" : "a new Node process loading the compiled build (dist/, plain node)";
    const sfx = loader === "tsx" ? "" : "_dist";
    const workload = `default stack boot({ dataDir }) in ${how}, on a data dir of ${agents} durable echo agents that handled ${messages} requests (${2 * messages + 2 * agents} journal records written, ${rows} rows stored after compaction, ${live} live); agents restored lazily (on first use); the restart of 2 that used the least CPU`;
    emit({ metric: `restart_first_answer_ms${sfx}`, value: Math.round(best.answerMs), unit: "ms", workload: `${workload}: from the process's first line to the first answered request`, target: "<= 1000", pass: best.answerMs <= 1000 });
    // On a shared machine wall time includes waiting for a core; CPU time shows the work itself.
    emit({ metric: `restart_first_answer_cpu_ms${sfx}`, value: Math.round(best.answerCpuMs), unit: "ms", workload: `${workload}: CPU time (user+system) of the new process up to the first answer`, target: "<= 1000", pass: best.answerCpuMs <= 1000 });
    emit({ metric: `restart_boot_cpu_ms${sfx}`, value: Math.round(best.bootCpuMs), unit: "ms", workload: `${workload}: CPU time of boot() alone` });
    emit({ metric: `restart_boot_ms${sfx}`, value: Math.round(best.bootMs), unit: "ms", workload: `${workload}: boot() alone (journal recovery, agents entered in the table, subsystems up)` });
    emit({ metric: `restart_module_load_ms${sfx}`, value: Math.round(best.importMs), unit: "ms", workload: `${workload}: loading AIOS's modules before boot() (CPU ${Math.round(best.importCpuMs)} ms)` });
  }
}
