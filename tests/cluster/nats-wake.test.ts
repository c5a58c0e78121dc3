/**
 * The wake bus against a real nats-server -js (2.9.10): wake-ups reach the node they name and nodes
 * listening to "all", not others; a malformed message is reported, not fatal; after the server is
 * killed (-9) and restarted on the same store, the same connections deliver again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { WakeBus, type Wake } from "../../src/cluster/index.js";
import type { AiosError } from "../../src/core/index.js";
import { startNats, type NatsServer } from "./nats-server.js";

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.stop();
});

/** Collects wake-ups; `next()` resolves with the next one (or rejects after 5 s of real time). */
function inbox(): { got: Wake[]; fn: (w: Wake) => void; next: () => Promise<Wake> } {
  const got: Wake[] = [];
  const waiters: ((w: Wake) => void)[] = [];
  let read = 0;
  return {
    got,
    fn: (w) => {
      got.push(w);
      waiters.shift()?.(w);
    },
    next: () =>
      new Promise<Wake>((resolve, reject) => {
        const queued = got[read];
        if (queued !== undefined) {
          read++;
          resolve(queued);
          return;
        }
        const t = setTimeout(() => reject(new Error("no wake-up within 5 s")), 5_000);
        waiters.push((w) => {
          clearTimeout(t);
          read++;
          resolve(w);
        });
      }),
  };
}

describe("WakeBus on nats-server -js", () => {
  it("delivers wake-ups to the named node and to all, not to others; survives kill -9 of the server", async () => {
    const errors: AiosError[] = [];
    const a = await WakeBus.open({ url: nats.url, cluster: "c1", node: "a" });
    const b = await WakeBus.open({ url: nats.url, cluster: "c1", node: "b", onError: (e) => errors.push(e) });
    const c = await WakeBus.open({ url: nats.url, cluster: "c1", node: "c" });
    const ib = inbox();
    const ic = inbox();
    await b.subscribe(ib.fn);
    await c.subscribe(ic.fn);
    try {
      await a.publish("placed", "b", ["agent-1"]);
      expect(await ib.next()).toEqual({ kind: "placed", from: "a", to: "b", agents: ["agent-1"] });
      await a.publish("left", "all", ["x", "y"]);
      expect(await ib.next()).toMatchObject({ kind: "left", to: "all", agents: ["x", "y"] });
      expect(await ic.next()).toMatchObject({ kind: "left", to: "all" });
      // c saw only the broadcast, never b's wake-up.
      expect(ic.got.map((w) => w.to)).toEqual(["all"]);

      // A malformed message on the stream's subjects is reported and skipped.
      const raw = await connect({ servers: nats.url });
      await raw.request("aios.c1.wake.b", "not json", { timeout: 5_000 }).catch(() => undefined);
      await raw.close();
      await a.publish("released", "b", ["z"]);
      expect(await ib.next()).toMatchObject({ kind: "released", agents: ["z"] });
      expect(errors.map((e) => e.code)).toEqual(["E_INVALID_ARG"]);

      await nats.kill9();
      await nats.restart();
      // The client reconnects and the ordered consumer recreates itself: retry until the server is back.
      for (let i = 0; ; i++) {
        try {
          await a.publish("joined", "b", [`after-restart-${i}`]);
          break;
        } catch (e) {
          if (i > 40) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      const w = await ib.next();
      expect(w.kind).toBe("joined");
      expect(w.agents[0]).toMatch(/^after-restart-/);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  }, 20_000);

  it("refuses an unreachable server with E_UNAVAILABLE naming nats", async () => {
    await expect(WakeBus.open({ url: "nats://127.0.0.1:1", cluster: "c1", node: "a" })).rejects.toMatchObject({ code: "E_UNAVAILABLE", details: { path: "nats" } });
  });
});
