/**
 * Wake-ups between nodes over NATS JetStream (docs/adr/0028). A wake-up says "look at PostgreSQL
 * now" — a node joined or left, released leases, or placed an agent on another node — so a takeover
 * or a placement happens at once instead of at the next heartbeat. It carries no state: a lost or
 * late wake-up costs at most one heartbeat period, never correctness (every decision is re-read from
 * PostgreSQL). That is why Debian's nats-server 2.9.10, which acknowledges before it syncs, is fine
 * here.
 *
 * Stream AIOS_<CLUSTER> holds subjects aios.<cluster>.wake.<target> (a node name, or "all") for
 * `maxAgeMs`, with a duplicate window: each wake-up has a Nats-Msg-Id, so a publish retried after a
 * lost ack is stored once. Each node reads with an ordered consumer from "new" (2.9 has no
 * multi-subject filters, so it filters the target itself); the client reconnects forever, and the
 * ordered consumer recreates itself after a server restart.
 */
import { jetstream, jetstreamManager, DeliverPolicy, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { AiosError } from "../core/index.js";

export const WakeSchema = z.object({
  /** mail: letters wait in cluster_mail for agents the target holds (docs/adr/0036). */
  kind: z.enum(["joined", "left", "released", "placed", "mail", "reply"]),
  from: z.string(),
  /** A node name, or "all". */
  to: z.string(),
  agents: z.array(z.string()).default([]),
});
export type Wake = z.output<typeof WakeSchema>;

export interface WakeBusOptions {
  readonly url: string;
  readonly cluster: string;
  readonly node: string;
  /** How long the stream keeps a wake-up (default 60 s): only nodes starting late care. */
  readonly maxAgeMs?: number;
  /** Told of a malformed message or a consumer failure (the bus keeps running). */
  readonly onError?: (e: AiosError) => void;
}

const ms = (n: number): number => n * 1_000_000; // JetStream durations are nanoseconds

/** nats.js errors (by name) that say the URL or its credentials are wrong, not that NATS is down. */
const CONFIG_ERRORS: ReadonlySet<string> = new Set(["AuthorizationError", "UserAuthenticationExpiredError", "InvalidArgumentError"]);

export function streamName(cluster: string): string {
  return `AIOS_${cluster.toUpperCase().replace(/-/g, "_")}`;
}

export class WakeBus {
  private seq = 0;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly o: WakeBusOptions,
  ) {}

  /** Connects and makes sure the stream exists (idempotent across nodes). */
  static async open(o: WakeBusOptions): Promise<WakeBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: o.url, name: `aios ${o.cluster}/${o.node}`, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    } catch (e) {
      // Credentials the server refuses, or a URL it cannot parse: waiting cannot help (boot-retry.ts).
      const name = e instanceof Error ? e.name : "";
      const why = e instanceof Error ? e.message : String(e);
      if (CONFIG_ERRORS.has(name) || (e as { code?: unknown }).code === "ERR_INVALID_URL") {
        throw new AiosError("E_CONFIG", `NATS at ${o.url}: ${why}: check --nats`, { cause: e, details: { path: "nats" } });
      }
      throw new AiosError("E_UNAVAILABLE", `cannot reach NATS at ${o.url}: ${why}`, { cause: e, details: { path: "nats" } });
    }
    try {
      const jsm = await jetstreamManager(nc);
      const name = streamName(o.cluster);
      const config = {
        name,
        subjects: [`aios.${o.cluster}.wake.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: ms(o.maxAgeMs ?? 60_000),
        duplicate_window: ms(Math.min(o.maxAgeMs ?? 60_000, 10_000)),
      };
      try {
        await jsm.streams.info(name);
      } catch {
        await jsm.streams.add(config);
      }
      return new WakeBus(nc, jetstream(nc), o);
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw new AiosError("E_UNAVAILABLE", `NATS at ${o.url} has no usable JetStream (run nats-server -js): ${e instanceof Error ? e.message : String(e)}`, { cause: e, details: { path: "nats" } });
    }
  }

  /** Publishes a wake-up and waits for the stream's ack (not durable: see the header). */
  async publish(kind: Wake["kind"], to: string, agents: readonly string[] = []): Promise<void> {
    const wake: Wake = { kind, from: this.o.node, to, agents: [...agents] };
    const msgID = `${this.o.node}:${process.pid}:${++this.seq}`;
    try {
      await this.js.publish(`aios.${this.o.cluster}.wake.${to}`, JSON.stringify(wake), { msgID });
    } catch (e) {
      throw new AiosError("E_UNAVAILABLE", `publishing a wake-up to ${to}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, details: { path: "nats" } });
    }
  }

  /** Calls `fn` for every wake-up addressed to this node or to all, published from now on. */
  async subscribe(fn: (w: Wake) => void): Promise<void> {
    if (this.messages !== undefined) throw new AiosError("E_CONFLICT", "the wake bus is already subscribed", { retryable: false });
    let messages: ConsumerMessages;
    try {
      const consumer = await this.js.consumers.get(streamName(this.o.cluster), {
        filter_subjects: `aios.${this.o.cluster}.wake.>`,
        deliver_policy: DeliverPolicy.New,
      });
      messages = await consumer.consume();
    } catch (e) {
      // NATS down or restarting: nothing was kept, so subscribing again later is safe (boot-retry.ts).
      throw new AiosError("E_UNAVAILABLE", `subscribing to wake-ups on NATS at ${this.o.url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, details: { path: "nats" } });
    }
    this.messages = messages;
    this.loop = (async () => {
      for await (const m of messages) {
        let wake: Wake;
        try {
          wake = WakeSchema.parse(m.json());
        } catch (e) {
          this.o.onError?.(new AiosError("E_INVALID_ARG", `malformed wake-up on ${m.subject}`, { cause: e, details: { path: m.subject } }));
          continue;
        }
        if (wake.to === this.o.node || wake.to === "all") fn(wake);
      }
    })().catch((e: unknown) => this.o.onError?.(new AiosError("E_UNAVAILABLE", "the wake-up consumer stopped", { cause: e })));
  }

  /** Stops consuming and drains the connection (pending publishes are flushed). */
  async close(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
