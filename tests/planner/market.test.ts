/**
 * The Market end to end on a real ledger file: Contract Net messages in order, order-book award
 * (price, then reputation-weighted), escrow reserve on award, partial acceptance, rejection,
 * failure, the work timeout voiding on the injected clock, the call-auction batch at one price,
 * and the syscall definitions (parse errors name the field, capabilities, handlers with a caller).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimulatedClock, type AgentId, type AiosError, type TenantId } from "../../src/core/index.js";
import type { Caller, SyscallCall, SyscallDef } from "../../src/abi/index.js";
import { Escrow, Ledger, Market, escrowAccountId, marketSyscalls, reputationScore, type ContractNetMessage } from "../../src/planner/index.js";

let dir: string;
let clock: SimulatedClock;
let ledger: Ledger;
let msgs: ContractNetMessage[];
let market: Market;

const W = ["w1", "w2", "w3"] as const;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aios-market-"));
  clock = new SimulatedClock();
  ledger = new Ledger({ path: join(dir, "ledger.db"), clock });
  ledger.createAccounts([{ id: "mint", ledger: "t", code: 1 }, { id: "boss", ledger: "t", code: 1, flags: { debitsMustNotExceedCredits: true } }, ...W.map((w) => ({ id: `acct-${w}`, ledger: "t", code: 1 }))]);
  ledger.transfer({ id: "fund", debitAccountId: "mint", creditAccountId: "boss", amount: 10_000_000n, ledger: "t", code: 1 });
  msgs = [];
  market = new Market({ ledger, escrow: new Escrow(ledger), clock, notify: (m) => msgs.push(m) });
});
afterEach(() => {
  market.close();
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (taskId: string, budget = 5_000_000n, workTimeoutMs = 60_000) =>
  market.post({ taskId, poster: "boss-agent", payer: "boss", ledger: "t", budget, deadline: clock.now() + 1000, workTimeoutMs });
const bid = (taskId: string, w: string, price: bigint) => market.bid({ taskId, worker: w, account: `acct-${w}`, price, quality: 0.9, timeMs: 500 });
const avail = (id: string): bigint => {
  const a = ledger.account(id);
  if (a === undefined) throw new Error(id);
  return a.creditsPosted - a.debitsPosted - a.debitsPending;
};
const code = (fn: () => unknown): string => {
  try {
    fn();
    return "ok";
  } catch (e) {
    return (e as AiosError).code;
  }
};

describe("market", () => {
  it("runs Contract Net: cfp, proposals, award with escrow, inform-done, verdict posting part", () => {
    post("t1");
    bid("t1", "w1", 3_000_000n);
    bid("t1", "w2", 2_000_000n);
    bid("t1", "w3", 2_000_000n);
    const award = market.award("t1");
    expect(award).toMatchObject({ worker: "w2", price: 2_000_000n }); // cheapest, earlier of the tie
    expect(avail("boss")).toBe(8_000_000n);
    expect(ledger.pending("task:t1")?.state).toBe("pending");
    market.done("t1", "w2", { answer: 42 });
    const v = market.verdict("t1", { accept: true, amount: 1_500_000n });
    expect([v.status, v.paid]).toEqual(["settled", 1_500_000n]);
    expect(avail("acct-w2")).toBe(1_500_000n);
    expect(avail("boss")).toBe(8_500_000n);
    expect(avail(escrowAccountId("t"))).toBe(0n);
    expect(msgs.map((m) => [m.performative, m.from, m.to ?? "*"])).toEqual([
      ["cfp", "boss-agent", "*"],
      ["propose", "w1", "boss-agent"],
      ["propose", "w2", "boss-agent"],
      ["propose", "w3", "boss-agent"],
      ["accept-proposal", "boss-agent", "w2"],
      ["reject-proposal", "boss-agent", "w1"],
      ["reject-proposal", "boss-agent", "w3"],
      ["inform-done", "w2", "boss-agent"],
    ]);
  });

  it("refuses bids over the cap, after the deadline, twice, or from the poster", () => {
    post("t1", 1_000n);
    expect(code(() => bid("t1", "w1", 1_001n))).toBe("E_QUOTA");
    expect(code(() => bid("t1", "boss-agent", 10n))).toBe("E_POLICY");
    bid("t1", "w1", 900n);
    expect(code(() => bid("t1", "w1", 800n))).toBe("E_CONFLICT");
    clock.advance(1001);
    expect(code(() => bid("t1", "w2", 800n))).toBe("E_TIMEOUT");
    expect(code(() => post("t1"))).toBe("E_CONFLICT");
  });

  it("weighs reputation in clearing without changing what the winner is paid", () => {
    market.close();
    const rep: Record<string, number> = { w1: 1, w2: 0.1 };
    market = new Market({ ledger, escrow: new Escrow(ledger), clock, score: reputationScore((w) => rep[w] ?? 0.5, 1) });
    post("t1");
    bid("t1", "w1", 1_000_000n); // effective 1,000,000
    bid("t1", "w2", 700_000n); // effective 700,000 * 1.9 = 1,330,000
    expect(market.award("t1")).toMatchObject({ worker: "w1", price: 1_000_000n });
  });

  it("voids on rejection, on failure and on the work timeout", () => {
    post("t1");
    bid("t1", "w1", 1_000n);
    market.award("t1");
    market.done("t1", "w1");
    expect(market.verdict("t1", { accept: false }).status).toBe("refunded");
    post("t2");
    bid("t2", "w1", 1_000n);
    market.award("t2");
    expect(code(() => market.fail("t2", "w2", "not mine"))).toBe("E_CAP_DENIED");
    expect(market.fail("t2", "w1", "model down").status).toBe("failed");
    post("t3", 5_000n, 5_000);
    bid("t3", "w1", 1_000n);
    market.award("t3");
    clock.advance(5_000);
    expect(market.task("t3")?.status).toBe("expired");
    expect(msgs.at(-1)).toMatchObject({ performative: "failure", taskId: "t3", to: "w1" });
    expect(code(() => market.done("t3", "w1"))).toBe("E_ILLEGAL_TRANSITION");
    expect(avail("boss")).toBe(10_000_000n);
    expect(avail("acct-w1")).toBe(0n);
  });

  it("clears a batch in a call auction at one price within every budget", () => {
    post("a", 1_000n);
    post("b", 900n);
    post("c", 500n);
    bid("a", "w1", 400n);
    bid("b", "w2", 800n);
    bid("c", "w3", 450n);
    // buys 1000, 900, 500; sells 400, 450, 800: volume 2 with imbalance 1 at 450, 500, 800 and 900 -> the lowest, 450.
    const awards = market.awardBatch(["a", "b", "c"]);
    expect([...awards.entries()].map(([t, a]) => [t, a.worker, a.price])).toEqual([["a", "w1", 450n], ["b", "w3", 450n]]);
    expect(market.task("c")?.status).toBe("open");
    expect(avail("boss")).toBe(10_000_000n - 900n);
  });
});

describe("market syscalls", () => {
  const caller = (agent: string): SyscallCall => {
    const c: Caller = { agent: agent as AgentId, tenant: "t" as TenantId, name: agent, capabilities: [], taint: new Set(), priority: 0 };
    return { caller: c, signal: new AbortController().signal };
  };
  const def = (name: string): SyscallDef => {
    const d = marketSyscalls(market, ledger, clock).find((x) => x.name === name);
    if (d === undefined) throw new Error(name);
    return d;
  };
  const run = async (name: string, raw: unknown, agent: string): Promise<unknown> => {
    const d = def(name);
    const args = d.parse(raw);
    return d.handler(args, caller(agent));
  };

  it("name the bad field, ask for the documented capabilities and run end to end", async () => {
    const err = (() => {
      try {
        def("MarketBid").parse({ taskId: "t1", account: "acct-w1", price: "1.5", quality: 0.5, timeMs: 1 });
      } catch (e) {
        return e as AiosError;
      }
      return undefined;
    })();
    expect([err?.code, err?.details["path"]]).toEqual(["E_INVALID_ARG", "price"]);
    const postArgs = { taskId: "t1", payer: "boss", ledger: "t", budget: "2000000", deadlineMs: 1000, workTimeoutMs: 60_000 };
    expect(def("MarketPost").requires(def("MarketPost").parse(postArgs) as never, caller("boss-agent").caller)).toEqual([
      { resource: "market:t1", action: "post" },
      { resource: "ledger:boss", action: "debit" },
    ]);
    expect(def("LedgerBalance").requires({ account: "boss" }, caller("x").caller)).toEqual([{ resource: "ledger:boss", action: "read" }]);
    await run("MarketPost", postArgs, "boss-agent");
    await run("MarketBid", { taskId: "t1", account: "acct-w1", price: "1500000", quality: 0.8, timeMs: 100 }, "w1");
    expect(await run("MarketAward", { taskId: "t1" }, "boss-agent")).toEqual({ awards: { t1: { worker: "w1", account: "acct-w1", price: "1500000", reservation: "task:t1" } } });
    await run("MarketDone", { taskId: "t1", result: "ok" }, "w1");
    expect(await run("MarketVerdict", { taskId: "t1", accept: true }, "boss-agent")).toMatchObject({ status: "settled", paid: "1500000" });
    expect(await run("LedgerBalance", { account: "acct-w1" }, "w1")).toMatchObject({ creditsPosted: "1500000", available: "1500000" });
    const ts = (await run("LedgerTransfers", { account: "acct-w1" }, "w1")) as { transfers: { id: string; amount: string }[] };
    expect(ts.transfers.map((t) => [t.id, t.amount])).toEqual([["task:t1:pay", "1500000"]]);
    expect(() => def("MarketAward").parse({ taskId: "a", taskIds: ["b"] })).toThrow(/taskId/);
  });
});
