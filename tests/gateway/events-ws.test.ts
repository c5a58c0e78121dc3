/**
 * Kernel events over WebSocket with a real ws client on loopback: the token in the Authorization
 * header or as the `bearer, <token>` subprotocols (never in the URL), the SSE route's filters, and
 * a client that stops reading dropped with close code 1013 instead of buffered without bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AnyKernelEvent } from "../../src/core/index.js";
import { ControlPlane, startGateway, type Gateway } from "../../src/gateway/index.js";
import { worker } from "../../examples/agents/worker.js";
import { startTestGateway, type TestGateway } from "./harness.js";

let t: TestGateway;
let small: Gateway;
let smallPlane: ControlPlane;

beforeAll(async () => {
  t = await startTestGateway({ logics: { worker } });
  smallPlane = new ControlPlane(t.os);
  small = await startGateway(smallPlane, { token: t.token, port: 0, maxWsBufferedBytes: 64 * 1024 });
});
afterAll(async () => {
  await small.close();
  smallPlane.close();
  await t.close();
});

const wsUrl = (gw: Gateway, q = ""): string => `ws://127.0.0.1:${gw.port}/v1/events/ws${q}`;

/** The HTTP status a refused handshake got. */
function refused(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options);
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("the handshake was accepted")));
    ws.on("error", () => undefined);
  });
}

function open(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
}

describe("events over WebSocket", () => {
  it("refuses a missing or wrong token and a token in the URL", async () => {
    expect(await refused(wsUrl(t.gw))).toBe(401);
    expect(await refused(wsUrl(t.gw), { headers: { authorization: "Bearer wrong" } })).toBe(401);
    expect(await refused(wsUrl(t.gw), {}, ["bearer", "wrong"])).toBe(401);
    expect(await refused(wsUrl(t.gw, `?token=${t.token}`))).toBe(400);
    expect(await refused(wsUrl(t.gw, "?minSeverity=loud"), { headers: { authorization: `Bearer ${t.token}` } })).toBe(400);
    expect(await refused(`ws://127.0.0.1:${t.gw.port}/v1/other`, { headers: { authorization: `Bearer ${t.token}` } })).toBe(404);
  });

  it("streams filtered events with the header token, and with the subprotocol token", async () => {
    const { id } = await t.plane.spawn({ spec: { name: "ws-watched", kind: "code", logic: "worker" } });
    for (const [label, connect] of [
      ["header", () => new WebSocket(wsUrl(t.gw, `?agent=${id}&types=agent.*`), { headers: { authorization: `Bearer ${t.token}` } })],
      ["subprotocol", () => new WebSocket(wsUrl(t.gw, `?agent=${id}&types=agent.*`), ["bearer", t.token])],
    ] as const) {
      const ws = connect();
      const seen: AnyKernelEvent[] = [];
      ws.on("message", (m: Buffer) => seen.push(JSON.parse(m.toString("utf8")) as AnyKernelEvent));
      await open(ws);
      if (label === "subprotocol") expect(ws.protocol).toBe("bearer");
      const paused = t.os.events.once("agent.transition", (e) => e.agent === id && e.data.to === "paused");
      await t.plane.pause(id);
      await paused;
      await t.plane.resume(id);
      while (!seen.some((e) => e.type === "agent.transition" && e.data.to === "running" && e.data.from === "paused")) await new Promise<void>((r) => ws.once("message", () => r()));
      expect(seen.every((e) => e.agent === id && e.type.startsWith("agent.")), label).toBe(true);
      expect(seen.map((e) => e.type), label).toContain("agent.spawned"); // recent events first
      expect(new Set(seen.map((e) => e.seq)).size, label).toBe(seen.length);
      ws.close();
    }
  });

  it("drops a client that stops reading with close code 1013", async () => {
    const ws = new WebSocket(wsUrl(small, "?types=approval.requested"), { headers: { authorization: `Bearer ${t.token}` } });
    await open(ws);
    const closed = new Promise<number>((r) => ws.once("close", (code: number) => r(code)));
    ws.pause();
    const reason = "x".repeat(8_192);
    // Far more than the loopback socket buffers hold, so the server's own queue must grow.
    for (let i = 0; i < 4_000; i++) t.os.kernel.events.emit("approval.requested", { id: `a${i}`, syscall: "Noop", rule: "r", reason, deadline: 0 });
    await new Promise<void>((r) => setImmediate(r));
    ws.resume();
    expect(await closed).toBe(1013);
  });
});
