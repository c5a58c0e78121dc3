/**
 * Output commit (ADR 0052) in one process, on the default stack with real SQLite files: what a durable
 * agent shows outside — the answer `os.run` returns, a send to an ephemeral agent — is on disk with
 * everything it came from at the moment it is seen. Checked by reading the journal's database file
 * through a fresh read-only connection at that moment (the values are random tokens, so a value
 * computed but not yet committed cannot be found there by chance).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, type Aios } from "../../src/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { asAgentId } from "../../src/core/index.js";
import { ReplayProvider, type ChatRequest, type ReplayTurnInput } from "../../src/models/index.js";
import { defineTool } from "../../src/tools/index.js";

const token = (): string => `tok-${Math.random().toString(36).slice(2)}`;

/** Every record body on disk now, read by a connection of its own. */
function onDisk(dataDir: string): string {
  const db = new Database(join(dataDir, "journal", "aios.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { body: string }>("SELECT body FROM journal").all().map((r) => r.body).join("\n");
  } finally {
    db.close();
  }
}

/** Two pure `draw` calls (random tokens), then the answer naming both: nothing here is deterministic. */
function respond(req: ChatRequest): ReplayTurnInput {
  const tools = req.messages.filter((m) => m.role === "tool");
  if (tools.length < 2) return { toolCalls: [{ name: "draw", args: {} }], usage: { promptTokens: 5, completionTokens: 5 } };
  return { text: `${token()} ${tools.map((m) => String(m.content)).join(" ")}`, usage: { promptTokens: 5, completionTokens: 1 } };
}

const draw = defineTool({ name: "draw", description: "a random token", input: z.strictObject({}), sideEffect: false, requires: () => [], execute: async () => token() });

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const os of systems.splice(0)) await os.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function bootAt(logics: Record<string, AgentLogic> = {}): Promise<{ os: Aios; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-output-commit-"));
  dirs.push(dataDir);
  const os = await boot({ dataDir, logics, subsystems: { models: { models: {}, providers: { scripted: new ReplayProvider({ name: "scripted", respond }) } } } });
  systems.push(os);
  os.tools.register(draw);
  return { os, dataDir };
}

describe("output commit (ADR 0052)", () => {
  it("a durable run's answer is on disk, with the model and tool results it came from, when os.run returns it", async () => {
    const { os, dataDir } = await bootAt();
    const spec = { name: "drawer", kind: "llm" as const, model: "scripted", tools: ["draw"], capabilities: ["tool:draw#call", "llm:scripted#invoke"], durable: true };
    const missing: string[] = [];
    const one = (i: number): Promise<void> =>
      os.run(spec, { goal: `draw ${i}` }).then((a) => {
        // In the turn the answer arrives: every word of it (the model's token and both tools') is stored.
        const disk = onDisk(dataDir);
        for (const word of a.text.split(" ")) if (!disk.includes(word)) missing.push(`${i}: ${word}`);
      });
    for (let i = 0; i < 10; i++) await one(i);
    await Promise.all(Array.from({ length: 20 }, (_, i) => one(100 + i)));
    expect(missing).toEqual([]);
  });

  it("a durable agent's send to an ephemeral agent arrives once the result it carries is on disk", async () => {
    const seen: { value: string; stored: boolean }[] = [];
    let dataDir = "";
    const sink: AgentLogic = {
      init: () => null,
      receive: (s, m) => {
        const value = String(m);
        seen.push({ value, stored: onDisk(dataDir).includes(value) });
        return s;
      },
    };
    const source: AgentLogic = {
      init: () => null,
      async receive(s, m, ctx) {
        const value = await ctx.sys.ToolCall({ tool: "draw", args: {} });
        await ctx.send(asAgentId(String(m)), value);
        return s;
      },
    };
    const booted = await bootAt({ sink, source });
    dataDir = booted.dataDir;
    const os = booted.os;
    const to = await os.spawn({ name: "sink", kind: "code", logic: "sink", ephemeral: true });
    const from = await os.spawn({ name: "source", kind: "code", logic: "source", durable: true, capabilities: ["tool:draw#call", `agent:${to}#send`] });
    for (let i = 0; i < 10; i++) await os.send(from, to);
    for (let i = 0; i < 100 && seen.length < 10; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(10);
    expect(seen.filter((x) => !x.stored)).toEqual([]);
  });
});
