/**
 * The fault suite's harness (issue #16 item 7): three nodes as child processes (fault-node.ts), each
 * in a network namespace of its own whose links to PostgreSQL and NATS the kernel cuts (netns.ts: the
 * partitions), or where namespaces are not allowed, reaching them through TCP proxies that cut the
 * connections themselves (tcp-proxy.ts); a durable
 * workload of worker agents spread over the nodes that forward to each other across nodes and call a
 * side-effecting tool (effect-sink.ts), and a seeded schedule of faults (schedule.ts) applied while
 * the workload runs: kill -9 (and restart), SIGSTOP/SIGCONT, partitions from PostgreSQL and/or NATS
 * (held or reset), PostgreSQL stopped or crashed and started again, nats-server killed and started
 * again, clock skew. Then everything heals, the harness waits until the acknowledged work is done, and
 * the checker (checker.ts) judges the history. Failover times (fault to the last of the victim's
 * trees acquired elsewhere) are measured for kills and pauses past the TTL.
 *
 * No vitest here: tests/cluster/fault-suite.test.ts runs a few schedules in CI, scripts/fault-soak.ts
 * runs hundreds. One Env (PostgreSQL, nats-server, the sink) serves many schedules; each schedule is
 * its own cluster (tables are keyed by cluster name) with fresh node processes.
 */
import { openClusterPool, type ClusterPool } from "../../../src/cluster/index.js";
import { startPostgres, type PgServer } from "../../helpers/postgres-server.js";
import { startNats, type NatsServer } from "../nats-server.js";
import { check, ok, type History, type SendRecord, type Verdict } from "./checker.js";
import { startSink, type EffectSink } from "./effect-sink.js";
import { NodeProc, type LeaseEvent } from "./node-proc.js";
import { describeFault, generate, rng, type Fault, type FaultKind, type Step } from "./schedule.js";
import { netnsUsable, nodeNet, removeStale } from "./netns.js";
import { startProxy, type ProxyMode } from "./tcp-proxy.js";

export interface Env {
  readonly pg: PgServer;
  readonly nats: NatsServer;
  readonly sink: EffectSink;
  /** The database the schedules share (one cluster name per schedule). */
  readonly database: string;
  /** Lease TTL of the nodes (ms). */
  readonly ttlMs: number;
  /** How partitions are made: in the kernel between network namespaces, or by TCP proxies on loopback. */
  readonly net: "netns" | "proxy";
  close(): Promise<void>;
}

/** `net`: "proxy" forces the proxies; by default namespaces where the machine allows them. */
export async function startEnv(ttlMs = 1_000, net?: "netns" | "proxy"): Promise<Env> {
  const chosen = net ?? ((await netnsUsable()) ? "netns" : "proxy");
  // A harness killed mid-run left its namespaces behind: remove them before making new ones.
  if (chosen === "netns") await removeStale();
  // A node cut off mid-transaction (blackhole) holds its row locks until PostgreSQL ends its session:
  // without this timeout the others' takeovers of its leases would wait for the partition to heal.
  // docs/cluster.md recommends the same setting in production.
  const settings = { idle_in_transaction_session_timeout: String(ttlMs) };
  const [pg, nats, sink] = await Promise.all([startPostgres({ settings }), startNats(), startSink()]);
  const url = await pg.createDatabase("fault");
  const database = new URL(url).pathname.slice(1);
  return {
    pg,
    nats,
    sink,
    database,
    ttlMs,
    net: chosen,
    async close() {
      await sink.close();
      await nats.stop();
      await pg.dispose();
    },
  };
}

