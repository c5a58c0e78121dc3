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
});
