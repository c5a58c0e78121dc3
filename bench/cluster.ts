/**
 * `npm run bench -- cluster` (issue #16 item 8): kernels as cluster nodes on a real PostgreSQL and a
 * real nats-server -js, both started here on loopback in temp dirs (Debian's postgresql and
 * nats-server). Three nodes are bare kernels in this process (`boot({ stack: "bare" })` + the cluster
 * subsystem, real clock, lease TTL 1 s, heartbeat 200 ms); the failover figure kills an
 * `aios up --cluster` daemon child process with -9. Figures:
 *   - cross-node send: acknowledgement (the sender's send resolved: PostgreSQL committed) and
 *     delivery (handled by the agent on the other node, woken over NATS), p50/p99, sequential;
 *   - messages/s across 3 nodes: every node sends to agents on the two others, 8 in flight per node;
 *   - failover: kill -9 of the owning daemon until another node answers for the agent;
 *   - migration: os.migrate until the agent answers on the target node.
 * Workload and stack named in each figure; the machine is shared, so read them with the load average.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { AgentLogic } from "../src/abi/index.js";
import { HttpControl } from "../src/cli/client.js";
import { clusterSubsystem } from "../src/cluster/index.js";
import { silentLogger } from "../src/core/index.js";
import { boot, type Aios } from "../src/sdk/index.js";
import { startPostgres } from "../tests/helpers/postgres-server.js";
import { startNats } from "../tests/cluster/nats-server.js";
import { numArg, percentile, type Suite } from "./harness.js";

/** When each payload was handled (payloads are unique numbers), shared by the in-process nodes. */
const handledAt = new Map<number, number>();
const sink: AgentLogic<null, unknown> = {
  init: () => null,
  receive: (s, m, ctx) => {
    if (typeof m === "number") handledAt.set(m, performance.now());
    ctx.reply(true);
    return s;
  },
};

/** The cluster secret the bench's nodes share (docs/adr/0038): a fresh one per run. */
const SECRET = randomBytes(32).toString("hex");
const STACK = "boot({ stack: 'bare', durable: true }) + clusterSubsystem, PostgreSQL 15 + nats-server 2.9 on loopback";

async function node(url: string, nats: string, name: string): Promise<Aios> {
  const os = await boot({
    stack: "bare", durable: true, logger: silentLogger, logics: { sink },
    add: [clusterSubsystem({ postgres: url, nats, secret: SECRET, config: { cluster: "bench", node: name, ttlMs: 1_000, heartbeatMs: 200 } })],
  });
  await os.subsystems.cluster?.join();
  return os;
}

async function until(fn: () => boolean | Promise<boolean>, limitMs = 30_000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!(await fn())) {
    if (performance.now() > end) throw new Error("bench cluster: timed out waiting");
    await new Promise((r) => setTimeout(r, 2));
  }
}

