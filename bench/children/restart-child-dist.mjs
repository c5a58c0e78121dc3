/**
 * The restart child of bench/store-restart.ts run from the compiled build (dist/, `npm run build`)
 * with plain node, as an installed `aios` runs: the same boot, echo agents and figures as
 * restart-child.ts, without tsx's module loading. argv: <dataDir> <agent id>.
 */
const t0 = performance.now();
const c0 = process.cpuUsage();
const cpuMs = () => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const { boot, silentLogger } = await import("../../dist/index.js");
/** The durable echo agent (as bench/children/echo.ts). */
const echo = {
  init: () => 0,
  receive(state, msg, ctx) {
    ctx.reply(msg);
    return state + 1;
  },
  snapshot: (s) => s,
  restore: (d) => Number(d),
};
const [dataDir, agent] = process.argv.slice(2);
if (dataDir === undefined || agent === undefined) {
  process.stderr.write("usage: restart-child-dist <dataDir> <agent id>\n");
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
