/**
 * One node of the fault suite, run as its own process (the harness kills it with -9, pauses it with
 * SIGSTOP, cuts its links to PostgreSQL and NATS through proxies and skews its clock):
 *   node --import tsx tests/cluster/fault/fault-node.ts <config-json>
 * A bare durable kernel with the cluster subsystem (real clock plus an offset the harness sets) and
 * one side-effecting tool, `fault.effect`, that POSTs to the harness's effect sink with the call's
 * idempotency key (the door's key, derived from agent and call sequence, stable across a takeover).
 *
 * The workload's agent, `worker`: for a letter `{ op, hop, next? }` it calls `fault.effect` (retrying
 * while the journal is unreachable), forwards `{ op, hop: 1 }` to `next` when hop is 0 (a replayable
 * send, across nodes when `next` lives elsewhere), and appends `op/hop` to its state.
 *
 * Control: one JSON command per stdin line, `{ rid, cmd: "spawn" | "supervise" | "send" | "get" | "skew", ... }`
 * ("supervise": a supervisor whose workers are child trees, placed across the nodes),
 * answered by `{ rid, ok, value? , error? }` on stdout; lease changes are reported as
 * `{ ev: "lease", tree, epoch, change }`; `{ ev: "ready" }` once joined.
 */
import { createInterface } from "node:readline";
import { z } from "zod";
import type { AgentLogic } from "../../../src/abi/index.js";
import { clusterSubsystem } from "../../../src/cluster/index.js";
import { RealClock, silentLogger, toAiosError, type AgentId, type Clock, type Logger, type TimerHandle } from "../../../src/core/index.js";
import { boot } from "../../../src/sdk/index.js";
import { ToolRegistry, defineTool, toolsSubsystem } from "../../../src/tools/index.js";

const Config = z.strictObject({
  cluster: z.string(),
  node: z.string(),
  postgres: z.string(),
  nats: z.string(),
  sink: z.string(),
  /** The cluster secret (docs/adr/0038): every node of one cluster shares it. */
  secret: z.string(),
  ttlMs: z.number().int(),
  heartbeatMs: z.number().int(),
});
const cfg = Config.parse(JSON.parse(process.argv[2] ?? "{}"));

/** The real clock moved by `offset` ms: the clock skew the harness injects (leases read now()). */
class SkewedClock implements Clock {
  offset = 0;
  private readonly real = new RealClock();
  now(): number {
    return this.real.now() + this.offset;
  }
  monotonic(): number {
    return this.real.monotonic();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.real.setTimeout(fn, ms);
  }
  clearTimeout(h: TimerHandle): void {
    this.real.clearTimeout(h);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.real.sleep(ms, signal);
  }
}
const clock = new SkewedClock();

