/**
 * The store wired into a real kernel through boot(): a durable agent's spawn, its messages, its
 * side-effecting syscall (intent before, result after) and its checkpoints reach the journal in the
 * order the durability contract promises.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { testToolCall } from "./fixtures/tool-call.js";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import { boot, storeSubsystem, type Subsystem } from "../../src/index.js";
import { type AgentLogic } from "../../src/abi/index.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const ToolArgs = z.object({ tool: z.string(), args: z.unknown() });

/** A side-effecting test tool: every execution appends a line to its own file. */
function effectTool(file: string): Subsystem<"effect-tool", undefined> {
  return testToolCall("effect-tool", ToolArgs, (args) => {
    appendFileSync(file, JSON.stringify(args) + "\n");
    return { done: true };
  });
}

const counter: AgentLogic<number, { n: number }> = {
  init: () => 0,
  async receive(state, msg, ctx) {
    await ctx.sys.ToolCall({ tool: "effect", args: { n: msg.n } });
    ctx.reply(state + 1);
    return state + 1;
  },
};

describe("store plugin through boot()", () => {
  it("journals spawn, enqueue, intent and handled in order (the result folded by its handled record)", async () => {
    const dir = tempDir();
    const effects = join(dir, "effects.log");
    const os = await boot({
      dataDir: dir, stack: "bare", durable: true, logger: silentLogger,
      logics: { counter },
      add: [storeSubsystem({ dataDir: dir }), effectTool(effects)],
    });
    const id: AgentId = await os.spawn({ name: "c", kind: "code", logic: "counter", durable: true });
    for (let n = 1; n <= 3; n++) expect(await os.request(id, { n }, { timeoutMs: 5_000 })).toBe(n);
    await os.shutdown("test");

    expect(readFileSync(effects, "utf8").trim().split("\n")).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    const db = new Database(join(dir, "aios.db"), { readonly: true });
    const rows = db.prepare("SELECT kind, body FROM journal ORDER BY seq").all() as { kind: string; body: string }[];
    db.close();
    const kinds = rows.map((r) => r.kind);
    expect(kinds.slice(0, 2)).toEqual(["spawn", "transition"]);
    // The reply reaches the requester before the checkpoint is durable, so the next enqueue may
    // share a batch with the previous handled; per message the order is fixed.
    const body = kinds.slice(2).filter((k) => k !== "transition");
    // Each call's intent is durable before the tool runs (a batch of its own); its result, which nobody
    // waits for, rides the batch of the handled record that folds it into the checkpoint, which
    // therefore does not store it (ADR 0071).
    expect(body.filter((k) => k !== "enqueue")).toEqual(["intent", "handled", "intent", "handled", "intent", "handled"]);
    const at = (kind: string, i: number): number => body.reduce<number[]>((acc, k, idx) => (k === kind ? [...acc, idx] : acc), [])[i]!;
    for (let i = 0; i < 3; i++) expect(at("enqueue", i)).toBeLessThan(at("intent", i));
    const handled = rows.filter((r) => r.kind === "handled").map((r) => JSON.parse(r.body) as { checkpoint: number; callSeq: number });
    expect(handled.map((h) => [h.checkpoint, h.callSeq])).toEqual([[1, 1], [2, 2], [3, 3]]);
  });
});
