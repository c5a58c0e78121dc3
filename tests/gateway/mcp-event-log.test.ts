/**
 * The per-session SSE event log behind resumable MCP streams: a replay after an event id sends
 * exactly the later messages of that id's stream, in order, without priming events; other streams'
 * messages stay out; the log is bounded, and an id that fell out of it (or never existed) is
 * refused rather than answered with a partial replay.
 */
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SessionEventLog } from "../../src/gateway/index.js";

const note = (n: number): JSONRPCMessage => ({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: n } });

async function replay(log: SessionEventLog, id: string): Promise<[string, number][]> {
  const got: [string, number][] = [];
  await log.replayEventsAfter(id, { send: (eid, m) => Promise.resolve(void got.push([eid, (m as unknown as { params: { data: number } }).params.data])) });
  return got;
}

describe("SessionEventLog", () => {
  it("replays the later messages of the same stream only, skipping priming events", async () => {
    const log = new SessionEventLog();
    const prime = await log.storeEvent("a", {} as JSONRPCMessage);
    const a1 = await log.storeEvent("a", note(1));
    await log.storeEvent("b", note(100));
    const a2 = await log.storeEvent("a", note(2));
    expect(await log.getStreamIdForEventId(a1)).toBe("a");
    expect(await replay(log, prime)).toEqual([[a1, 1], [a2, 2]]);
    expect(await replay(log, a1)).toEqual([[a2, 2]]);
    expect(await replay(log, a2)).toEqual([]);
  });

  it("refuses an unknown, forged or expired id", async () => {
    const log = new SessionEventLog(3);
    const first = await log.storeEvent("a", note(1));
    for (let i = 2; i <= 4; i++) await log.storeEvent("a", note(i));
    expect(log.size).toBe(3);
    await expect(replay(log, first)).rejects.toThrow(/unknown or expired/);
    await expect(replay(log, "2.b")).rejects.toThrow(/unknown or expired/);
    await expect(replay(log, "nonsense")).rejects.toThrow(/unknown or expired/);
    expect(await log.getStreamIdForEventId(first)).toBeUndefined();
  });

  it("a replay after any retained id of a stream yields exactly that stream's later messages", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 40 }), fc.nat(), async (streams, pick) => {
        const log = new SessionEventLog(25);
        const ids: [string, string, number][] = [];
        for (const [i, s] of streams.entries()) ids.push([await log.storeEvent(s, note(i)), s, i]);
        const kept = ids.slice(-25);
        const [id, stream, n] = kept[pick % kept.length]!;
        const want = kept.filter(([, s, i]) => s === stream && i > n).map(([eid, , i]) => [eid, i]);
        expect(await replay(log, id)).toEqual(want);
      }),
    );
  });
});