const suite: Suite = async (emit, args) => {
  const sends = numArg(args, "sends", 300);
  const perNode = numArg(args, "per-node", 600);
  const pg = await startPostgres();
  const nats = await startNats();
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-cluster-"));
  const nodes: Aios[] = [];
  try {
    const url = await pg.createDatabase("bench");
    for (const n of ["a", "b", "c"]) nodes.push(await node(url, nats.url, n));
    const [a, b, c] = nodes as [Aios, Aios, Aios];
    const load = (): string => loadavg().map((x) => x.toFixed(1)).join(" ");

    // Cross-node send, one at a time: a -> agent on b.
    const onB = await b.spawn({ name: "sink-b", kind: "code", logic: "sink" });
    const ack: number[] = [];
    const deliver: number[] = [];
    for (let i = 0; i < sends + 20; i++) {
      const t0 = performance.now();
      await a.send(onB, i);
      const t1 = performance.now();
      await until(() => handledAt.has(i));
      if (i >= 20) {
        ack.push(t1 - t0);
        deliver.push((handledAt.get(i) ?? t1) - t0);
      }
    }
    const w1 = `${sends} sequential sends node a -> durable agent on node b (after 20 warm-up); ${STACK}; load ${load()}`;
    emit({ metric: "cross-node send ack p50", value: percentile(ack, 50), unit: "ms", workload: w1 });
    emit({ metric: "cross-node send ack p99", value: percentile(ack, 99), unit: "ms", workload: w1 });
    emit({ metric: "cross-node delivery p50", value: percentile(deliver, 50), unit: "ms", workload: w1 });
    emit({ metric: "cross-node delivery p99", value: percentile(deliver, 99), unit: "ms", workload: w1 });

    // Cross-node request, one at a time: a asks the agent on b; the reply comes back through
    // cluster_replies and a NATS wake-up (docs/adr/0040).
    const rtt: number[] = [];
    for (let i = 0; i < sends + 20; i++) {
      const t0 = performance.now();
      await a.request(onB, "ping", { timeoutMs: 10_000 });
      if (i >= 20) rtt.push(performance.now() - t0);
    }
    const wr = `${sends} sequential requests node a -> durable agent on node b, until the reply is back on a (after 20 warm-up); ${STACK}; load ${load()}`;
    emit({ metric: "cross-node request p50", value: percentile(rtt, 50), unit: "ms", workload: wr });
    emit({ metric: "cross-node request p99", value: percentile(rtt, 99), unit: "ms", workload: wr });

    // Throughput: each node sends to the agents on the two other nodes, 8 in flight per node.
    const sinks = [onB, await c.spawn({ name: "sink-c", kind: "code", logic: "sink" }), await a.spawn({ name: "sink-a", kind: "code", logic: "sink" })];
    const homes: [Aios, string[]][] = [
      [a, [sinks[0] as string, sinks[1] as string]],
      [b, [sinks[1] as string, sinks[2] as string]],
      [c, [sinks[2] as string, sinks[0] as string]],
    ];
    let next = 1_000_000;
    const total = perNode * 3;
    const first = next;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      homes.map(async ([from, targets]) => {
        let sent = 0;
        const lane = async (): Promise<void> => {
          while (sent < perNode) {
            const k = sent++;
            await from.send(targets[k % 2] as string, next++);
          }
        };
        await Promise.all(Array.from({ length: 8 }, lane));
      }),
    );
    await until(() => {
      for (let i = first; i < first + total; i++) if (!handledAt.has(i)) return false;
      return true;
    }, 120_000);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const w2 = `${total} sends across 3 nodes (each to agents on the 2 others, 8 in flight per node), until all handled; ${STACK}; CPU of the nodes' process ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (PostgreSQL and NATS not counted) for ${secs.toFixed(1)} s wall; load ${load()}`;
    emit({ metric: "cross-node messages/s (3 nodes)", value: Math.round(total / secs), unit: "msg/s", workload: w2 });

    // Migration: a live agent from c to a, until it answers on a.
    const mig: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [src, dst, dstName] = i % 2 === 0 ? [c, a, "a"] : [a, c, "c"];
      const t = performance.now();
      await src.migrate(sinks[1] as string, dstName);
      await until(() => dst.kernel.find(sinks[1] as string) !== undefined);
      await dst.request(sinks[1] as string, "ping", { timeoutMs: 10_000 });
      mig.push(performance.now() - t);
    }
    emit({ metric: "migration p50", value: percentile(mig, 50), unit: "ms", workload: `os.migrate of an idle durable agent between 2 nodes until it answers a request there, 5 moves; ${STACK}; load ${load()}` });

    // Failover: an `aios up --cluster` daemon owns an agent; kill -9; until node a answers for it.
    const data = join(dir, "daemon");
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "--data-dir", data, "--json", "up", "--port", "0", "--cluster", "bench", "--postgres", url, "--nats", nats.url, "--node", "d", "--lease-ttl", "1000"], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, AIOS_CLUSTER_SECRET: SECRET } });
    const port = await new Promise<number>((res) => createInterface({ input: child.stdout }).once("line", (l) => res((JSON.parse(l) as { port: number }).port)));
    const api = new HttpControl(`http://127.0.0.1:${port}`, readFileSync(join(data, "api-token"), "utf8").trim());
    const { id } = await api.spawn({ spec: { name: "tally", kind: "code", module: resolve("tests/cli/fixtures/tally.ts"), export: "tally", durable: true } });
    await api.send(id, { seq: 1 });
    const tk = performance.now();
    child.kill("SIGKILL");
    await until(() => nodes.some((n) => n.kernel.find(id) !== undefined));
    await nodes.find((n) => n.kernel.find(id) !== undefined)?.request(id, { type: "get" }, { timeoutMs: 10_000 });
    const failover = performance.now() - tk;
    emit({ metric: "failover", value: failover, unit: "ms", workload: `kill -9 of an aios up --cluster daemon owning a durable agent until another node answers a request for it; lease TTL 1 s, heartbeat 200 ms; ${STACK}; load ${load()}`, target: "< 2x lease TTL (2000 ms)", pass: failover < 2_000 });
  } finally {
    for (const n of nodes) await n.shutdown().catch(() => undefined);
    await nats.stop();
    await pg.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
};

export default suite;
