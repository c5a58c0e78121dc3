/**
 * The cost of isolated code agents (issue 15 item 2, docs/adr/0023) beside trusted, in-process ones
 * running the same module: spawn latency and request/reply round trip, measured interleaved (a trusted
 * sample, then an isolated one, and so on) so machine load hits both alike. Both agents are spawned by
 * the operator from one .mjs file in a module root, the isolated one with `isolation: "isolated"`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../src/core/index.js";
import { boot } from "../src/sdk/index.js";
import { percentile, type Emit } from "./harness.js";

const ECHO = "export default { receive(s, m, ctx) { ctx.reply(m); return s; } };\n";

export async function isolationFigures(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-iso-"));
  const module = join(dir, "echo.mjs");
  writeFileSync(module, ECHO);
  const os = await boot({ stack: "bare", logger: silentLogger, moduleRoots: [dir] });
  try {
    const spec = (name: string, isolated: boolean) => ({ name, kind: "code" as const, module, ...(isolated ? { isolation: "isolated" as const } : {}) });
    // Warm-up: the module import, QuickJS's compile, the first threads.
    for (let i = 0; i < 3; i++) for (const iso of [false, true]) await os.kill(await os.spawn(spec(`warm-${i}`, iso)));

    // Spawn: spawn to running, then kill (threads never pile up). The isolated figure includes the
    // worker thread's start, as a pool keeps one thread warm but back-to-back spawns outrun it.
    const spawns = { trusted: [] as number[], isolated: [] as number[] };
    const n = 20;
    for (let i = 0; i < n; i++) {
      for (const iso of [false, true]) {
        const t0 = process.hrtime.bigint();
        const id = await os.spawn(spec(`s-${i}-${iso}`, iso));
        (iso ? spawns.isolated : spawns.trusted).push(Number(process.hrtime.bigint() - t0) / 1e6);
        await os.kill(id);
      }
    }
    const spawnWork = `os.spawn of an operator module agent (bare kernel, one .mjs echo module) to running, then kill; ${n} of each, interleaved trusted/isolated, back to back`;
    emit({ metric: "spawn_trusted_module_median", value: percentile(spawns.trusted, 50), unit: "ms", workload: spawnWork });
    emit({ metric: "spawn_isolated_median", value: percentile(spawns.isolated, 50), unit: "ms", workload: spawnWork });
    emit({ metric: "spawn_isolated_p99", value: percentile(spawns.isolated, 99), unit: "ms", workload: spawnWork });

    // Round trip: os.request -> receive -> ctx.reply, per-request mean of each batch.
    const trusted = await os.spawn(spec("rt-trusted", false));
    const isolated = await os.spawn(spec("rt-isolated", true));
    for (let i = 0; i < 200; i++) {
      await os.request(trusted, i);
      await os.request(isolated, i);
    }
    const rt = { trusted: [] as number[], isolated: [] as number[] };
    const batches = 20;
    const batch = 100;
    for (let b = 0; b < batches; b++) {
      for (const [id, out] of [[trusted, rt.trusted], [isolated, rt.isolated]] as const) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < batch; i++) await os.request(id, i);
        out.push(Number(process.hrtime.bigint() - t0) / batch / 1000);
      }
    }
    const rtWork = `os.request(agent, n) answered by ctx.reply(n) (bare kernel, one .mjs echo module), sequential; ${batches} batches of ${batch} per agent, interleaved trusted/isolated, per-request mean of each batch`;
    emit({ metric: "request_rt_trusted_median", value: percentile(rt.trusted, 50), unit: "us", workload: rtWork });
    emit({ metric: "request_rt_isolated_median", value: percentile(rt.isolated, 50), unit: "us", workload: rtWork });
    emit({ metric: "request_rt_isolated_p99", value: percentile(rt.isolated, 99), unit: "us", workload: rtWork });
  } finally {
    await os.shutdown("bench");
    rmSync(dir, { recursive: true, force: true });
  }
}
