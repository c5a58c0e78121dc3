/**
 * Issue #19.2, second half: a loop of awaited `os.memory.store()` calls on the default stack must not
 * freeze the event loop. A store commits synchronously (better-sqlite3) and resolves through
 * microtasks only, so before the fix such a loop never let a timer, an I/O callback or the journal's
 * group commit run (measured: a 3,001 ms timer gap, one acknowledgement in 3 s). Now the write path
 * gives the event loop a turn after a few milliseconds of back-to-back writes. The assertions are
 * about order, not speed: a timer and a durable send started before the loop complete before it ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot } from "../../src/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("a loop of awaited memory writes", () => {
  it("lets timers and the journal's commits run while it writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-mem-yield-"));
    dirs.push(dir);
    const os = await boot({ dataDir: dir, subsystems: { embedder: false } });
    try {
      const id = await os.spawn({ name: "sink", kind: "code", logic: { receive: (s: null) => s }, durable: true });
      let timer = false;
      let acked = false;
      setTimeout(() => (timer = true), 0);
      // A durable send resolves only once the journal's group commit (an event-loop turn away) is durable.
      const send = Promise.resolve(os.send(id, { n: 1 })).then(() => (acked = true));
      let writes = 0;
      const LIMIT = 1_000;
      while (writes < LIMIT && !(timer && acked)) {
        await os.memory.store({ type: "semantic_fact", content: { subject: `s${writes}`, predicate: "is", object: "x" } });
        writes++;
      }
      await send;
      expect(timer).toBe(true);
      expect(acked).toBe(true);
      // Both happened while the loop still ran: it stopped early instead of writing all 1,000.
      expect(writes).toBeLessThan(LIMIT);
    } finally {
      await os.shutdown("test");
    }
  }, 120_000);
});
