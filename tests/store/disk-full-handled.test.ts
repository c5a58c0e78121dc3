/**
 * Issue #19.2 on a real small disk (a 3 MiB tmpfs): a durable agent handles messages while the disk
 * is full, so its `handled` records (ack + checkpoint) fail with E_STORAGE_FULL. The agent is held
 * (it handles nothing more, so no later checkpoint can carry the effect of an unacknowledged message)
 * and the failed records are appended again, with its current checkpoint, once space returns. After a
 * restart no message is handled twice. Before the fix the failed records were only reported: the next
 * checkpoint that did commit included the effects while the messages stayed unacknowledged, and the
 * restart delivered all 8 again (16 handled). Two agents handle at once, so their failed records
 * share batches (and the one handler a batch's checkpoints share): each is held and retried.
 * Needs root to mount (CI has it).
 */
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { silentLogger, SimulatedClock, type AgentId } from "../../src/core/index.js";
import { boot, storeSubsystem } from "../../src/index.js";
import { type AgentLogic } from "../../src/abi/index.js";
import { fillDisk, useSmallDisk } from "./small-disk.js";

const disk = useSmallDisk("3m");

const State = z.object({ seqs: z.array(z.number().int()), pad: z.string() });
type TallyState = z.infer<typeof State>;
const Msg = z.union([z.object({ seq: z.number().int() }), z.object({ get: z.literal(true) })]);

let gate: Promise<void> = Promise.resolve();
const handledLog = new Map<string, number[]>();

const tally: AgentLogic<TallyState, unknown> = {
  init: () => ({ seqs: [], pad: "" }),
  async receive(s, raw, ctx) {
    const m = Msg.parse(raw);
    if ("get" in m) {
      ctx.reply(s.seqs);
      return s;
    }
    await gate;
    handledLog.set(ctx.self, [...(handledLog.get(ctx.self) ?? []), m.seq]);
    // A 32 KB checkpoint: each handled record needs new pages, so it fails while the disk is full.
    return { seqs: [...s.seqs, m.seq], pad: `${m.seq}`.padEnd(32 * 1024, "x") };
  },
  snapshot: (s) => s,
  restore: (d) => State.parse(d),
};

const DAY_MS = 86_400_000;

/**
 * Advances the simulated clock in steps of the longest retry wait until `p` settles (what it waits
 * on must not time out on that clock meanwhile: the requests it pumps for wait a simulated day).
 */
async function pumping<T>(clock: SimulatedClock, p: Promise<T>): Promise<T> {
  let settled = false;
  const done = p.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    clock.advance(5_000);
    await Promise.race([done, new Promise((r) => setTimeout(r, 10))]);
  }
  return p;
}

describe("a handled record refused by a full disk (issue #19.2)", () => {
  it("holds the agent, appends the record again when space returns, and handles nothing twice", async () => {
    const data = join(disk.path, "data");
    const clock = new SimulatedClock();
    const os = await boot({ dataDir: data, stack: "bare", durable: true, clock, logger: silentLogger, logics: { tally }, add: [storeSubsystem({ dataDir: data })] });
    const ids: AgentId[] = [await os.spawn({ name: "tally", kind: "code", logic: "tally", durable: true }), await os.spawn({ name: "tally2", kind: "code", logic: "tally", durable: true })];
    let open: () => void = () => undefined;
    gate = new Promise((r) => (open = r));
    // Eight letters each journaled while there is room; both agents block on their first.
    for (let seq = 1; seq <= 8; seq++) for (const id of ids) await os.send(id, { seq });
    const full = new Promise<void>((resolve) => {
      os.kernel.events.subscribe({ types: ["kernel.error"] }, (e) => {
        if (e.type === "kernel.error" && e.data.error.code === "E_STORAGE_FULL") resolve();
      });
    });
    const filler = fillDisk(disk.path);
    open();
    await full;
    unlinkSync(filler);
    // Space is back: the kernel's retry (on its clock) appends the held records again. The clock is
    // advanced until both agents answer, not once: a record that failed in a later batch than the
    // first refusal, or a retry that finds acks still in flight, sets its timer after any one advance.
    const answers = pumping(clock, Promise.all(ids.map((id) => os.request(id, { get: true }, { timeoutMs: DAY_MS }))));
    for (const seqs of await answers) expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await os.shutdown("test");

    const again = await boot({ dataDir: data, stack: "bare", durable: true, clock: new SimulatedClock(), logger: silentLogger, logics: { tally }, add: [storeSubsystem({ dataDir: data })] });
    try {
      for (const id of ids) {
        expect(await again.request(id, { get: true })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        // Each letter handled once across both boots: none came back after the restart.
        expect(handledLog.get(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      }
    } finally {
      await again.shutdown("test");
    }
  }, 60_000);
});