export interface RunOptions {
  readonly nodes?: number;
  readonly workers?: number;
  readonly faults?: number;
  readonly spanMs?: number;
  /** Concurrent senders of the workload. */
  readonly senders?: number;
  /** Longest wait for the acknowledged work after healing. */
  readonly settleMs?: number;
  readonly log?: (line: string) => void;
  /** Fault kinds the schedule draws from (default all). */
  readonly kinds?: readonly FaultKind[];
  /**
   * Supervised workers: the workers are the children of two supervisors (one on each of the first two
   * nodes), each a child tree of its own placed by load (docs/adr/0048); the checker then also wants
   * exactly one live child per slot and both supervisors live at the end.
   */
  readonly trees?: boolean;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly steps: readonly string[];
  readonly sends: number;
  readonly acked: number;
  readonly verdict: Verdict;
  readonly ok: boolean;
  /** Failover times in ms (fault to the victim's last tree acquired elsewhere). */
  readonly failovers: readonly number[];
  /**
   * The failovers no other fault overlapped (from the victim's fault to the takeover: no PostgreSQL
   * or NATS down, no other node paused, killed or skewed): how soon the cluster takes a dead node's
   * trees over when the rest of it is healthy, the figure issue #16 bounds by 2 x the TTL.
   */
  readonly isolatedFailovers: readonly number[];
  /**
   * The failovers PostgreSQL stayed up through (no restart or crash of it overlapped; other node
   * faults, NATS restarts and skews may have): leases live in PostgreSQL, so while it is down no
   * node can take anything over, and such a failover measures the outage, not the cluster.
   */
  readonly pgUpFailovers: readonly number[];
  readonly ms: number;
}

