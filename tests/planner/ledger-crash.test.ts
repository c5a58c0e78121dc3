/**
 * Crash test (issue #14): a child process commits random ledger batches to a real SQLite file
 * and acknowledges each on stdout; the test SIGKILLs it at a random moment (after a random
 * number (0-9) of acknowledgements plus a random 0-4 ms, so most kills land inside a batch), 220
 * times in all: four lanes of 55 kills, each lane on its own file. After every kill the file is
 * reopened in this process and checked:
 * every acknowledged transfer is present, every linked chain is all there or not at all, sums of
 * posted and of pending debits equal the credits, no wallet breaks debits_must_not_exceed_credits,
 * and each pending transfer was resolved by at most one post or void. The child is bundled once
 * with esbuild (packages external) so a kill cycle costs a plain `node` start, not a TypeScript
 * toolchain start. AIOS_LEDGER_KILLS overrides the count.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom, SimulatedClock } from "../../src/core/index.js";
import { Ledger, type Transfer } from "../../src/planner/index.js";
import { killAfterLines } from "../helpers/kill-after.js";

const KILLS = Number(process.env["AIOS_LEDGER_KILLS"] ?? 220);
const here = dirname(fileURLToPath(import.meta.url));
// tmpfs when there is one: SIGKILL ends the process, not the kernel, so committed pages survive in
// the page cache either way; what is tested is that no acknowledged commit is missing and no
// half-written batch is visible. (Power loss is synchronous=FULL's job, not testable here.)
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "aios-ledger-crash-"));
// The bundle lives inside the repository (tmp/ is ignored) so that its bare imports resolve from node_modules.
const bundleDir = join(here, "..", "..", "tmp", `ledger-crash-${process.pid}`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

/** Runs one child until it has acknowledged `acks` batches, waits `extraMs`, SIGKILLs it. */
async function killOnce(bundle: string, path: string, run: string, seed: number, acks: number, extraMs: number): Promise<{ acked: string[]; lines: number; signal: string | null }> {
  const acked: string[] = [];
  let lines = 0;
  await killAfterLines([bundle, path, run, String(seed)], {
    lines: acks,
    extraMs,
    onLine: (line) => {
      acked.push(...(JSON.parse(line) as string[]));
      lines++;
      return true;
    },
  });
  return { acked, lines, signal: "SIGKILL" };
}

function check(ledger: Ledger, acked: readonly string[]): { transfers: number } {
  const all: Transfer[] = [];
  for (let after = 0; ; ) {
    const page = ledger.transfers({ after, limit: 5000 });
    if (page.length === 0) break;
    all.push(...page.map((p) => p.transfer));
    after = (page[page.length - 1] as { seq: number }).seq;
  }
  const ids = new Set(all.map((t) => t.id));
  const missing = acked.filter((id) => !ids.has(id));
  expect(missing).toEqual([]);
  const chains = new Map<string, number>();
  for (const t of all) if (t.userData?.startsWith("chain:") === true) chains.set(t.userData, (chains.get(t.userData) ?? 0) + 1);
  for (const [chain, n] of chains) expect([chain, n]).toEqual([chain, 3]);
  let dpo = 0n, cpo = 0n, dp = 0n, cp = 0n;
  for (const a of ledger.accounts()) {
    dpo += a.debitsPosted;
    cpo += a.creditsPosted;
    dp += a.debitsPending;
    cp += a.creditsPending;
    if (a.flags.debitsMustNotExceedCredits) expect(a.debitsPending + a.debitsPosted).toBeLessThanOrEqual(a.creditsPosted);
  }
  expect(dpo).toBe(cpo);
  expect(dp).toBe(cp);
  const resolvers = new Map<string, number>();
  for (const t of all) if (t.pendingId !== undefined) resolvers.set(t.pendingId, (resolvers.get(t.pendingId) ?? 0) + 1);
  let open = 0n;
  for (const p of ledger.pendings()) {
    const n = resolvers.get(p.id) ?? 0;
    expect([p.id, n]).toEqual([p.id, p.state === "pending" || p.state === "expired" ? 0 : 1]);
    if (p.state === "pending") open += p.amount;
  }
  expect(open).toBe(dp);
  return { transfers: all.length };
}

describe("ledger under SIGKILL", () => {
  it(`loses no acknowledged transfer and keeps its invariants over ${KILLS} kills`, async () => {
    const bundle = join(bundleDir, "child.mjs");
    buildSync({ entryPoints: [join(here, "ledger-crash-child.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: bundle, logLevel: "error" });
    let acked = 0;
    let killedMidRun = 0;
    let transfers = 0;
    const t0 = performance.now();
    // Four lanes, each its own file and child, so process start-up (most of a cycle) overlaps.
    const lane = async (l: number, kills: number): Promise<void> => {
      const path = join(dir, `ledger-${l}.db`);
      const ack: string[] = [];
      const rng = new SeededRandom(424242 + l);
      for (let k = 0; k < kills; k++) {
        const r = await killOnce(bundle, path, `l${l}r${k}`, 1000 * l + k, Math.floor(rng.next() * 10), Math.floor(rng.next() * 5));
        ack.push(...r.acked);
        if (r.lines > 0) killedMidRun++;
        const ledger = new Ledger({ path, clock: new SimulatedClock(Date.now()) });
        try {
          check(ledger, ack);
        } finally {
          ledger.close();
        }
      }
      const ledger = new Ledger({ path, clock: new SimulatedClock(Date.now()) });
      try {
        transfers += check(ledger, ack).transfers;
      } finally {
        ledger.close();
      }
      acked += ack.length;
    };
    await Promise.all([0, 1, 2, 3].map((l) => lane(l, Math.floor(KILLS / 4) + (l < KILLS % 4 ? 1 : 0))));
    process.stdout.write(`ledger crash: ${KILLS} kills, ${acked} acknowledged transfers, ${transfers} committed, ${killedMidRun} kills after >= 1 ack, ${Math.round(performance.now() - t0)} ms\n`);
    expect(acked).toBeGreaterThan(KILLS * 5);
  }, 900_000);
});
