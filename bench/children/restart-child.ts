/**
 * The restarted daemon of `npm run bench -- store`'s restart figure: a fresh process that boots the
 * default stack on a data directory full of durable agents and asks one of them a question. Prints
 * one JSON line: wall and CPU ms from this module's first line to its modules loaded, boot() resolving
 * and the answer, and the agents recovered. argv: <dataDir> <agent id>.
 */
const t0 = performance.now();
const c0 = process.cpuUsage();
const cpuMs = (): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const { boot } = await import("../../src/index.js");
const { silentLogger } = await import("../../src/core/index.js");
const { echo } = await import("./echo.js");
const [dataDir, agent] = process.argv.slice(2);
if (dataDir === undefined || agent === undefined) {
  process.stderr.write("usage: restart-child <dataDir> <agent id>\n");
  process.exit(2);
}
const imported = performance.now();
const importCpu = cpuMs();
const os = await boot({ dataDir, logger: silentLogger, logics: { echo } });
const booted = performance.now();
const bootCpu = cpuMs() - importCpu;
const answer = await os.request(agent, { ping: 1 }, { timeoutMs: 60_000 });
const answered = performance.now();
const answerCpu = cpuMs();
process.stdout.write(JSON.stringify({ importMs: imported - t0, bootMs: booted - imported, answerMs: answered - t0, importCpuMs: importCpu, bootCpuMs: bootCpu, answerCpuMs: answerCpu, agents: os.ps().length, answer }) + "\n");
await os.shutdown("bench");
