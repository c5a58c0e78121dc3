/**
 * Issue #19.3 at the level a user meets it: a real `aios up` daemon, a durable agent whose mailbox
 * (capacity 2) is full because the agent is paused, 32 senders and 2 requesters parked on it through
 * the HTTP API, then SIGTERM. Every parked letter was journaled before its sender was parked, so
 * the shutdown answers the senders "accepted" (200) and the requesters "journaled, will be handled"
 * (202 E_DEFERRED) — never 422 E_AGENT_STOPPED. After a restart every letter is handled exactly once.
 * Before the fix all 34 parked callers got 422 E_AGENT_STOPPED.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { HttpControl } from "../../src/cli/client.js";
import { startDaemon } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-shutdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SENDERS = 32;
const REQUESTERS = 2;

function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e: unknown) => (isAiosError(e) ? e.code : String(e)),
  );
}

describe("aios up: SIGTERM with senders parked on a full durable mailbox (issue #19.3)", () => {
  it("answers every journaled letter as accepted and delivers each once after the restart", async () => {
    const data = join(dir, "data");
    const d = await startDaemon(data);
    const token = (): string => readFileSync(join(data, "api-token"), "utf8").trim();
    const api = new HttpControl(`http://127.0.0.1:${d.port}`, token());
    const { id } = await api.spawn({
      spec: { name: "tally", kind: "code", module: resolve("tests/cli/fixtures/tally.ts"), export: "tally", durable: true, mailbox: { capacity: 2, onFull: "wait" } },
    });
    await api.pause(id);
    // 2 letters fill the mailbox; everyone after them is parked (the daemon journals, then parks).
    const first = [await outcome(api.send(id, { seq: 1 })), await outcome(api.send(id, { seq: 2 }))];
    expect(first).toEqual(["ok", "ok"]);
    const sends = Array.from({ length: SENDERS }, (_, i) => outcome(api.send(id, { seq: 3 + i })));
    const requests = Array.from({ length: REQUESTERS }, (_, i) => outcome(api.request(id, { seq: 3 + SENDERS + i }, 60_000)));
    // Wait (on the daemon's own count, not a timer) until every caller is parked.
    for (;;) {
      const s = await api.status(id);
      if (s.waiting === SENDERS + REQUESTERS) break;
      expect(s.waiting).toBeLessThan(SENDERS + REQUESTERS);
    }
    d.proc.kill("SIGTERM");
    const sent = await Promise.all(sends);
    const asked = await Promise.all(requests);
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(sent).toEqual(Array.from({ length: SENDERS }, () => "ok"));
    expect(asked).toEqual(Array.from({ length: REQUESTERS }, () => "E_DEFERRED"));

    // After the restart the agent is still paused with every letter; resumed, it handles each once.
    const again = await startDaemon(data);
    try {
      const api2 = new HttpControl(`http://127.0.0.1:${again.port}`, token());
      await api2.resume(id);
      const seqs = (await api2.request(id, { type: "get" }, 60_000)) as number[];
      const total = 2 + SENDERS + REQUESTERS;
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    } finally {
      again.proc.kill("SIGTERM");
      await again.exited;
    }
  }, 120_000);
});
