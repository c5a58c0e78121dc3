/**
 * Crash tests with real processes: >= 50 SIGKILLs of a kernel child at random moments, then a drain
 * and the invariants of tests/store/crash-harness.ts. AIOS_CRASH_ITERATIONS and AIOS_CRASH_SEED
 * override the defaults (scripts/soak-crash.ts runs many more).
 */
import { describe, expect, it } from "vitest";
import { runCrashHarness } from "./crash-harness.js";

const iterations = Number(process.env["AIOS_CRASH_ITERATIONS"] ?? 50);
const seed = process.env["AIOS_CRASH_SEED"] === undefined ? undefined : Number(process.env["AIOS_CRASH_SEED"]);

describe("kernel crash (SIGKILL) with the durable store", () => {
  it(`keeps every acknowledged message, runs no journaled effect twice, never goes back (${iterations} kills)`, async () => {
    const report = await runCrashHarness({ iterations, ...(seed === undefined ? {} : { seed }) });
    expect(report.iterations).toBe(iterations);
    // The run did real work: messages were acknowledged and handled across the kills.
    expect(report.acked).toBeGreaterThan(iterations);
    expect(report.effects).toBeGreaterThan(0);
    expect(report.checkpoints["A"]).toBeGreaterThan(0);
    console.log(`crash harness: seed ${report.seed}, ${report.acked} acknowledged messages, ${report.effects} effects, ${report.effectUnknown} E_EFFECT_UNKNOWN`);
  }, 240_000);
});
