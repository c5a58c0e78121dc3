/**
 * The daemon that dies in `npm run bench -- store`'s kill -9 restart figure (bench/store-restart.ts):
 * boots the default stack on a data directory, spawns durable echo agents, has them answer requests,
 * then goes on answering requests in small rounds until its journal is one round short of its next
 * automatic compaction — the most uncompacted tail a crash can leave (store/journal.ts,
 * compactionThreshold) — waits until every record is durable, prints one JSON line and waits for the
 * bench to end it: with SIGKILL (the journal is left exactly as a crash leaves it, with no
 * compaction at close and no orderly shutdown), or with a line `stop` on stdin (an orderly
 * `os.shutdown`, which compacts the journal at close), then exits 0.
 * argv: <src|dist> <dataDir> <agents> <requests>. Run `src` under `node --import tsx`.
 */
const [from, dataDir, agentsArg, requestsArg] = process.argv.slice(2);
const agents = Number(agentsArg);
const requests = Number(requestsArg);
if ((from !== "src" && from !== "dist") || dataDir === undefined || !(agents > 0) || !(requests >= 0)) {
  process.stderr.write("usage: restart-fill.mjs <src|dist> <dataDir> <agents> <requests>\n");
  process.exit(2);
}
const { boot, silentLogger } = await import(`../../${from}/index.js`);
const { echo } = await import("./echo.mjs");
const os = await boot({ dataDir, logger: silentLogger, logics: { echo } });
const journal = await os.subsystems.store.journal.store();
const ids = [];
for (let i = 0; i < agents; i += 500) {
  const n = Math.min(500, agents - i);
  ids.push(...(await Promise.all(Array.from({ length: n }, (_, k) => os.spawn({ name: `echo-${i + k}`, kind: "code", logic: "echo", durable: true })))));
}
let sent = 0;
const round = async (n) => {
  await Promise.all(Array.from({ length: n }, (_, k) => os.request(ids[(sent + k) % agents], { k: sent + k }, { timeoutMs: 60_000 })));
  sent += n;
  // A reply can reach the asker before the agent's `handled` record is durable: wait for it, so the
  // journal holds no unhandled letter and the restart measures the journal's tail, not redeliveries.
  await journal.flush();
};
while (sent < requests) await round(Math.min(5000, requests - sent));
// Each request appends two records (enqueue + handled); stop one round short of the threshold.
const step = 500;
while (journal.storedRows() + 2 * step < journal.compactionThreshold()) await round(step);
process.stdout.write(JSON.stringify({ ids, requests: sent, rows: journal.storedRows(), live: journal.state.size(), threshold: journal.compactionThreshold() }) + "\n");
process.stdin.setEncoding("utf8");
let input = "";
process.stdin.on("data", (d) => {
  input += d;
  if (!input.includes("stop\n")) return;
  process.stdin.pause();
  void os.shutdown("bench").then(() => process.exit(0));
});
