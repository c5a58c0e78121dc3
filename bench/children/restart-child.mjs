/**
 * The restarted daemon of `npm run bench -- store`'s restart figure (bench/store-restart.ts): a fresh
 * process that boots the default stack on a data directory full of durable agents and asks one of
 * them a question. One file for both builds: `src` loads the sources (run it under `node --import
 * tsx`), `dist` the compiled build (plain node, as an installed `aios` runs).
 * argv: <src|dist> <dataDir> <agent id>.
 * Prints one JSON line. Times are from the process's start (performance's time origin, before Node's
 * own bootstrap ran) and CPU is the process's whole user+system time, so both include Node starting
 * up: `importMs` when AIOS's modules are loaded, `bootMs` boot() alone, `answerMs` the first answer;
 * `phases` boot()'s steps (wall and CPU ms each), `journalRecords`/`journalScanMs` what recovery read.
 */
const [from, dataDir, agent] = process.argv.slice(2);
if ((from !== "src" && from !== "dist") || dataDir === undefined || agent === undefined) {
  process.stderr.write("usage: restart-child.mjs <src|dist> <dataDir> <agent id>\n");
  process.exit(2);
}
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const startedMs = performance.now();
const startedCpuMs = cpuMs();
const { boot, silentLogger } = await import(`../../${from}/index.js`);
const { echo } = await import("./echo.mjs");
const imported = performance.now();
const importCpu = cpuMs();
const os = await boot({ dataDir, logger: silentLogger, logics: { echo } });
const booted = performance.now();
const bootCpu = cpuMs() - importCpu;
const answer = await os.request(agent, { ping: 1 }, { timeoutMs: 60_000 });
const answered = performance.now();
const answerCpu = cpuMs();
process.stdout.write(
  JSON.stringify({
    nodeStartMs: startedMs,
    nodeStartCpuMs: startedCpuMs,
    importMs: imported,
    bootMs: booted - imported,
    answerMs: answered,
    importCpuMs: importCpu,
    bootCpuMs: bootCpu,
    answerCpuMs: answerCpu,
    agents: os.ps().length,
    // boot()'s own steps (kernel/boot-phases.ts) and what the journal's open read.
    phases: os.kernel.bootPhases,
    journalRecords: os.storeHealth?.records,
    journalScanMs: os.storeHealth?.durationMs,
    answer,
  }) + "\n",
);
await os.shutdown("bench");
