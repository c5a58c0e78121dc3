/**
 * Crash tests with real processes: >= 50 SIGKILLs of a kernel child at random moments, then a drain
 * and the invariants of tests/store/crash-harness.ts, in two lanes run side by side: A forwards to B
 * with a plain ctx.send, and with a SemanticSend carrying an explicit message id (issue #19.1: 0
 * messages handled twice in both). AIOS_CRASH_ITERATIONS and AIOS_CRASH_SEED override the defaults
 * (scripts/soak-crash.ts runs many more).
 */
import { describe, expect, it } from "vitest";
import { runCrashHarness, type CrashLane } from "./crash-harness.js";

const iterations = Number(process.env["AIOS_CRASH_ITERATIONS"] ?? 50);
const seed = process.env["AIOS_CRASH_SEED"] === undefined ? undefined : Number(process.env["AIOS_CRASH_SEED"]);

describe("kernel crash (SIGKILL) with the durable store", () => {
  it(`keeps every acknowledged message, handles none twice, runs no journaled effect twice, never goes back (${iterations} kills per lane, plain and keyed sends)`, async () => {
    const lanes: CrashLane[] = ["plain", "keyed"];
    // The lanes are independent (own data directory, own child): run side by side to keep CI time.
    const reports = await Promise.all(lanes.map((lane, i) => runCrashHarness({ iterations, lane, ...(seed === undefined ? {} : { seed: seed + i }) })));
    for (const report of reports) {
      expect(report.iterations).toBe(iterations);
      // The run did real work: messages were acknowledged, handled by A and forwarded to B across the kills.
      expect(report.acked).toBeGreaterThan(iterations);
      expect(report.effects).toBeGreaterThan(0);
      expect(report.checkpoints["A"]).toBeGreaterThan(0);
      expect(report.checkpoints["B"]).toBeGreaterThan(0);
      console.log(`crash harness (${report.lane}): seed ${report.seed}, ${report.acked} acknowledged messages, ${report.effects} effects, ${report.effectUnknown} E_EFFECT_UNKNOWN, 0 handled twice`);
    }
  }, 300_000);
});
