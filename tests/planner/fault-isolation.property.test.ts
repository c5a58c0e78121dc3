/**
 * Issue #14, item 7, fault isolation: "a crash of any worker never changes another's state or the
 * ledger". Two markets on two real ledger files run the same random script over several awarded
 * tasks (done, accept in full or in part, reject, in any interleaving); in the second, the worker of
 * one task crashes (Contract Net failure) at a random point while its task is awarded. Afterwards:
 *   - every other task is in exactly the same state, award and payment in both runs;
 *   - every account other than the payer's and the escrow's has exactly the same balances, except
 *     that the crashed task's worker lacks what that task paid it in the first run;
 *   - the payer differs by exactly the crashed task's payment and reservation, nothing else;
 *   - the crashed task is failed, its reservation voided, and both ledgers balance.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { Escrow, Ledger, Market, type MarketTaskView } from "../../src/planner/index.js";

const WORKERS = ["w1", "w2", "w3", "w4"] as const;
type Step = { readonly task: number; readonly kind: "done" } | { readonly task: number; readonly kind: "accept"; readonly part: number } | { readonly task: number; readonly kind: "reject" };

interface Run {
  readonly views: MarketTaskView[];
  readonly balances: Map<string, { posted: bigint; pending: bigint; debitsPosted: bigint; debitsPending: bigint }>;
  readonly balanced: boolean;
}

function run(dir: string, name: string, tasks: readonly { readonly prices: readonly number[] }[], steps: readonly Step[], crash: { readonly task: number; readonly at: number } | undefined): Run {
  const clock = new SimulatedClock();
  const ledger = new Ledger({ path: join(dir, `${name}.db`), clock });
  const market = new Market({ ledger, escrow: new Escrow(ledger), clock });
  try {
    ledger.createAccounts([{ id: "mint", ledger: "t", code: 1 }, { id: "boss", ledger: "t", code: 1, flags: { debitsMustNotExceedCredits: true } }, ...WORKERS.map((w) => ({ id: `acct-${w}`, ledger: "t", code: 1 }))]);
    ledger.transfer({ id: "fund", debitAccountId: "mint", creditAccountId: "boss", amount: 1_000_000_000n, ledger: "t", code: 1 });
    tasks.forEach((t, i) => {
      market.post({ taskId: `t${i}`, poster: "boss-agent", payer: "boss", ledger: "t", budget: 10_000_000n, deadline: clock.now() + 1000, workTimeoutMs: 3_600_000 });
      t.prices.forEach((p, w) => market.bid({ taskId: `t${i}`, worker: WORKERS[w] as string, account: `acct-${WORKERS[w] as string}`, price: BigInt(p), quality: 0.9, timeMs: 100 }));
      market.award(`t${i}`);
    });
    const attempt = (f: () => unknown): void => {
      try {
        f();
      } catch (e) {
        // A step after the crash meets a failed task: refused, and nothing changes.
        expect((e as { code?: string }).code).toBe("E_ILLEGAL_TRANSITION");
      }
    };
    steps.forEach((s, k) => {
      if (crash !== undefined && crash.at === k) {
        const v = market.task(`t${crash.task}`);
        if (v?.status === "awarded" && v.award !== undefined) market.fail(`t${crash.task}`, v.award.worker, "worker crashed");
      }
      const id = `t${s.task}`;
      const v = market.task(id) as MarketTaskView;
      if (s.kind === "done") attempt(() => market.done(id, v.award?.worker ?? "?", { by: v.award?.worker }));
      else if (s.kind === "accept") attempt(() => market.verdict(id, { accept: true, amount: ((v.award?.price ?? 0n) * BigInt(s.part)) / 4n }));
      else attempt(() => market.verdict(id, { accept: false }));
    });
    const balances = new Map<string, { posted: bigint; pending: bigint; debitsPosted: bigint; debitsPending: bigint }>();
    let dp = 0n, cp = 0n, dpe = 0n, cpe = 0n;
    for (const a of ledger.accounts()) {
      balances.set(a.id, { posted: a.creditsPosted - a.debitsPosted, pending: a.creditsPending - a.debitsPending, debitsPosted: a.debitsPosted, debitsPending: a.debitsPending });
      dp += a.debitsPosted;
      cp += a.creditsPosted;
      dpe += a.debitsPending;
      cpe += a.creditsPending;
    }
    return { views: market.list(), balances, balanced: dp === cp && dpe === cpe };
  } finally {
    market.close();
    ledger.close();
  }
}

describe("market fault isolation (property)", () => {
  it("a worker's crash changes only its own task and that task's escrow", () => {
    // 300 ledgers of real SQLite files, each committed with fsync: on tmpfs where there is one, so the
    // property's time is its own and not the disk's (what is checked is the ledger's logic, not power loss).
    const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "aios-fault-isolation-"));
    try {
      let n = 0;
      let landedRuns = 0;
      fc.assert(
        fc.property(
          fc.array(fc.record({ prices: fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: WORKERS.length }) }), { minLength: 2, maxLength: 6 }),
          fc.array(fc.record({ task: fc.nat(), kind: fc.constantFrom("done" as const, "accept" as const, "reject" as const), part: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 24 }),
          fc.nat(),
          fc.nat(),
          (tasks, raw, crashTask, crashAt) => {
            const steps: Step[] = raw.map((s) => (s.kind === "accept" ? { task: s.task % tasks.length, kind: "accept", part: s.part } : { task: s.task % tasks.length, kind: s.kind }));
            const crash = { task: crashTask % tasks.length, at: crashAt % steps.length };
            const k = n++;
            const a = run(dir, `a${k}`, tasks, steps, undefined);
            const b = run(dir, `b${k}`, tasks, steps, crash);
            expect(a.balanced && b.balanced).toBe(true);
            const T = `t${crash.task}`;
            const crashed = b.views.find((v) => v.taskId === T) as MarketTaskView;
            const before = a.views.find((v) => v.taskId === T) as MarketTaskView;
            // The crash lands only if the task was still awarded (not yet done) at that point.
            const landed = crashed.status === "failed";
            if (!landed) {
              expect(b.views).toEqual(a.views);
              expect(b.balances).toEqual(a.balances);
              return;
            }
            landedRuns++;
            for (const v of a.views) if (v.taskId !== T) expect(b.views.find((x) => x.taskId === v.taskId), v.taskId).toEqual(v);
            const paidInA = before.paid ?? 0n;
            const heldInA = before.status === "awarded" || before.status === "done" ? (before.award?.price ?? 0n) : 0n;
            for (const [id, bal] of a.balances) {
              const other = b.balances.get(id);
              if (id === "boss") {
                expect(other?.debitsPosted, id).toBe(bal.debitsPosted - paidInA);
                expect(other?.debitsPending, id).toBe(bal.debitsPending - heldInA);
              } else if (id.startsWith("escrow")) {
                continue;
              } else if (id === before.award?.account) {
                expect(other, id).toEqual({ ...bal, posted: bal.posted - paidInA });
              } else {
                expect(other, id).toEqual(bal);
              }
            }
          },
        ),
        { numRuns: 150 },
      );
      // Most runs must really crash a worker mid-task, or the property says little.
      expect(landedRuns).toBeGreaterThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
