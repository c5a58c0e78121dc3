/**
 * `npm run bench -- <suite...>`: runs the named suites (all when none is named) and prints one JSON
 * line per figure. Each suite runs in its own child process with --expose-gc, so one suite's heap
 * never skews another's figures; a suite listed in sections.ts (kernel) runs each section in a child
 * of its own too, unless `--only=` picks some: after a million spawned agents the same heap delivered
 * 10k-agent messages ~35 % slower and its major GCs landed in the latency run.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { emitter, type Suite } from "./harness.js";
import { SECTIONS } from "./sections.js";

const SUITES = ["kernel", "agent-step", "sdk-path", "store", "sched", "security", "memory", "planner", "market", "observe", "cli"] as const;
/** Suites that run only when named (the sched suite already includes models-local; dashboard drives chromium; pg-store and cluster need PostgreSQL and nats-server). */
const EXTRA = ["models-local", "dashboard", "pg-store", "cluster"] as const;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (process.env["AIOS_BENCH_CHILD"] === "1") {
    const [suite, ...rest] = args;
    const mod = (await import(`./${suite}.ts`)) as { default: Suite };
    await mod.default(emitter(suite ?? "?"), rest);
    return;
  }
  const asked = args.filter((a) => !a.startsWith("-"));
  const extra = args.filter((a) => a.startsWith("-"));
  const unknown = asked.filter((a) => !(SUITES as readonly string[]).includes(a) && !(EXTRA as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown suite(s): ${unknown.join(", ")}; known: ${[...SUITES, ...EXTRA].join(", ")}\n`);
    process.exit(2);
  }
  let failed = 0;
  const run = (suite: string, more: string[]): void => {
    const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", "--import", "tsx", fileURLToPath(import.meta.url), suite, ...more], {
      stdio: "inherit",
      env: { ...process.env, AIOS_BENCH_CHILD: "1" },
    });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`suite ${suite}${more.length > 0 ? ` (${more.join(" ")})` : ""} exited with ${r.status ?? r.signal}\n`);
    }
  };
  for (const suite of asked.length > 0 ? asked : SUITES) {
    const sections = SECTIONS[suite];
    if (sections !== undefined && !extra.some((a) => a.startsWith("--only="))) {
      for (const section of sections) run(suite, [...extra, `--only=${section}`]);
    } else run(suite, extra);
  }
  process.exit(failed > 0 ? 1 : 0);
}

await main();