/** One node's ways to PostgreSQL, NATS and the sink, and the cut of the first two. */
interface Link {
  readonly pg: { readonly host: string; readonly port: number };
  readonly nats: { readonly host: string; readonly port: number };
  readonly sink: string;
  /** The node's network namespace (netns mode). */
  readonly ns?: string;
  cut(target: "pg" | "nats", mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

async function openLink(env: Env): Promise<Link> {
  const sinkPort = Number(new URL(env.sink.url).port);
  if (env.net === "netns") {
    const net = await nodeNet({ pg: env.pg.port, nats: env.nats.port, sink: sinkPort });
    const sink = net.endpoint("sink");
    return {
      pg: net.endpoint("pg"),
      nats: net.endpoint("nats"),
      sink: `http://${sink.host}:${sink.port}${new URL(env.sink.url).pathname}`,
      ns: net.ns,
      cut: (t, mode) => net.set(t, mode),
      close: () => net.close(),
    };
  }
  const pg = await startProxy(env.pg.port);
  const nats = await startProxy(env.nats.port);
  return {
    pg: { host: "127.0.0.1", port: pg.port },
    nats: { host: "127.0.0.1", port: nats.port },
    sink: env.sink.url,
    cut: (t, mode) => {
      (t === "pg" ? pg : nats).set(mode);
      return Promise.resolve();
    },
    async close() {
      await pg.close();
      await nats.close();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runSchedule(env: Env, seed: number, o: RunOptions = {}): Promise<ScheduleResult> {
  const t0 = performance.now();
  const n = o.nodes ?? 3;
  const ttlMs = env.ttlMs;
  const spanMs = o.spanMs ?? 6_000;
  const steps = generate(seed, { nodes: n, faults: o.faults ?? 3, spanMs, ttlMs, ...(o.kinds === undefined ? {} : { kinds: o.kinds }) });
  const r = rng(seed ^ 0x5eed);
  const log = o.log ?? (() => undefined);
  const cluster = `fs${seed}`;
  env.sink.reset();
  // A previous schedule that failed half-way may have left a server down.
  if (!env.pg.running) await env.pg.start();
  if (!env.nats.running) await env.nats.restart();

  const links: Link[] = [];
  for (let i = 0; i < n; i++) links.push(await openLink(env));
  const events: LeaseEvent[] = [];
  const owner = new Map<string, string>();
  const onLease = (e: LeaseEvent): void => {
    events.push(e);
    log(`  lease ${e.tree}@${e.epoch} ${e.change} on ${e.node}`);
    if (e.change === "acquired") owner.set(e.tree, e.node);
    else if (owner.get(e.tree) === e.node) owner.delete(e.tree);
  };
  const nodes = links.map(
    (l, i) =>
      new NodeProc(
        {
          cluster,
          node: `n${i + 1}`,
          postgres: `postgres://postgres@${l.pg.host}:${l.pg.port}/${env.database}`,
          nats: `nats://${l.nats.host}:${l.nats.port}`,
          sink: l.sink,
          secret: `fault-suite-secret-${cluster}-0123456789abcdef`,
          ttlMs,
          heartbeatMs: Math.max(50, Math.floor(ttlMs / 5)),
        },
        onLease,
        l.ns,
      ),
  );
  let pool: ClusterPool | undefined;
  try {
    await Promise.all(nodes.map((x) => x.start()));
    pool = openClusterPool({ url: env.pg.url(env.database), onError: () => undefined });
    // Workers: spread over the nodes (each a tree on its spawning node's lease), or supervised.
    const workers: string[] = [];
    const supervisors: string[] = [];
    if (o.trees === true) {
      const per = Math.ceil((o.workers ?? 6) / 2);
      for (let i = 0; i < 2; i++) {
        const a = await nodes[i % n]?.call({ cmd: "supervise", name: `s${i}`, children: per }, 10_000);
        if (a?.ok !== true || typeof a.value !== "string") throw new Error(`spawn of supervisor s${i} failed: ${JSON.stringify(a?.error)}`);
        supervisors.push(a.value);
        workers.push(...(await childrenOf(pool, cluster, a.value)).map((c) => c.agent));
      }
    } else {
      for (let i = 0; i < (o.workers ?? 6); i++) {
        const node = nodes[i % n];
        const a = await node?.call({ cmd: "spawn", name: `w${i}` }, 10_000);
        if (a?.ok !== true || typeof a.value !== "string") throw new Error(`spawn of w${i} failed: ${JSON.stringify(a?.error)}`);
        workers.push(a.value);
      }
    }

    // The workload and the faults, together.
    const sends: SendRecord[] = [];
    const outages: Outage[] = [];
    const spans: FaultSpan[] = [];
    const faults: Faults = { nodes, links, env, owner, outages, busy: new Set() };
    let op = 0;
    const start = performance.now();
    const end = start + spanMs;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const sender = async (): Promise<void> => {
      while (performance.now() < end) {
        const to = pick(workers);
        const next = pick(workers.filter((w) => w !== to));
        const up = nodes.filter((x) => x.running && !x.paused);
        const via = up.length > 0 ? pick(up) : pick(nodes);
        const mine = ++op;
        const a = await via.call({ cmd: "send", to, payload: { op: mine, hop: 0, next } }, 2_000);
        sends.push({ op: mine, to, next, acked: a.ok });
        await sleep(Math.floor(r() * 20));
      }
    };
    const inject = async (s: Step): Promise<void> => {
      await sleep(Math.max(0, start + s.at - performance.now()));
      log(`  +${Math.round(performance.now() - start)} ms ${describeFault(s.fault)}`);
      const span = { from: performance.now(), to: Infinity, kind: s.fault.kind };
      spans.push(span);
      await apply(s.fault, faults, span);
      span.to = performance.now();
    };
    await Promise.all([...Array.from({ length: o.senders ?? 4 }, () => sender()), ...steps.map((s) => inject(s))]);

    // Heal: every node up and resumed, links up, PostgreSQL and NATS running, clocks true.
    await heal(nodes, links, env);
    const states = await settle(nodes, workers, sends, env.sink, pool, cluster, o.settleMs ?? 30_000, log);
    for (const x of nodes) if (x.log() !== "") log(`  ${x.name} stderr:\n${x.log().slice(-3_000)}`);
    log(`  states: ${workers.map((w) => `${w}=${states.get(w)?.length ?? "none"}`).join(" ")}`);
    const journal = new Map<string, number[]>();
    const rows = await pool.query("SELECT agent, epoch FROM cluster_journal WHERE cluster = $1 ORDER BY agent, seq", [cluster]);
    for (const row of rows.rows) {
      const tree = String(row["agent"]);
      journal.set(tree, [...(journal.get(tree) ?? []), Number(row["epoch"])]);
    }
    const slots = new Map<string, number>();
    const live = new Map<string, boolean>();
    for (const sup of supervisors) {
      for (const c of await childrenOf(pool, cluster, sup)) slots.set(`${sup}/${c.slot}`, (slots.get(`${sup}/${c.slot}`) ?? 0) + (c.ended ? 0 : 1));
      const r = await pool.query("SELECT ended FROM cluster_agents WHERE cluster = $1 AND agent = $2", [cluster, sup]);
      live.set(sup, r.rows[0]?.["ended"] === false);
    }
    if (supervisors.length > 0) log(`  slots: ${[...slots].map(([k, v]) => `${k}=${v}`).join(" ")}`);
    const history: History = {
      sends,
      states,
      executions: [...env.sink.executions],
      journal,
      acquisitions: events.filter((e) => e.change === "acquired"),
      ...(supervisors.length > 0 ? { slots, supervisors: live } : {}),
    };
    const verdict = check(history);
    for (const d of verdict.duplicated) {
      // Where the two copies came from: the recipient's enqueue rows and cluster_mail rows for that op.
      const [agent = "", entry = ""] = d.split(" ");
      const op = entry.split("/")[0] ?? "";
      const j = await pool.query("SELECT j.agent AS tree, j.seq, j.epoch, j.body FROM cluster_journal j WHERE j.cluster = $1 AND j.kind = 'enqueue' AND j.body LIKE $2 AND j.body LIKE $3", [cluster, `%"to":"${agent}"%`, `%"op":${op},%`]);
      for (const row of j.rows) log(`  dup ${d}: journal ${String(row["tree"])}#${String(row["seq"])}@${String(row["epoch"])} ${String(row["body"])}`);
      const m = await pool.query("SELECT n, dedup, taken, body FROM cluster_mail WHERE cluster = $1 AND agent = $2 AND body LIKE $3", [cluster, agent, `%"op":${op},%`]);
      for (const row of m.rows) log(`  dup ${d}: mail #${String(row["n"])} ${String(row["dedup"])} taken=${String(row["taken"])} ${String(row["body"])}`);
    }
    // An effect under two keys or missing: the agent's journal (tree rows naming it) and its executions, in order.
    for (const agent of new Set([...verdict.dupEffects, ...verdict.missingEffects].map((e) => e.split("/")[0] ?? ""))) {
      const j = await pool.query("SELECT agent AS tree, seq, epoch, kind, body FROM cluster_journal WHERE cluster = $1 AND (agent = $2 OR body LIKE $3) ORDER BY agent, seq", [cluster, agent, `%${agent}%`]);
      for (const row of j.rows) log(`  effects of ${agent}: journal ${String(row["tree"])}#${String(row["seq"])}@${String(row["epoch"])} ${String(row["kind"])} ${String(row["body"]).slice(0, 240)}`);
      for (const x of env.sink.executions) if (x.effect.startsWith(`${agent}/`)) log(`  effects of ${agent}: executed ${x.effect} key ${x.key} on ${x.node}${x.applied ? "" : " (repeat)"}`);
    }
    const failovers = failoverTimes(outages, events);
    const byKey = new Map<string, string[]>();
    for (const x of env.sink.executions) byKey.set(x.key, [...(byKey.get(x.key) ?? []), `${x.effect}@${x.node}`]);
    for (const [k, xs] of byKey) if (xs.length > 1) log(`  key ${k} executed ${xs.length} times: ${xs.join(", ")}`);
    return {
      seed,
      steps: steps.map((s) => `+${s.at} ms ${describeFault(s.fault)}`),
      sends: sends.length,
      acked: sends.filter((s) => s.acked).length,
      verdict,
      ok: ok(verdict),
      failovers: failovers.map((f) => f.ms),
      isolatedFailovers: failovers.filter((f) => overlapping(spans, f).length === 0).map((f) => f.ms),
      pgUpFailovers: failovers.filter((f) => !overlapping(spans, f).some((x) => x.kind === "pg-restart")).map((f) => f.ms),
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    await Promise.all(nodes.map((x) => x.kill9()));
    await pool?.end().catch(() => undefined);
    for (const l of links) await l.close();
  }
}

/** A supervisor's child trees in link order (cluster_agents, docs/adr/0048): id, slot, ended. */
async function childrenOf(pool: ClusterPool, cluster: string, sup: string): Promise<{ agent: string; slot: number; ended: boolean }[]> {
  const r = await pool.query("SELECT agent, slot, ended FROM cluster_agents WHERE cluster = $1 AND supervisor = $2 ORDER BY link", [cluster, sup]);
  return r.rows.map((row) => ({ agent: String(row["agent"]), slot: Number(row["slot"]), ended: row["ended"] === true }));
}

/** A node fault whose failover is measured once the run is over. */
interface Outage {
  readonly victim: string;
  readonly from: number;
  readonly trees: readonly string[];
  /** The fault's own span (other faults overlapping the failover make it not isolated). */
  readonly span: FaultSpan;
}

/** When a fault was in force: from its start until it was undone. */
interface FaultSpan {
  readonly from: number;
  to: number;
  readonly kind: FaultKind;
}

/** The other faults in force at some time during a failover (from its fault to the takeover). */
function overlapping(spans: readonly FaultSpan[], f: { outage: Outage; ms: number }): FaultSpan[] {
  return spans.filter((x) => x !== f.outage.span && x.from < f.outage.from + f.ms && x.to > f.outage.from);
}

/** Per run: which shared servers a fault is restarting now (an overlapping restart of one is skipped). */
interface Faults {
  readonly nodes: NodeProc[];
  readonly links: Link[];
  readonly env: Env;
  readonly owner: ReadonlyMap<string, string>;
  readonly outages: Outage[];
  readonly busy: Set<"pg" | "nats">;
}

/** Applies one fault for its duration, then undoes it. */
async function apply(f: Fault, x: Faults, span: FaultSpan): Promise<void> {
  const victim = "node" in f ? x.nodes[f.node] : undefined;
  const outage = (): void => {
    const name = victim?.name ?? "";
    x.outages.push({ victim: name, from: performance.now(), trees: [...x.owner].filter(([, o]) => o === name).map(([t]) => t), span });
  };
  switch (f.kind) {
    case "kill":
      if (victim === undefined || !victim.running || victim.paused || victim.starting) return;
      outage();
      await victim.kill9();
      await sleep(f.downMs);
      await victim.start();
      return;
    case "pause":
      if (victim === undefined || !victim.running || victim.paused || victim.starting) return;
      if (f.ms > x.env.ttlMs * 1.2) outage();
      victim.signal("SIGSTOP");
      await sleep(f.ms);
      victim.signal("SIGCONT");
      return;
    case "partition": {
      const l = x.links[f.node];
      if (l === undefined) return;
      const cut: ("pg" | "nats")[] = f.link === "both" ? ["pg", "nats"] : [f.link];
      await Promise.all(cut.map((t) => l.cut(t, f.mode)));
      await sleep(f.ms);
      await Promise.all(cut.map((t) => l.cut(t, "up")));
      return;
    }
    case "pg-restart":
      if (x.busy.has("pg")) return;
      x.busy.add("pg");
      try {
        if (f.crash) await x.env.pg.kill();
        else await x.env.pg.stop();
        await sleep(f.downMs);
        await x.env.pg.start();
      } finally {
        x.busy.delete("pg");
      }
      return;
    case "nats-restart":
      if (x.busy.has("nats")) return;
      x.busy.add("nats");
      try {
        await x.env.nats.kill9();
        await sleep(f.downMs);
        await x.env.nats.restart();
      } finally {
        x.busy.delete("nats");
      }
      return;
    case "skew":
      if (victim === undefined) return;
      await victim.call({ cmd: "skew", ms: f.ms }, 2_000);
      await sleep(f.forMs);
      await victim.call({ cmd: "skew", ms: 0 }, 2_000);
      return;
  }
}

/** Failover of each outage: until the last of the victim's trees was acquired by another node. */
function failoverTimes(outages: readonly Outage[], events: readonly LeaseEvent[]): { outage: Outage; ms: number }[] {
  const out: { outage: Outage; ms: number }[] = [];
  for (const o of outages) {
    if (o.trees.length === 0) continue;
    let worst = 0;
    let all = true;
    for (const t of o.trees) {
      const got = events.find((e) => e.tree === t && e.change === "acquired" && e.node !== o.victim && e.at >= o.from);
      if (got === undefined) all = false;
      else worst = Math.max(worst, got.at - o.from);
    }
    // A tree its own node took back first (restarted, or resumed in time) is no failover.
    if (all) out.push({ outage: o, ms: Math.round(worst) });
  }
  return out;
}

async function heal(nodes: NodeProc[], links: Link[], env: Env): Promise<void> {
  for (const l of links) await Promise.all([l.cut("pg", "up"), l.cut("nats", "up")]);
  if (!env.pg.running) await env.pg.start();
  if (!env.nats.running) await env.nats.restart();
  for (const x of nodes) {
    if (x.paused) x.signal("SIGCONT");
    if (!x.running) await x.start();
    await x.call({ cmd: "skew", ms: 0 }, 5_000);
  }
}

/**
 * Waits until every acknowledged letter (and the forward it causes), and every letter whose effect the
 * sink saw, is in its recipient's state, or `ms` passed; returns the last states read (each from its
 * tree's current owner). What is still missing then is a violation.
 *
 * Settled means quiet too: no letter waits untaken in cluster_mail, and two reads a second apart saw
 * the same states and no new execution. A send the harness gave up on (its call timed out) may still
 * be under way in its node, or wait in cluster_mail for its owner's next pull; read too early, its
 * effect came after the states were taken, and the checker called it an orphan (seed 10215).
 */
async function settle(nodes: NodeProc[], workers: readonly string[], sends: readonly SendRecord[], sink: EffectSink, pool: ClusterPool, cluster: string, ms: number, log: (l: string) => void): Promise<Map<string, string[]>> {
  const states = new Map<string, string[]>();
  const want = new Map<string, Set<string>>(workers.map((w) => [w, new Set<string>()]));
  for (const s of sends) {
    if (!s.acked) continue;
    want.get(s.to)?.add(`${s.op}/0`);
    want.get(s.next)?.add(`${s.op}/1`);
  }
  const deadline = performance.now() + ms;
  const last = new Map<string, unknown>();
  let quietSince: { at: number; executions: number; states: string } | undefined;
  for (;;) {
    let done = true;
    last.clear();
    const owners = new Map<string, string | null>();
    try {
      const rows = await pool.query("SELECT agent, owner FROM cluster_leases WHERE cluster = $1", [cluster]);
      for (const row of rows.rows) {
        const o = row["owner"];
        owners.set(String(row["agent"]), typeof o === "string" ? o : null);
      }
      const open = await pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = $1 AND NOT taken", [cluster]);
      if (Number(open.rows[0]?.["n"]) > 0) done = false;
    } catch {
      done = false;
    }
    for (const w of workers) {
      const node = nodes.find((x) => x.name === owners.get(w));
      const a = node === undefined ? undefined : await node.call({ cmd: "get", to: w }, 5_000);
      if (a?.ok === true && Array.isArray(a.value)) states.set(w, a.value.map(String));
      else last.set(w, a?.error ?? { code: "no owner", message: String(owners.get(w)) });
      const got = new Set(states.get(w) ?? []);
      if (a?.ok !== true || [...(want.get(w) ?? [])].some((e) => !got.has(e))) done = false;
    }
    // An effect applied for a letter still being handled (sent but not acknowledged): wait for its state.
    for (const x of sink.executions) {
      const [agent = "", op = "", hop = ""] = x.effect.split("/");
      if (states.get(agent)?.includes(`${op}/${hop}`) !== true) done = false;
    }
    // Unacknowledged letters that were handled cause forwards too: wait for those as well.
    for (const s of sends) {
      if (!s.acked && states.get(s.to)?.includes(`${s.op}/0`) === true && states.get(s.next)?.includes(`${s.op}/1`) !== true) done = false;
    }
    if (done) {
      // Quiet: the same states and executions as a read at least a second ago.
      const now = { at: performance.now(), executions: sink.executions.length, states: JSON.stringify([...states]) };
      if (quietSince === undefined || quietSince.executions !== now.executions || quietSince.states !== now.states) {
        quietSince = now;
        done = false;
      } else if (now.at - quietSince.at < 1_000) done = false;
    } else quietSince = undefined;
    if (done || performance.now() > deadline) {
      if (!done) {
        log(`  not settled: owners ${JSON.stringify([...owners])}; failed reads ${JSON.stringify([...last])}`);
        for (const x of nodes) log(`  ${x.name} stderr:\n${x.log().slice(-3_000)}`);
      }
      return states;
    }
    await sleep(200);
  }
}
