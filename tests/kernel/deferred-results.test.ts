/**
 * A durable agent's syscall results journaled as they are (ADR 0075): only a result nothing can
 * change before its batch is written — a primitive, or one its syscall makes for the call
 * (`freshResult`) handed to logic that leaves results intact — is encoded at the batch's write; any
 * other is encoded when the call returns, so an agent that changes its result afterwards does not
 * change what a replay sees. Met at the level a user meets it: a registered syscall, a durable agent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, storeSubsystem, zodArgs, type AgentId, type AgentLogic, type Aios, type SyscallDef } from "../../src/index.js";
import Database from "better-sqlite3";
import type { Journal } from "../../src/store/index.js";
import { record, settle } from "./helpers.js";

declare module "../../src/abi/syscalls.js" {
  interface SyscallMap {
    TestAnswer: { args: { big: boolean }; result: { n: number; big?: bigint } };
  }
}

/** A replayable call whose answer is made for the call (as a model's is). */
function answers(): SyscallDef<"TestAnswer"> {
  let n = 0;
  return {
    name: "TestAnswer",
    parse: zodArgs("TestAnswer", z.object({ big: z.boolean() })),
    requires: () => [],
    sideEffect: false,
    replay: true,
    freshResult: true,
    handler: ({ big }) => (big ? { n: ++n, big: 10n } : { n: ++n }),
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function bootDurable(): Promise<{ os: Aios; journal: Journal; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-deferred-"));
  dirs.push(dataDir);
  const os = await boot({ dataDir, stack: "bare", durable: true, add: [storeSubsystem({ dataDir })] });
  os.kernel.syscalls.register(answers());
  const store = os.subsystems.store;
  if (store === undefined) throw new Error("no store");
  return { os, journal: await store.journal.store(), dataDir };
}

/** The result rows on disk (what a replay after a crash reads), by a reader of the database file. */
function storedResults(dataDir: string): unknown[] {
  const db = new Database(join(dataDir, "aios.db"), { readonly: true });
  try {
    return (db.prepare("SELECT body FROM journal WHERE kind = 'result' ORDER BY seq").all() as { body: string }[]).map((r) => JSON.parse(r.body) as unknown);
  } finally {
    db.close();
  }
}

/** Calls TestAnswer, then (as `change` says) changes the answer, then waits for `gate` before its turn ends. */
function caller(gate: Promise<void>, change: boolean, intact: boolean): AgentLogic<number> {
  return {
    init: () => 0,
    async receive(s, m, ctx) {
      const r = await ctx.sys.TestAnswer({ big: m === "big" });
      if (change) (r as { n: number }).n = 99;
      await gate;
      return s + r.n;
    },
    ...(intact ? { leavesResultsIntact: true } : {}),
  };
}

/**
 * Spawns a durable agent running `caller`, sends it `message` and returns once its call's batch is
 * written, its turn still open (nothing folds the call until `open()` lets the turn end).
 */
async function heldTurn(os: Aios, journal: Journal, name: string, message: string, change: boolean, intact: boolean): Promise<{ id: AgentId; open: () => void }> {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const id = await os.spawn({ name, kind: "code", durable: true, logic: caller(gate, change, intact) });
  await os.send(id, message);
  await settle(20);
  await journal.flush();
  return { id, open };
}

describe("durable syscall results journaled as they are (ADR 0075)", () => {
  it("an agent that changes its result afterwards does not change what the journal keeps", async () => {
    const { os, journal, dataDir } = await bootDurable();
    const { id, open } = await heldTurn(os, journal, "changer", "go", true, false);
    // The turn has not ended, so nothing folds the call: its result is on disk as the handler gave it, not 99.
    expect(storedResults(dataDir)).toEqual([{ t: "result", agent: id, callSeq: 1, result: { n: 1 } }]);
    open();
    await os.shutdown();
  });

  it("a result made for the call, handed to logic that leaves it intact, is stored when its batch is written", async () => {
    const { os, journal, dataDir } = await bootDurable();
    const { id, open } = await heldTurn(os, journal, "reader", "go", false, true);
    expect(storedResults(dataDir)).toEqual([{ t: "result", agent: id, callSeq: 1, result: { n: 1 } }]);
    open();
    await os.shutdown();
  });

  it("such a result JSON cannot hold is a kernel error naming the record; the agent and the journal go on", async () => {
    const { os, journal } = await bootDurable();
    const errors = record(os, { types: ["kernel.error"] });
    const { id, open } = await heldTurn(os, journal, "big", "big", false, true);
    await settle();
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0]?.data)).toMatch(/journal record result is not JSON-serialisable/);
    expect(journal.state.lookup(id, 1)).toEqual({ found: false, inFlight: false }); // not stored: a replay asks again
    open();
    await settle(20);
    // The agent handled its letter and takes the next; its later records are stored.
    await os.send(id, "go");
    await settle(20);
    await journal.flush();
    expect(journal.state.agents.get(id)?.checkpoint).toBe(3); // 1 + 2
    await os.shutdown();
  });
});
