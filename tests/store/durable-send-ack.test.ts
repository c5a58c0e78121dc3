/**
 * When an awaited send to a durable agent resolves (issue #18, ADR 0053), on the default stack with
 * real SQLite files, checked at the moment each await resumes through a fresh connection on the
 * journal file and the acknowledgement mark (fsynced before any append of its batch resolves):
 * - from an agent no journal keeps (ephemeral): only once the letter's enqueue record is committed
 *   and the mark covers it — the send's resolution is that agent's acknowledgement. A letter its
 *   durable recipient handled before the batch was written is stored as the handled record that
 *   took it (its enqueue record superseded in the same transaction, ADR 0071): the sinks keep each
 *   letter's number as their state, so their handled record names it;
 * - from a durable agent: at once, while the letter commits (the sender's own later records follow
 *   it in the journal's one ordered queue), and the reply it makes afterwards — an output — leaves
 *   only once the letter is on disk.
 * Many sends are in flight at once, so they share group commits on the writer thread (ADR 0037).
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/index.js";
import type { AgentContext, AgentLogic } from "../../src/abi/index.js";
import { FileAckMark } from "../../src/store/index.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const AGENTS = 40;
const CHECKS = 240;
const FORWARDED = 100_000;

interface Disk {
  readonly os: Aios;
  /**
   * The seq of the record that makes the letter carrying payload `{ n }` durable, if it is in the file
   * now: its enqueue record, or the sink's handled record for it (checkpoint `{ n }`) when the batch
   * that carried both left the enqueue record out (ADR 0071).
   */
  stored(n: number): number | undefined;
  /** The seq the acknowledgement mark covers now (-1: none readable). */
  marked(): number;
  close(): Promise<void>;
}

async function bootDisk(): Promise<Disk> {
  const dir = tempDir();
  const os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { embedder: false, memory: false, mcp: false } });
  const db = new Database(join(dir, "journal", "aios.db"), { readonly: true });
  const find = db.prepare("SELECT MIN(seq) FROM journal WHERE (kind = 'enqueue' AND json_extract(body, '$.payload.n') = @n) OR (kind = 'handled' AND json_extract(body, '$.checkpoint.n') = @n)").pluck();
  const mark = new FileAckMark(join(dir, "journal", "journal.ack"));
  return {
    os,
    stored: (n) => (find.get({ n }) as number | null) ?? undefined,
    marked: () => {
      const m = mark.read();
      return m.state === "ok" ? m.point.seq : -1;
    },
    close: async () => {
      db.close();
      await os.shutdown("test");
    },
  };
}

/** Keeps the number of the last letter it handled: its handled record names the letter. */
const sink: AgentLogic<{ n: number } | null, { n: number }> = { init: () => null, receive: (_s, m) => ({ n: m.n }) };

describe("an awaited send to a durable agent", () => {
  it("from an ephemeral agent resolves only after its enqueue record is committed and covered by the mark", async () => {
    const disk = await bootDisk();
    const { os } = disk;
    const sinks: AgentId[] = [];
    const relays: AgentId[] = [];
    const problems: string[] = [];
    let next = 0;
    let checked = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const relay: AgentLogic<number> = {
      init: (_ctx, args) => args as number,
      async receive(self, _msg, ctx: AgentContext) {
        if (checked >= CHECKS) return self;
        const n = ++next;
        await ctx.send(sinks[(self * 7 + n) % AGENTS] as AgentId, { n });
        // Synchronously at resumption: nothing else has run on the journal's behalf since.
        const seq = disk.stored(n);
        const mark = disk.marked();
        if (seq === undefined) problems.push(`send ${n}: resolved but neither its enqueue record nor its handling is in the file`);
        else if (mark < seq) problems.push(`send ${n}: resolved at seq ${seq} but the mark is at ${mark}`);
        if (++checked === CHECKS) done();
        else void ctx.send(relays[(self + 1) % AGENTS] as AgentId, 0);
        return self;
      },
    };
    for (let i = 0; i < AGENTS; i++) sinks.push(await os.spawn({ name: `s${i}`, kind: "code", durable: true, logic: sink }));
    for (let i = 0; i < AGENTS; i++) relays.push(await os.spawn({ name: `r${i}`, kind: "code", ephemeral: true, logic: relay, args: i, capabilities: ["agent:*#send"] }));
    // Several tokens per relay: sends overlap and share commits.
    await Promise.all(relays.flatMap((id) => [os.send(id, 0), os.send(id, 0)]));
    await finished;
    await disk.close();
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(CHECKS);
  });

  it("from a durable agent goes on while the letter commits, and the reply made after it waits for it (ADR 0053)", async () => {
    const disk = await bootDisk();
    const { os } = disk;
    const sinks: AgentId[] = [];
    const onward: boolean[] = [];
    const sender: AgentLogic<number, { n: number }> = {
      init: (_ctx, args) => args as number,
      async receive(self, msg, ctx: AgentContext) {
        // The request letter carries n; the forwarded letter n + FORWARDED, so each is found apart.
        await ctx.send(sinks[msg.n % AGENTS] as AgentId, { n: msg.n + FORWARDED });
        // At resumption the letter is appended, not yet committed: the sender computes meanwhile.
        onward.push(disk.stored(msg.n + FORWARDED) === undefined);
        ctx.reply(msg.n);
        return self;
      },
    };
    for (let i = 0; i < AGENTS; i++) sinks.push(await os.spawn({ name: `s${i}`, kind: "code", durable: true, logic: sink }));
    const senders: AgentId[] = [];
    for (let i = 0; i < 4; i++) senders.push(await os.spawn({ name: `d${i}`, kind: "code", durable: true, logic: sender, args: i, capabilities: ["agent:*#send"] }));
    const late: number[] = [];
    await Promise.all(Array.from({ length: CHECKS }, async (_, i) => {
      const n = i + 1;
      await os.request(senders[i % senders.length] as AgentId, { n });
      // The reply is an output: it left only once the letter the sender made before it was on disk.
      const seq = disk.stored(n + FORWARDED);
      if (seq === undefined || disk.marked() < seq) late.push(n);
    }));
    await disk.close();
    expect(late).toEqual([]);
    expect(onward).toHaveLength(CHECKS);
    expect(onward.filter((x) => !x)).toEqual([]);
  });
});
