/**
 * `aios up --cluster` and `aios nodes` as a user runs them (child processes, real PostgreSQL and a
 * real nats-server -js): the daemon joins as a node and shows up live with its tags, capacity and
 * API address; an agent placed with a tag only that node has is acquired by the daemon, woken over
 * NATS; SIGTERM leaves the cluster (the lease is released with its epoch, the node shows as left);
 * missing or stray flags are usage errors naming the flag; a durable agent spawned through one
 * daemon's API runs on that node's lease, and when that daemon is killed with -9 another cluster
 * node takes it over from PostgreSQL after the lease TTL and serves it with its state; a send from
 * another node reaches the daemon's agent through PostgreSQL and a NATS wake-up; a supervisor on
 * another node is told once that its child tree's daemon was killed (ADR 0048). The daemon is a
 * child process; the short commands run in this process through runCli (bin/aios.js's code path,
 * streams captured) to keep the file quick on a loaded machine.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HttpControl } from "../../src/cli/client.js";
import { describe, expect, it } from "vitest";
import { ClusterNode, LeaseTable, clusterSubsystem, parseClusterConfig } from "../../src/cluster/index.js";
import { RealClock, silentLogger } from "../../src/core/index.js";
import { boot } from "../../src/sdk/index.js";
import { useClusterDb } from "../cluster/cluster-db.js";
import { TEST_SECRET } from "../cluster/node-fixture.js";
import { cliInProcess, startDaemon } from "./helpers.js";

const db = useClusterDb("cli", { nats: true, dir: true });

interface NodesDoc {
  readonly cluster: string;
  readonly nodes: readonly { node: string; live: boolean; state: string; load: number; capacity: number; tags: string[]; addr: string }[];
}

const cli = cliInProcess;

async function listNodes(): Promise<NodesDoc> {
  const r = await cli(["--json", "nodes", "--cluster", "c1", "--postgres", db.url]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as NodesDoc;
}

/**
 * Node n1 as an `aios up --cluster` daemon and node n2 as a kernel in this process (a second daemon
 * would double the file's time), both with a 1.5 s lease TTL, n2 beating every 300 ms.
 */
async function daemonAndKernel(cluster: string): Promise<{ n1: Awaited<ReturnType<typeof startDaemon>>; n2: Awaited<ReturnType<typeof boot>>; leases: LeaseTable }> {
  const n1 = await startDaemon(join(db.dir, `${cluster}n1`), ["--cluster", cluster, "--postgres", db.url, "--nats", db.nats.url, "--node", "n1", "--lease-ttl", "1500"], { AIOS_CLUSTER_SECRET: TEST_SECRET });
  const n2 = await boot({
    stack: "bare", durable: true, logger: silentLogger,
    add: [clusterSubsystem({ postgres: db.url, nats: db.nats.url, secret: TEST_SECRET, config: { cluster, node: "n2", ttlMs: 1_500, heartbeatMs: 300 } })],
  });
  await n2.subsystems.cluster?.join();
  return { n1, n2, leases: new LeaseTable(db.pool, cluster) };
}

