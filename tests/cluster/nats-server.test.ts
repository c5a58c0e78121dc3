/**
 * The nats-server fixture (nats-server.ts) itself: a server whose store holds many streams comes
 * back after kill -9. Each stream restored logs two lines before "Server is ready"; the fixture once
 * looked for that line only in the first 20,000 characters of the log, so from ~100 streams on (the
 * fault soak's one stream per schedule) every restart timed out and every later schedule failed.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { startNats, type NatsServer } from "./nats-server.js";

let server: NatsServer | undefined;
afterAll(async () => {
  await server?.stop();
});

describe("the nats-server fixture", () => {
  it("restarts after kill -9 with a store of 150 streams, and keeps them", async () => {
    const s = (server = await startNats());
    const nc = await connect({ servers: s.url });
    const jsm = await jetstreamManager(nc);
    for (let i = 0; i < 150; i++) await jsm.streams.add({ name: `MANY_${i}`, subjects: [`many.${i}`] });
    await nc.close();
    await s.kill9();
    await s.restart();
    expect(s.running).toBe(true);
    const again = await connect({ servers: s.url });
    try {
      const names: string[] = [];
      for await (const n of (await jetstreamManager(again)).streams.names()) names.push(n);
      expect(names.length).toBe(150);
    } finally {
      await again.close();
    }
  }, 60_000);
});
