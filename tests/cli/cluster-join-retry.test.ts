/**
 * A cluster node started while the cluster's PostgreSQL or nats-server is down (issue #16: in the
 * fault soak, a node restarted after its kill -9 in the middle of a PostgreSQL or nats-server restart
 * exited at boot): `aios up --cluster` as a child process waits, logging a warning per retry that
 * names what is down, and joins once the server is back; a kernel booted in-process with the cluster
 * subsystem does the same, and so does its join when PostgreSQL stops between boot and join; a
 * shutdown ends the wait. A configuration error (a role PostgreSQL refuses, a database that does not
 * exist, a NATS URL that does not parse) ends `aios up` at once with an error naming it.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RealClock, silentLogger, type Logger } from "../../src/core/index.js";
import { clusterSubsystem } from "../../src/cluster/index.js";
import { boot } from "../../src/sdk/index.js";
import { useClusterDb } from "../cluster/cluster-db.js";
import { TEST_SECRET } from "../cluster/node-fixture.js";
import { cli, cliInProcess, launchDaemon, type Launch } from "./helpers.js";

const db = useClusterDb("joinretry", { nats: true, dir: true });

interface NodesDoc {
  readonly nodes: readonly { node: string; live: boolean; state: string }[];
}

async function listNodes(cluster: string): Promise<NodesDoc> {
  const r = await cliInProcess(["--json", "nodes", "--cluster", cluster, "--postgres", db.url]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as NodesDoc;
}

/** Waits until `read()` contains `text` (or fails after `ms`, showing what it read). */
async function until(read: () => string, text: string, ms = 45_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} within ${ms} ms in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pino warning lines of a daemon's stderr that report a retry. */
function retries(stderr: string): { down: string; step: string; attempt: number; delayMs: number }[] {
  return stderr
    .split("\n")
    .filter((l) => l.includes('"down":'))
    .map((l) => JSON.parse(l) as { down: string; step: string; attempt: number; delayMs: number });
}

function up(name: string, cluster: string, urls: { postgres?: string; nats?: string } = {}): Launch {
  return launchDaemon(join(db.dir, name), ["--cluster", cluster, "--postgres", urls.postgres ?? db.url, "--nats", urls.nats ?? db.nats.url, "--node", name], { AIOS_CLUSTER_SECRET: TEST_SECRET });
}

async function stop(l: Launch): Promise<void> {
  l.proc.kill("SIGTERM");
  expect(await l.exited).toEqual({ code: 0, signal: null });
}

describe("a cluster node started while PostgreSQL or NATS is down", () => {
  it("aios up waits for PostgreSQL, warning what is down, and joins once it is started again", async () => {
    await db.pg.stop();
    const d = up("p1", "r1");
    try {
      await until(() => d.stderr(), '"down":"PostgreSQL"');
      await until(() => JSON.stringify(retries(d.stderr()).map((r) => r.attempt)), ",2");
      expect(d.proc.exitCode).toBe(null);
      const seen = retries(d.stderr());
      expect(seen[0]).toMatchObject({ down: "PostgreSQL", step: "migrating the cluster tables", attempt: 1 });
      // Capped exponential backoff: each wait at least the one before.
      for (let i = 1; i < seen.length; i++) expect(seen[i]?.delayMs).toBeGreaterThanOrEqual(seen[i - 1]?.delayMs ?? 0);
      await db.pg.start();
      await d.listening;
      expect((await listNodes("r1")).nodes).toMatchObject([{ node: "p1", live: true, state: "up" }]);
    } finally {
      if (!db.pg.running) await db.pg.start();
      await stop(d);
    }
  }, 90_000);

  it("aios up waits for nats-server, warning what is down, and joins once it is started again", async () => {
    await db.nats.kill9();
    const d = up("q1", "r2");
    try {
      await until(() => d.stderr(), '"down":"NATS"');
      expect(d.proc.exitCode).toBe(null);
      expect(retries(d.stderr())[0]).toMatchObject({ down: "NATS", step: "connecting to NATS", attempt: 1 });
      await db.nats.restart();
      await d.listening;
      expect((await listNodes("r2")).nodes).toMatchObject([{ node: "q1", live: true, state: "up" }]);
    } finally {
      if (!db.nats.running) await db.nats.restart();
      await stop(d);
    }
  }, 90_000);

  it("a kernel booted in-process waits for PostgreSQL at boot and at join, and a shutdown ends the wait", async () => {
    const warned: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warned.push(`${JSON.stringify(o)} ${msg ?? ""}`), child: () => logger };
    const node = (name: string): Parameters<typeof boot>[0] => ({
      stack: "bare", durable: true, logger,
      add: [clusterSubsystem({ postgres: db.url, nats: db.nats.url, secret: TEST_SECRET, clock: new RealClock(), config: { cluster: "r3", node: name } })],
    });
    await db.pg.stop();
    const booting = boot(node("k1"));
    try {
      await until(() => warned.join("\n"), "PostgreSQL unreachable (migrating the cluster tables)");
    } finally {
      await db.pg.start();
    }
    const k1 = await booting;
    try {
      // PostgreSQL stops between boot and join: the join waits for it too.
      await db.pg.stop();
      warned.length = 0;
      const joined = k1.subsystems.cluster?.join();
      try {
        await until(() => warned.join("\n"), "PostgreSQL unreachable (migrating the cluster tables)");
      } finally {
        await db.pg.start();
      }
      await joined;
      expect((await listNodes("r3")).nodes).toMatchObject([{ node: "k1", live: true }]);
    } finally {
      await k1.shutdown();
    }

    // A node shut down while its join waits: the join ends (E_UNAVAILABLE), the shutdown completes.
    const k2 = await boot(node("k2"));
    await db.pg.stop();
    try {
      warned.length = 0;
      const joined = k2.subsystems.cluster?.join();
      const failed = expect(joined).rejects.toMatchObject({ code: "E_UNAVAILABLE" });
      await until(() => warned.join("\n"), "PostgreSQL unreachable");
      await k2.shutdown();
      await failed;
    } finally {
      await db.pg.start();
    }
  }, 120_000);

  it("a configuration error ends aios up at once, naming it", async () => {
    const cases: [string, { postgres?: string; nats?: string }, string][] = [
      ["bad role", { postgres: db.url.replace("postgres@", "nobody@") }, "PostgreSQL refused the login"],
      ["no database", { postgres: db.pg.url("no_such_database") }, "PostgreSQL has no such database"],
      ["bad nats url", { nats: "nats://127.0.0.1:notaport" }, "check --nats"],
    ];
    for (const [name, urls, says] of cases) {
      const r = await cli(["--data-dir", join(db.dir, name.replace(/ /g, "-")), "--json", "up", "--port", "0", "--cluster", "r4", "--postgres", urls.postgres ?? db.url, "--nats", urls.nats ?? db.nats.url], { AIOS_CLUSTER_SECRET: TEST_SECRET });
      expect(r.code, `${name}: ${r.stderr}`).toBe(1);
      const out = JSON.parse(r.stdout) as { error?: { code: string; message: string } };
      expect(out.error, name).toMatchObject({ code: "E_CONFIG" });
      expect(out.error?.message, name).toContain(says);
      expect(retries(r.stderr), name).toEqual([]);
    }
  }, 120_000);
});
