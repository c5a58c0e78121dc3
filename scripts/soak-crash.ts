/**
 * Crash soak: the crash harness of tests/store/crash-harness.ts with many more SIGKILLs.
 *   npx tsx scripts/soak-crash.ts [iterations=500] [seed]
 * Prints one line per kill and a JSON summary; exits 1 (keeping the data directory and logs, path
 * in the message) on the first broken invariant. Replay a failure with its seed.
 */
import { runCrashHarness } from "../tests/store/crash-harness.js";

const iterations = Number(process.argv[2] ?? 500);
const seed = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
if (!Number.isInteger(iterations) || iterations < 1 || (seed !== undefined && !Number.isInteger(seed))) {
  process.stderr.write("usage: tsx scripts/soak-crash.ts [iterations >= 1] [seed]\n");
  process.exit(2);
}

try {
  const report = await runCrashHarness({ iterations, ...(seed === undefined ? {} : { seed }), log: (s) => process.stdout.write(s + "\n") });
  process.stdout.write(JSON.stringify({ ok: true, ...report }) + "\n");
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