describe("aios up --cluster / aios nodes", () => {
  it("joins, takes an agent placed on it, and leaves on SIGTERM", async () => {
    expect(await listNodes()).toEqual({ cluster: "c1", nodes: [] });
    const d = await startDaemon(join(db.dir, "n1"), ["--cluster", "c1", "--postgres", db.url, "--nats", db.nats.url, "--node", "n1", "--tags", "gpu", "--capacity", "50"], { AIOS_CLUSTER_SECRET: TEST_SECRET });
    expect(d.stderr()).toContain("cluster c1: joined as node n1");
    const listed = await listNodes();
    expect(listed.nodes).toMatchObject([{ node: "n1", live: true, state: "up", load: 0, capacity: 50, tags: ["gpu"], addr: `http://127.0.0.1:${d.port}` }]);

    // Another node (this test process) places an agent that needs a gpu: only n1 qualifies.
    const me = await ClusterNode.start({ pool: db.pool, clock: new RealClock(), autoBeat: false, config: parseClusterConfig({ cluster: "c1", node: "tester", capacity: 10 }) });
    const leases = new LeaseTable(db.pool, "c1");
    try {
      // No bus here: n1 picks it up at its next heartbeat (1 s), or at once when woken by a node with a bus.
      expect(await me.place("trainer", { tags: ["gpu"] })).toEqual({ node: "n1", lease: null });
      for (let i = 0; i < 100 && (await leases.get("trainer"))?.owner !== "n1"; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await leases.get("trainer")).toMatchObject({ owner: "n1", epoch: 1 });
      expect((await listNodes()).nodes.find((n) => n.node === "n1")?.load).toBe(1);

      d.proc.kill("SIGTERM");
      expect(await d.exited).toEqual({ code: 0, signal: null });
      expect(await leases.get("trainer")).toMatchObject({ owner: null, epoch: 1 });
      expect((await listNodes()).nodes.find((n) => n.node === "n1")).toMatchObject({ live: false, state: "left", load: 0 });
    } finally {
      await me.stop();
    }
  }, 20_000);

  it("serves a durable agent on its lease; kill -9 of the daemon moves it to another node with its state", async () => {
    const { n1, n2, leases } = await daemonAndKernel("c2");
    try {
      const api = new HttpControl(`http://127.0.0.1:${n1.port}`, readFileSync(join(db.dir, "c2n1", "api-token"), "utf8").trim());
      const { id } = await api.spawn({ spec: { name: "tally", kind: "code", module: resolve("tests/cli/fixtures/tally.ts"), export: "tally", durable: true } });
      expect(await leases.get(id)).toMatchObject({ owner: "n1", epoch: 1 });
      for (let seq = 1; seq <= 5; seq++) await api.send(id, { seq });
      // A send from the other node crosses over PostgreSQL (acknowledged there) and a NATS wake-up.
      await n2.send(id, { seq: 6 });
      let seqs: unknown = [];
      for (let i = 0; i < 100 && (seqs as number[]).length < 6; i++) seqs = await api.request(id, { type: "get" }, 10_000);
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
      n1.proc.kill("SIGKILL");
      await n1.exited;
      // n2 takes the tree over once n1's lease expired (1.5 s after its last heartbeat).
      for (let i = 0; i < 200 && n2.kernel.find(id) === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await leases.get(id)).toMatchObject({ owner: "n2", epoch: 2 });
      await n2.send(id, { seq: 7 });
      expect(await n2.request(id, { type: "get" }, { timeoutMs: 10_000 })).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      n1.proc.kill("SIGKILL");
      await n2.shutdown();
    }
  }, 20_000);

  it("tells a supervisor on one node that its child tree's daemon was killed with -9; the child goes on with its state", async () => {
    const { n1, n2, leases } = await daemonAndKernel("c4");
    const told: { agent?: string | undefined; data: unknown }[] = [];
    n2.kernel.events.subscribe({ types: ["agent.restarted"] }, (e) => void told.push(e));
    try {
      // The supervisor runs here (n2); its child is a tree of its own placed on the daemon (n1).
      const child = { name: "tally", kind: "code" as const, module: resolve("tests/cli/fixtures/tally.ts"), export: "tally", durable: true, placement: { tree: true, node: "n1" } };
      const sup = await n2.spawn({ name: "sup", kind: "supervisor", durable: true, supervision: { intensity: 3, periodMs: 60_000 }, children: [child] });
      const id = n2.kernel.find(sup)?.sup?.order[0] ?? "";
      for (let i = 0; i < 200 && (await leases.get(id))?.owner !== "n1"; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await leases.get(id)).toMatchObject({ owner: "n1" });
      for (let seq = 1; seq <= 3; seq++) await n2.send(id, { seq });
      let seqs: unknown = [];
      for (let i = 0; i < 100 && (seqs as number[]).length < 3; i++) seqs = await n2.request(id, { type: "get" }, { timeoutMs: 10_000 });
      expect(seqs).toEqual([1, 2, 3]);

      n1.proc.kill("SIGKILL");
      await n1.exited;
      // n2 takes the child's tree over after the TTL; at its next beat the supervisor is told, once.
      for (let i = 0; i < 200 && told.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(told).toEqual([expect.objectContaining({ agent: id, data: expect.objectContaining({ supervisor: sup, by: "takeover", node: "n1", newId: id }) })]);
      expect((await leases.get(id))?.owner).toBe("n2");
      // The same child, from its journal: no second spawn, its state kept.
      await n2.send(id, { seq: 4 });
      expect(await n2.request(id, { type: "get" }, { timeoutMs: 10_000 })).toEqual([1, 2, 3, 4]);
      expect(n2.kernel.find(sup)?.sup?.order).toEqual([id]);
      await new Promise((r) => setTimeout(r, 700)); // two more beats: told once
      expect(told).toHaveLength(1);
    } finally {
      n1.proc.kill("SIGKILL");
      await n2.shutdown();
    }
  }, 30_000);

  it("aios migrate and POST /v1/agents/:id/migrate move a live agent to another node with its state", async () => {
    const n1 = await startDaemon(join(db.dir, "c3n1"), ["--cluster", "c3", "--postgres", db.url, "--nats", db.nats.url, "--node", "n1"], { AIOS_CLUSTER_SECRET: TEST_SECRET });
    const n2 = await boot({
      stack: "bare", durable: true, logger: silentLogger,
      add: [clusterSubsystem({ postgres: db.url, nats: db.nats.url, secret: TEST_SECRET, config: { cluster: "c3", node: "n2" } })],
    });
    await n2.subsystems.cluster?.join();
    const leases = new LeaseTable(db.pool, "c3");
    try {
      const api = new HttpControl(`http://127.0.0.1:${n1.port}`, readFileSync(join(db.dir, "c3n1", "api-token"), "utf8").trim());
      const { id } = await api.spawn({ spec: { name: "tally", kind: "code", module: resolve("tests/cli/fixtures/tally.ts"), export: "tally", durable: true } });
      for (let seq = 1; seq <= 3; seq++) await api.send(id, { seq });
      expect(await api.request(id, { type: "get" }, 10_000)).toEqual([1, 2, 3]);
      // The route refuses a node that is not a live member, naming the field.
      await expect(api.migrate(id, "nowhere")).rejects.toMatchObject({ code: "E_INVALID_ARG" });
      const r = await cli(["--data-dir", join(db.dir, "c3n1"), "--json", "migrate", id, "n2"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ id, node: "n2", tree: id, epoch: 1 });
      // n2 is woken over NATS, takes the lease under epoch 2 and adopts the agent from the journal.
      for (let i = 0; i < 200 && n2.kernel.find(id) === undefined; i++) await new Promise((res) => setTimeout(res, 25));
      expect(await leases.get(id)).toMatchObject({ owner: "n2", epoch: 2 });
      await n2.send(id, { seq: 4 });
      expect(await n2.request(id, { type: "get" }, { timeoutMs: 10_000 })).toEqual([1, 2, 3, 4]);
      // Moved away: the daemon no longer runs it.
      await expect(api.migrate(id, "n2")).rejects.toMatchObject({ code: "E_NO_AGENT" });
    } finally {
      n1.proc.kill("SIGKILL");
      await n2.shutdown();
    }
  }, 20_000);

  it("refuses --cluster without --postgres or --nats, and cluster flags without --cluster, naming the flag", async () => {
    const cases: [string[], string][] = [
      [["up", "--cluster", "c1", "--nats", db.nats.url], "--postgres"],
      [["up", "--cluster", "c1", "--postgres", db.url], "--nats"],
      [["up", "--postgres", db.url], "--postgres"],
      // No AIOS_CLUSTER_SECRET in this process's environment: the mail between nodes could not be sealed.
      [["up", "--cluster", "c1", "--postgres", db.url, "--nats", db.nats.url], "AIOS_CLUSTER_SECRET"],
    ];
    for (const [args, flag] of cases) {
      const r = await cli(["--data-dir", join(db.dir, "bad"), "--json", ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "E_INVALID_ARG", details: { path: flag } } });
    }
    const r = await cli(["--json", "nodes", "--cluster", "c1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--postgres");
  }, 20_000);
});
