/**
 * An awaited durable send resolves only once its letter is committed (issue #18): on the default
 * stack, code agents relay with `await ctx.send(peer, msg)` to durable peers, and at the moment each
 * await resumes a fresh connection on the journal file already reads the letter's enqueue record and
 * the acknowledgement mark (fsynced before any append of its batch resolves, ADR 0010) covers it.
 * Many sends are in flight at once, so they share group commits on the writer thread (ADR 0037).
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import { boot } from "../../src/index.js";
import type { AgentContext, AgentLogic } from "../../src/abi/index.js";
import { FileAckMark } from "../../src/store/index.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const AGENTS = 40;
const CHECKS = 240;

describe("an awaited durable send", () => {
  it("resolves only after its enqueue record is committed and covered by the mark", async () => {
    const dir = tempDir();
    const os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { embedder: false, memory: false, mcp: false } });
    const ids: AgentId[] = [];
    const problems: string[] = [];
    let next = 0;
    let checked = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const db = new Database(join(dir, "journal", "aios.db"), { readonly: true });
    const find = db.prepare("SELECT seq FROM journal WHERE kind = 'enqueue' AND json_extract(body, '$.payload.n') = ?").pluck();
    const mark = new FileAckMark(join(dir, "journal", "journal.ack"));
    const logic: AgentLogic<number, { n: number }> = {
      init: (_ctx, args) => args as number,
      async receive(self, _msg, ctx: AgentContext) {
        if (checked >= CHECKS) return self;
        const n = ++next;
        await ctx.send(ids[(self * 7 + n) % AGENTS] as AgentId, { n });
        // Synchronously at resumption: nothing else has run on the journal's behalf since.
        const seq = find.get(n) as number | undefined;
        const m = mark.read();
        if (seq === undefined) problems.push(`send ${n}: resolved but its enqueue record is not in the file`);
        else if (m.state !== "ok" || m.point.seq < seq) problems.push(`send ${n}: resolved at seq ${seq} but the mark is ${JSON.stringify(m)}`);
        if (++checked === CHECKS) done();
        return self;
      },
    };
    for (let i = 0; i < AGENTS; i++) ids.push(await os.spawn({ name: `r${i}`, kind: "code", durable: true, logic, args: i, capabilities: ["agent:*#send"] }));
    // Several tokens per agent: sends overlap and share commits.
    await Promise.all(ids.flatMap((id) => [os.send(id, { n: 0 }), os.send(id, { n: 0 })]));
    await finished;
    db.close();
    await os.shutdown("test");
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(CHECKS);
  });
});
