/**
 * The demo's kernel in a child process (section 5), so the parent can SIGKILL it mid-work.
 *   work    <dataDir> <counterModule>: spawn the durable counter, then send it {seq: 1, 2, ...}
 *           as fast as the kernel acknowledges, printing `{"ack": n}` after each send resolved
 *           (= journaled), until killed.
 *   recover <dataDir>: boot on the same data dir, find the counter, wait until its recovered mail
 *           is handled and print `{"state": ..., "id": ...}`.
 * One JSON object per stdout line; the parent reads them.
 */
import { silentLogger } from "../../core/index.js";
import { boot } from "../../sdk/index.js";
import { EXAMPLE_AGENTS } from "./paths.js";

const [mode, dataDir, module] = process.argv.slice(2);
const emit = (v: unknown): void => void process.stdout.write(JSON.stringify(v) + "\n");

if (dataDir === undefined || (mode !== "work" && mode !== "recover")) {
  process.stderr.write("usage: durable-child work|recover <dataDir> [counterModule]\n");
  process.exit(2);
}

// Only the store: this part of the demo is about the journal, and a lean boot keeps it quick.
// The example agents are the module root (docs/adr/0022): the demo runs from any working directory,
// and recovery loads the counter's module again.
const os = await boot({ dataDir, durable: true, logger: silentLogger, subsystems: { memory: false, audit: false }, moduleRoots: [EXAMPLE_AGENTS] });

if (mode === "work") {
  if (module === undefined) process.exit(2);
  const id = await os.spawn({ name: "counter", kind: "code", module, export: "counter", durable: true });
  emit({ spawned: id });
  for (let seq = 1; ; seq++) {
    await os.send(id, { seq });
    emit({ ack: seq });
  }
} else {
  const c = os.ps({ name: "counter" })[0];
  if (c === undefined) {
    emit({ error: "no counter was recovered" });
    process.exit(1);
  }
  const queued = os.status(c.id).mailbox;
  // The request queues behind the recovered mail, so the answer is the state after all of it.
  const state = await os.request(c.id, { type: "get" }, { timeoutMs: 20_000 });
  emit({ id: c.id, incarnationStatus: c.status, queuedAtBoot: queued, state });
  await os.shutdown();
  process.exit(0);
}
