/**
 * A cluster node as the in-process cluster tests run it: a bare, durable kernel with the cluster
 * subsystem on a simulated clock (heartbeat 1 s, lease TTL 3 s, beats driven by the test), joined
 * before it is returned. NATS, when given, carries the wake-ups; `changes` records every lease
 * change as `<change>:<epoch>`.
 */
import { clusterSubsystem, type ClusterConfigInput, type ClusterService } from "../../src/cluster/index.js";
import { silentLogger, type SimulatedClock } from "../../src/core/index.js";
import type { AgentLogic, AnySubsystem } from "../../src/abi/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { onTestFinished } from "vitest";

/** The cluster secret every in-process test node shares (docs/adr/0038). */
export const TEST_SECRET = "test-cluster-secret-0123456789abcdef";

/** Keeps every message it gets; every message (a "get" too) is answered with the list so far. */
export const keep: AgentLogic<{ got: unknown[] }, unknown> = {
  init: () => ({ got: [] }),
  receive: (s, m, ctx) => {
    const got = m === "get" ? s.got : [...s.got, m];
    ctx.reply(got);
    return { got };
  },
};

export interface TestNode {
  readonly os: Aios;
  readonly svc: ClusterService;
  readonly changes: string[];
}

export interface TestNodeOptions {
  readonly postgres: string;
  readonly nats?: string;
  readonly clock: SimulatedClock;
  readonly cluster: string;
  readonly node: string;
  readonly logics: Readonly<Record<string, AgentLogic>>;
  /** Letters that may wait in cluster_mail per recipient (default the config's). */
  readonly mailboxRows?: number;
  /** Node tags and capacity (placement), rebalancing settings. */
  readonly config?: Pick<ClusterConfigInput, "tags" | "capacity" | "placementSlack" | "rebalanceEveryMs" | "rebalanceThreshold" | "rebalanceMoves">;
  /** More subsystems after the cluster's (ipc/, an audit recorder). */
  readonly add?: readonly AnySubsystem[];
}

/** Pulls what waits for `n` now (a beat, not a wake-up) and lets its queued adoptions finish. */
export async function drain(n: Pick<TestNode, "svc">): Promise<void> {
  await n.svc.node()?.beat();
  await n.svc.settled();
}

export async function startNode(o: TestNodeOptions): Promise<TestNode> {
  const changes: string[] = [];
  const os = await boot({
    stack: "bare",
    durable: true,
    logger: silentLogger,
    logics: o.logics,
    add: [
      clusterSubsystem({
        postgres: o.postgres,
        secret: TEST_SECRET,
        ...(o.nats === undefined ? {} : { nats: o.nats }),
        config: { cluster: o.cluster, node: o.node, heartbeatMs: 1_000, ttlMs: 3_000, ...(o.mailboxRows === undefined ? {} : { mailboxRows: o.mailboxRows }), ...o.config },
        clock: o.clock,
        autoBeat: false,
        onLease: (e) => changes.push(`${e.change}:${e.epoch}`),
      }),
      ...(o.add ?? []),
    ],
  });
  const svc = os.subsystems.cluster;
  if (svc === undefined) throw new Error("no cluster service");
  await svc.join();
  return { os, svc, changes };
}

/**
 * Starts the nodes (in order) and shuts each down when the running test finishes, passed or failed
 * (vitest's onTestFinished, last started first): no try/finally per test. A node the test shut down
 * itself is shut down again, which does nothing.
 */
export async function withNodes<S extends readonly (() => Promise<Pick<TestNode, "os">>)[]>(...starts: S): Promise<{ -readonly [K in keyof S]: Awaited<ReturnType<S[K]>> }> {
  const nodes: Pick<TestNode, "os">[] = [];
  for (const start of starts) {
    const n = await start();
    nodes.push(n);
    onTestFinished(() => n.os.shutdown());
  }
  return nodes as { -readonly [K in keyof S]: Awaited<ReturnType<S[K]>> };
}
