/**
 * Issue #15 item 7(c), memory: `maxRecords=10` was escaped with 200 records by spawning children that
 * wrote 10 each. A write is now charged to its owner and to every agent above it that created it, so
 * a limit bounds the whole spawn tree — through a supervisor too — while an unrelated agent of the
 * operator keeps its own count. Real default stack (`boot({ dataDir })`), real SQLite memory store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

async function start(): Promise<Aios> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-memq-"));
  dirs.push(dataDir);
  const os = await boot({ dataDir, logger: silentLogger, logics: { idle }, subsystems: { embedder: false } });
  systems.push(os);
  return os;
}

/** Writes until refused (at most `n`); returns how many were stored. Any refusal must be E_QUOTA. */
async function writeUpTo(os: Aios, id: AgentId, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    try {
      await os.syscall(id, "MemoryStore", { type: "note", content: { text: `note ${i} of ${id}` } });
      ok++;
    } catch (e) {
      expect(e).toMatchObject({ code: "E_QUOTA" });
      break;
    }
  }
  return ok;
}

describe("memory maxRecords bounds a whole spawn tree", () => {
  it("20 children writing 10 each store 10 records in all, not 200", async () => {
    const os = await start();
    const root = await os.spawn({ name: "hoarder", kind: "code", logic: "idle", capabilities: ["agent#spawn"], memory: { maxRecords: 10 } });
    let total = await writeUpTo(os, root, 3);
    for (let i = 0; i < 20; i++) {
      // The attacker gives each child a limit of its own, and a supervisor in between for some.
      const spec = { name: `kid${i}`, kind: "code" as const, logic: "idle", capabilities: ["agent#spawn"], memory: { maxRecords: 10 } };
      const id = i % 2 === 0
        ? (await os.syscall(root, "AgentSpawn", { spec })).id
        : (os.status((await os.syscall(root, "AgentSpawn", { spec: { name: `sup${i}`, kind: "supervisor", children: [spec] } })).id).children[0] as AgentId);
      total += await writeUpTo(os, id, 10);
    }
    expect(total).toBe(10);
    // A grandchild is charged to its parent and to the root.
    const kid = (await os.syscall(root, "AgentSpawn", { spec: { name: "deep", kind: "code", logic: "idle", capabilities: ["agent#spawn"] } })).id;
    const grandkid = (await os.syscall(kid, "AgentSpawn", { spec: { name: "deeper", kind: "code", logic: "idle" } })).id;
    expect(await writeUpTo(os, grandkid, 5)).toBe(0);
  });

  it("an unrelated agent keeps its own count, and a child's limit still bounds the child", async () => {
    const os = await start();
    const root = await os.spawn({ name: "parent", kind: "code", logic: "idle", capabilities: ["agent#spawn"], memory: { maxRecords: 10 } });
    const other = await os.spawn({ name: "neighbour", kind: "code", logic: "idle", memory: { maxRecords: 4 } });
    const kid = (await os.syscall(root, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", memory: { maxRecords: 3 } } })).id;
    expect(await writeUpTo(os, kid, 10)).toBe(3);
    expect(await writeUpTo(os, root, 10)).toBe(7);
    expect(await writeUpTo(os, other, 10)).toBe(4);
  });
});