function emit(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

const effect = defineTool({
  name: "fault.effect",
  description: "applies one logical effect at the harness's sink, under the call's idempotency key",
  input: z.strictObject({ effect: z.string() }),
  sideEffect: true,
  honoursKeys: true,
  requires: () => [],
  async execute(a, ctx) {
    const key = ctx.idempotencyKey;
    if (key === undefined) throw new Error("fault.effect needs an idempotency key");
    const r = await fetch(cfg.sink, { method: "POST", headers: { "idempotency-key": key, "content-type": "application/json" }, body: JSON.stringify({ effect: a.effect, node: cfg.node }) });
    if (!r.ok) throw new Error(`sink answered ${r.status}`);
    const answer: unknown = await r.json();
    return answer;
  },
});

interface Letter {
  readonly op: number;
  readonly hop: number;
  readonly next?: string;
}

const REFUSED: ReadonlySet<string> = new Set(["E_CAP_DENIED", "E_POLICY", "E_INVALID_ARG", "E_NO_TOOL"]);

const worker: AgentLogic<{ got: string[] }, unknown> = {
  init: () => ({ got: [] }),
  async receive(s, m, ctx) {
    if (typeof m === "object" && m !== null && (m as { type?: unknown }).type === "get") {
      ctx.reply(s.got);
      return s;
    }
    const { op, hop, next } = m as Letter;
    // The journal may be unreachable for a while (PostgreSQL restarting, a partition): retry; each
    // attempt is a new call (a new derived key) whose intent was not written, so it never ran.
    for (let attempt = 0; ; attempt++) {
      try {
        await ctx.sys.ToolCall({ tool: "fault.effect", args: { effect: `${ctx.self}/${op}/${hop}` } });
        break;
      } catch (e) {
        const err = toAiosError(e);
        // Not ours any more (fenced), or refused for good: the attempt ends here.
        if (err.details["reason"] === "fenced" || REFUSED.has(err.code) || attempt > 200) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (hop === 0 && next !== undefined) await ctx.send(next as AgentId, { op, hop: 1 });
    return { got: [...s.got, `${op}/${hop}`] };
  },
};

/** A boot or join waiting for PostgreSQL or NATS, to stderr (the harness shows it when a schedule fails). */
const logger: Logger = {
  ...silentLogger,
  warn: (o, msg) => {
    if ("down" in o) process.stderr.write(`${new Date().toISOString()} ${msg ?? ""}\n`);
  },
  child: () => logger,
};

const registry = new ToolRegistry();
registry.register(effect);
const os = await boot({
  stack: "bare",
  durable: true,
  logger,
  logics: { worker },
  add: [
    clusterSubsystem({
      postgres: cfg.postgres,
      nats: cfg.nats,
      secret: cfg.secret,
      clock,
      config: { cluster: cfg.cluster, node: cfg.node, ttlMs: cfg.ttlMs, heartbeatMs: cfg.heartbeatMs },
      onLease: (e) => emit({ ev: "lease", tree: e.tree, epoch: e.epoch, change: e.change }),
    }),
    toolsSubsystem({ registry, file: false, http: false, a2a: false, shell: false, browser: false, spawn: false, request: false }),
  ],
});
const svc = os.subsystems.cluster;
if (svc === undefined) throw new Error("no cluster service");
// Crashes and kernel errors go to stderr: the harness shows them when a schedule fails.
os.events.subscribe({ types: ["agent.crashed", "kernel.error"] }, (e) => {
  process.stderr.write(`${new Date().toISOString()} ${e.type} ${e.agent ?? ""} ${JSON.stringify(e.data)}\n`);
});
await svc.join();
emit({ ev: "ready" });

const Command = z.discriminatedUnion("cmd", [
  z.strictObject({ rid: z.number(), cmd: z.literal("spawn"), name: z.string() }),
  z.strictObject({ rid: z.number(), cmd: z.literal("supervise"), name: z.string(), children: z.number().int().min(1).max(10) }),
  z.strictObject({ rid: z.number(), cmd: z.literal("send"), to: z.string(), payload: z.unknown() }),
  z.strictObject({ rid: z.number(), cmd: z.literal("get"), to: z.string() }),
  z.strictObject({ rid: z.number(), cmd: z.literal("skew"), ms: z.number() }),
]);

const WORKER_CAPS = ["tool:fault.effect#call", "agent:*#send"];

async function run(c: z.infer<typeof Command>): Promise<unknown> {
  switch (c.cmd) {
    case "spawn":
      return os.spawn({ name: c.name, kind: "code", logic: "worker", capabilities: WORKER_CAPS });
    case "supervise":
      // A supervisor whose workers are child trees of their own (docs/adr/0048), placed by load.
      return os.spawn({
        name: c.name,
        kind: "supervisor",
        supervision: { strategy: "one_for_one", intensity: 100, periodMs: 60_000 },
        children: Array.from({ length: c.children }, (_, i) => ({ name: `${c.name}-c${i}`, kind: "code" as const, logic: "worker", capabilities: WORKER_CAPS, placement: { tree: true } })),
      });
    case "send":
      return os.send(c.to, c.payload);
    case "get":
      return os.request(c.to, { type: "get" }, { timeoutMs: 3_000 });
    case "skew":
      clock.offset = c.ms;
      return clock.offset;
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const c = Command.parse(JSON.parse(line));
  run(c).then(
    (value) => emit({ rid: c.rid, ok: true, value }),
    (e: unknown) => {
      const err = toAiosError(e);
      emit({ rid: c.rid, ok: false, error: { code: err.code, message: err.message } });
    },
  );
});
// The harness gone (its end of the pipe closed): leave, and never outlive it by more than 5 s.
process.stdin.on("end", () => {
  setTimeout(() => process.exit(1), 5_000).unref();
  void os.shutdown().finally(() => process.exit(0));
});
