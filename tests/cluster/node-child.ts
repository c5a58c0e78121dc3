/**
 * A cluster node in a child process, for the kill -9 test (tests/cluster/takeover.test.ts):
 *   node --import tsx tests/cluster/node-child.ts <postgres-url> <cluster> <node> <agents>
 * Joins with a real clock (heartbeat 200 ms, TTL 1 s), places <agents> agents on itself, prints
 * "ready", then appends to their fenced journals round-robin forever, printing
 * "ack <agent> <seq> <epoch>" only after PostgreSQL committed each append. The parent kills it with
 * SIGKILL at some point; every printed ack must survive.
 */
import { ClusterNode, FencedJournal, openClusterPool, parseClusterConfig } from "../../src/cluster/index.js";
import { RealClock } from "../../src/core/index.js";

const [url, cluster, name, count] = process.argv.slice(2);
if (url === undefined || cluster === undefined || name === undefined || count === undefined) throw new Error("usage: node-child.ts <url> <cluster> <node> <agents>");
const pool = openClusterPool({ url });
const node = await ClusterNode.start({ pool, clock: new RealClock(), config: parseClusterConfig({ cluster, node: name, heartbeatMs: 200, ttlMs: 1_000 }) });
const agents = Array.from({ length: Number(count) }, (_, i) => `k${i}`);
for (const a of agents) {
  const placed = await node.place(a, { node: name });
  if (placed.lease === null) throw new Error(`could not place ${a}: ${String(placed.node)}`);
}
process.stdout.write("ready\n");
const journal = new FencedJournal(pool, cluster);
const next = new Map(agents.map((a) => [a, 1]));
for (let i = 0; ; i++) {
  const agent = agents[i % agents.length] ?? "k0";
  const lease = node.held().get(agent);
  if (lease === undefined) throw new Error(`lost ${agent}`);
  const seq = next.get(agent) ?? 1;
  await journal.append(lease, seq, [{ kind: "note", body: `${agent}#${seq}` }]);
  next.set(agent, seq + 1);
  process.stdout.write(`ack ${agent} ${seq} ${lease.epoch}\n`);
}
