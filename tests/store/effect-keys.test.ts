/**
 * Issue #17.5 with a real process killed while a side-effecting tool call is in flight (its intent
 * journaled, its result not). After the restart the door never re-runs it silently: a tool that does
 * not honour keys is reported to the agent as E_EFFECT_UNKNOWN (the effect ran once); a tool that
 * declares it dedupes on its key is run again under the SAME key it got before the crash, derived
 * from (agent, call sequence), so it can tell the retry from a new call. Before this change no key
 * was handed to a call without one, and every in-flight call was E_EFFECT_UNKNOWN.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, runNode } from "./crash-harness.js";
import { cleanupDirs, tempDir } from "./helpers.js";

let bundle = "";
beforeAll(async () => {
  bundle = await bundleChild("-effect", "effect-child.ts");
});
afterAll(() => {
  rmSync(bundle, { force: true });
  cleanupDirs();
});


async function crashMidCall(lane: "honours" | "plain" | "slotfail"): Promise<{ effects: string[][]; outcomes: string[]; stdout: string }> {
  const dir = tempDir(`aios-effect-${lane}-`);
  const data = join(dir, "data");
  const work = join(dir, "work");
  mkdirSync(work);
  const stalled = await runNode([bundle, data, work, "stall", lane], "running\n");
  expect(stalled.signal, stalled.stderr).toBe("SIGKILL");
  const done = await runNode([bundle, data, work, "finish", lane]);
  expect(done.code, done.stderr).toBe(0);
  const read = (f: string): string[] => readFileSync(join(work, f), "utf8").trim().split("\n");
  return { effects: read("effects.log").map((l) => l.split(" ")), outcomes: read("outcomes.log"), stdout: done.stdout };
}

/** Crashed mid-call and finished: the effect ran twice, both times under the key of call number `call`, and succeeded. */
async function ranTwiceUnderOneKey(lane: "honours" | "slotfail", call: number): Promise<void> {
  const r = await crashMidCall(lane);
  expect(r.effects).toHaveLength(2);
  const [first, second] = r.effects;
  expect(first?.[1]).toMatch(new RegExp(`^ag_[^:]+:${call}$`));
  expect(second?.[1]).toBe(first?.[1]);
  expect(r.outcomes).toEqual(["ok"]);
}

describe("a side-effecting tool call in flight at kill -9 (issue #17.5)", () => {
  it("is reported E_EFFECT_UNKNOWN, not re-run, when the tool does not honour keys", async () => {
    const r = await crashMidCall("plain");
    expect(r.effects).toHaveLength(1);
    expect(r.effects[0]?.[1]).toMatch(/^ag_[^:]+:1$/);
    expect(r.outcomes).toEqual(["E_EFFECT_UNKNOWN"]);
    expect(r.stdout).toContain("handled 1");
  }, 60_000);

  it("is run again under the same derived key when the tool honours keys", async () => {
    await ranTwiceUnderOneKey("honours", 1);
  }, 60_000);

  it("is run again under the key it ran under when an earlier attempt's slot was refused after its intent", async () => {
    // The first attempt's intent (call 1) was journaled, then its slot refused: the agent retried as
    // call 2, which ran and stalled. The refusal is that call's journaled result, so the replay
    // refuses call 1 again, retries as call 2 and re-runs it under ITS key. Without the result, call
    // 1 read as in flight and ran under key :1: one effect under two keys (fault soak seed 16141).
    await ranTwiceUnderOneKey("slotfail", 2);
  }, 60_000);
});
