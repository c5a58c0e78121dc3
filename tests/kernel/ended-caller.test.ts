/**
 * An activation that ended makes no journaled call (the fault soak's "one effect under two keys"): a
 * durable agent killed — or, on a cluster, evicted when its tree's lease moves, which ends the
 * activation the same way — while its async receive still runs must not start a side effect when
 * that receive goes on. Its call sequence is no longer the agent's: a next activation replays the
 * letter under its own keys, so an effect the old one started would be applied under a second key.
 * On the default stack with a real SQLite journal; a side-effecting tool counts its executions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, type Aios } from "../../src/index.js";
import { isAiosError } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { defineTool } from "../../src/tools/index.js";

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const os of systems.splice(0)) await os.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Probe {
  runs: number;
  gate: Promise<void>;
  open: () => void;
  outcome: string | undefined;
}

function probe(): Probe {
  const p: Probe = { runs: 0, gate: Promise.resolve(), open: () => undefined, outcome: undefined };
  p.gate = new Promise<void>((r) => (p.open = r));
  return p;
}

/** On a letter: waits for the test's gate, then calls the side-effecting `bump`, noting the outcome. */
function waiter(pr: Probe): AgentLogic<null, unknown> {
  return {
    init: () => null,
    async receive(s, _m, ctx) {
      await pr.gate;
      pr.outcome = await ctx.sys.ToolCall({ tool: "bump", args: {} }).then(() => "ok", (e: unknown) => (isAiosError(e) ? e.code : String(e)));
      return s;
    },
  };
}

async function start(pr: Probe): Promise<{ os: Aios; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-ended-caller-"));
  dirs.push(dataDir);
  const os = await boot({ dataDir, logics: { waiter: waiter(pr) } });
  systems.push(os);
  os.tools.register(defineTool({ name: "bump", description: "counts its runs", input: z.strictObject({}), sideEffect: true, honoursKeys: true, requires: () => [], execute: async () => ++pr.runs }));
  return { os, dataDir };
}

function intents(dataDir: string): number {
  const db = new Database(join(dataDir, "journal", "aios.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { body: string }>("SELECT body FROM journal").all().filter((r) => r.body.includes('"t":"intent"')).length;
  } finally {
    db.close();
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`never: ${what}`);
}

describe("an ended activation makes no journaled call", () => {
  it("runs the call while the agent lives (the control)", async () => {
    const pr = probe();
    const { os, dataDir } = await start(pr);
    const id = await os.spawn({ name: "w", kind: "code", logic: "waiter", durable: true, capabilities: ["tool:bump#call"] });
    await os.send(id, "go");
    pr.open();
    await until("the call is made", () => pr.outcome !== undefined);
    expect(pr.outcome).toBe("ok");
    expect(pr.runs).toBe(1);
    expect(intents(dataDir)).toBe(1);
  });

  it("refuses the side effect of an agent killed while its receive awaited, and journals no intent", async () => {
    const pr = probe();
    const { os, dataDir } = await start(pr);
    const id = await os.spawn({ name: "w", kind: "code", logic: "waiter", durable: true, capabilities: ["tool:bump#call"] });
    await os.send(id, "go");
    await new Promise((r) => setTimeout(r, 20));
    await os.kill(id);
    pr.open();
    await until("the call is answered", () => pr.outcome !== undefined);
    expect(pr.outcome).toBe("E_CANCELLED");
    expect(pr.runs).toBe(0);
    expect(intents(dataDir)).toBe(0);
  });
});
