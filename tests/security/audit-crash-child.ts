/**
 * The writer the audit crash test kills (audit-crash.test.ts): opens the audit log in the data dir
 * given in argv with the key in the PEM file given, and forever counts allowed sends of twelve
 * agents into the packed aggregator (three rows per entry, so a batch spans several entries), with
 * denials as entries of their own between them; every few hundred sends it writes the interval's
 * batch and, once that commit returned, acknowledges on stdout the batch number and the calls it
 * counted per agent. The parent SIGKILLs it at a random moment: mostly mid-interval, sometimes
 * between a commit and its acknowledgement. argv: <dataDir> <key.pem> <seed>.
 */
import { createPrivateKey } from "node:crypto";
import { readFileSync, writeSync } from "node:fs";
import { RealClock, SeededRandom } from "../../src/core/index.js";
import { AuditLog } from "../../src/audit/index.js";
import { Aggregator, AGGREGATE_META, parseMark } from "../../src/audit/aggregate.js";

const [dataDir, keyPath, seed] = process.argv.slice(2) as [string, string, string];
const rng = new SeededRandom(Number(seed));
const int = (lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));
const clock = new RealClock();
const log = new AuditLog({ dataDir, signer: createPrivateKey(readFileSync(keyPath, "utf8")), clock, checkpointEvery: 50 });
const agg = new Aggregator({ appendAll: (cs) => log.appendAll(cs), note: (k, v) => log.note(k, v), commit: () => void log.flush() }, clock, 3_600_000, parseMark(log.meta(AGGREGATE_META)), { rowsPerEntry: 3 });
const AGENTS = Array.from({ length: 12 }, (_, i) => `ag_${i}`);
// The log is open (and its "open" head signed): from here on a kill is a crash of a writer.
writeSync(1, "ready\n");

for (;;) {
  const counts: Record<string, number> = {};
  const sends = int(50, 400);
  for (let i = 0; i < sends; i++) {
    const agent = AGENTS[int(0, AGENTS.length - 1)] as string;
    agg.tally(agent, "SemanticSend", `token:cap_${agent} agent:*#send`).hit(AGENTS[int(0, AGENTS.length - 1)] as string);
    counts[agent] = (counts[agent] ?? 0) + 1;
    if (int(0, 40) === 0) log.append({ kind: "syscall", agent, data: { decision: "denied", reason: "no grant", syscall: "ToolCall" } });
    // Let the timers of the log (20 ms batches) and the kill arrive mid-interval.
    if (int(0, 60) === 0) await new Promise((r) => setTimeout(r, int(0, 2)));
  }
  agg.flush();
  writeSync(1, JSON.stringify({ batch: parseMark(log.meta(AGGREGATE_META)).batch, counts }) + "\n");
}
