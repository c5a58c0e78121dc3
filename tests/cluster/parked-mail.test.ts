/**
 * Letters parked on a sending node for a full mailbox on another node (docs/adr/0069), on a stepped
 * clock and a scripted store: stored in the order they were parked, each once PostgreSQL took it;
 * a request given up at its deadline, another error handed to its sender, a bound on the letters
 * waiting per recipient, and every parked letter refused when the node stops.
 */
import { describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { ParkedMail, RETRY_FIRST_MS, RETRY_MAX_MS } from "../../src/cluster/index.js";

const full = (): AiosError => new AiosError("E_MAILBOX_FULL", "full", { retryable: true });

/** A clock that moves only by the sleeps the parked loop takes (recorded). */
function stepped(limit = 8) {
  let t = 0;
  const sleeps: number[] = [];
  const parked = new ParkedMail({
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    limit,
  });
  return { parked, sleeps, at: () => t };
}

/** A store refused E_MAILBOX_FULL `refusals` times, then taken; its tries and takes are logged. */
function store(log: string[], name: string, refusals: number, fail?: AiosError) {
  let left = refusals;
  return async (): Promise<void> => {
    log.push(`try ${name}`);
    if (left-- > 0) throw full();
    if (fail !== undefined) throw fail;
    log.push(`stored ${name}`);
  };
}

/** 0..n-1 in an order drawn from `seed` (Fisher-Yates over a linear congruential generator). */
function shuffled(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let x = seed + 1;
  for (let i = n - 1; i > 0; i--) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

describe("letters parked for a full mailbox on another node", () => {
  it("stores them in the order they were parked, each retried with a capped backoff", async () => {
    const { parked, sleeps } = stepped();
    const log: string[] = [];
    const done: string[] = [];
    const a = parked.park("ag_x", store(log, "a", 7)).then(() => done.push("a"));
    const b = parked.park("ag_x", store(log, "b", 1)).then(() => done.push("b"));
    const c = parked.park("ag_x", store(log, "c", 0)).then(() => done.push("c"));
    expect(parked.waiting("ag_x")).toBe(true);
    expect(parked.size).toBe(3);
    await Promise.all([a, b, c]);
    expect(done).toEqual(["a", "b", "c"]);
    // b is never tried before a is stored, nor c before b.
    expect(log.filter((l) => l.startsWith("stored"))).toEqual(["stored a", "stored b", "stored c"]);
    expect(log.indexOf("try b")).toBeGreaterThan(log.indexOf("stored a"));
    expect(log.indexOf("try c")).toBeGreaterThan(log.indexOf("stored b"));
    // Doubling from the first retry, capped; back to the first after a letter was stored.
    expect(sleeps.slice(0, 8)).toEqual([10, 10, 20, 40, 80, 160, RETRY_MAX_MS, RETRY_MAX_MS]);
    expect(sleeps[8]).toBe(RETRY_FIRST_MS);
    expect(parked.waiting("ag_x")).toBe(false);
    expect(parked.size).toBe(0);
  });

  it("gives a request up at its deadline and hands another error to its sender; the next goes on", async () => {
    const { parked } = stepped();
    const log: string[] = [];
    const late = parked.park("ag_y", store(log, "late", 100), 50).catch((e: unknown) => e);
    const broken = parked.park("ag_y", store(log, "broken", 0, new AiosError("E_UNAVAILABLE", "PostgreSQL unreachable", { retryable: true }))).catch((e: unknown) => e);
    const fine = parked.park("ag_y", store(log, "fine", 0));
    expect(await late).toMatchObject({ code: "E_TIMEOUT", details: { agent: "ag_y" } });
    expect(await broken).toMatchObject({ code: "E_UNAVAILABLE" });
    await fine;
    expect(log.at(-1)).toBe("stored fine");
  });

  it("refuses a letter beyond its bound per recipient, naming it; other recipients are not bounded by it", async () => {
    const { parked } = stepped(2);
    const log: string[] = [];
    const first = parked.park("ag_z", store(log, "1", 3));
    const second = parked.park("ag_z", store(log, "2", 0));
    await expect(parked.park("ag_z", store(log, "3", 0))).rejects.toMatchObject({ code: "E_MAILBOX_FULL", retryable: true, details: { agent: "ag_z", parked: 2, limit: 2 } });
    const other = parked.park("ag_w", store(log, "w", 0));
    await Promise.all([first, second, other]);
    expect(log.filter((l) => l.startsWith("stored"))).toContain("stored w");
    expect(log).not.toContain("try 3");
  });

  it("refuses every parked letter when the node stops, and any parked after", async () => {
    const { parked } = stepped();
    const never = async (): Promise<void> => {
      throw full();
    };
    const waiting = [parked.park("ag_a", never), parked.park("ag_a", never), parked.park("ag_b", never)].map((p) => p.catch((e: unknown) => e));
    parked.close();
    for (const e of await Promise.all(waiting)) expect(e).toMatchObject({ code: "E_UNAVAILABLE", retryable: true });
    expect(parked.size).toBe(0);
    await expect(parked.park("ag_a", never)).rejects.toMatchObject({ code: "E_UNAVAILABLE" });
  });

  it("stores letters sent back to back in send order when their refusals come back in the other order", async () => {
    // Hundreds of orders in which the first tries of a few letters answer: whatever the order, the
    // letters refused are stored in the order they were sent, after any sent before them.
    for (let round = 0; round < 300; round++) {
      const { parked } = stepped();
      const n = 2 + (round % 4);
      const stored: number[] = [];
      /** The first try of each letter, answered when the test says (refused: the rows are at their bound). */
      const first: Array<(refuse: boolean) => void> = [];
      let room = false;
      const sends = Array.from({ length: n }, (_, i) => {
        let tries = 0;
        return parked.send(
          "ag_o",
          () => {
            if (tries++ > 0) {
              if (!room) return Promise.reject(full());
              stored.push(i);
              return Promise.resolve();
            }
            return new Promise<void>((resolve, reject) => first.push((refuse) => (refuse ? reject(full()) : (stored.push(i), resolve()))));
          },
          true,
        );
      });
      // Answer the first tries in a shuffled order, refusing all but possibly the first sent.
      const order = shuffled(n, round);
      // Room comes while some first tries are still unanswered: the parked letters must not be stored
      // before an earlier letter still on its first try.
      const acceptFirst = round % 3 === 0;
      const roomAfter = round % n;
      for (const [k, i] of order.entries()) {
        if (k === roomAfter) room = true;
        (first[i] as (refuse: boolean) => void)(!(acceptFirst && i === 0));
        for (let t = 0; t < 5; t++) await Promise.resolve();
      }
      room = true;
      await Promise.all(sends);
      expect(stored).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(parked.size).toBe(0);
    }
  });

  it("keeps a letter that must not wait out of the queue: refused at once, the others unaffected", async () => {
    const { parked } = stepped();
    const log: string[] = [];
    const waits = parked.send("ag_f", store(log, "w", 2), true);
    await expect(parked.send("ag_f", store(log, "f", 1), false)).rejects.toMatchObject({ code: "E_MAILBOX_FULL" });
    await waits;
    expect(log.filter((l) => l.startsWith("stored"))).toEqual(["stored w"]);
  });
});
