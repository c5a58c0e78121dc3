import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock, silentLogger } from "../../src/core/index.js";
import { boot } from "../../src/index.js";
import { memorySubsystem } from "../../src/memory/index.js";
import { tempEnv, type Env } from "./helpers.js";

let env: Env | undefined;
afterEach(() => {
  env?.cleanup();
  env = undefined;
});

const idle = { receive: (s: null) => s };

describe("memorySubsystem through boot()", () => {
  it("serves the memory syscalls to agents under capabilities, spec quotas and scope isolation", async () => {
    env = tempEnv();
    const clock = new SimulatedClock();
    const plugin = memorySubsystem({ dataDir: env.dir, dim: 4, sweepIntervalMs: 1000 });
    const os = await boot({ stack: "bare", clock, logger: silentLogger, add: [plugin] });
    const mem = os.subsystems.memory!;
    const a = await os.spawn({ name: "a", kind: "code", logic: idle, capabilities: ["memory:shared/team#read,write"], memory: { maxRecords: 2 } });
    const b = await os.spawn({ name: "b", kind: "code", logic: idle, capabilities: ["memory:shared/team#read"] });
    const c = await os.spawn({ name: "c", kind: "code", logic: idle });

    const mine = await os.syscall(a, "MemoryStore", { type: "note", content: { text: "a private plan" }, embedding: [1, 0, 0, 0] });
    const team = await os.syscall(a, "MemoryStore", { type: "note", content: { text: "the team plan" }, scope: "shared/team", embedding: [0, 1, 0, 0] });
    await expect(os.syscall(a, "MemoryStore", { type: "note", content: { text: "third" } })).rejects.toMatchObject({ code: "E_QUOTA" });
    await expect(os.syscall(b, "MemoryStore", { type: "note", content: { text: "b writes" }, scope: "shared/team" })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(a, "MemoryStore", { type: "bogus", content: {} })).rejects.toMatchObject({ code: "E_INVALID_ARG" });

    const bHits = (await os.syscall(b, "MemoryQuery", { text: "plan", k: 10 })).hits as { id: string }[];
    expect(bHits.map((h) => h.id)).toEqual([team.id]);
    const cHits = (await os.syscall(c, "MemoryQuery", { text: "plan", vector: [1, 0, 0, 0], k: 10 })).hits;
    expect(cHits).toEqual([]);
    await expect(os.syscall(c, "MemoryQuery", { text: "plan", filter: { scope: "shared/team" } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(b, "MemoryGet", { id: mine.id })).rejects.toMatchObject({ code: "E_NOT_FOUND" });
    await expect(os.syscall(b, "MemoryUpdate", { id: team.id, content: { text: "b edits" } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });

    const up = await os.syscall(a, "MemoryUpdate", { id: team.id, content: { text: "the team plan v2" } });
    expect((await os.syscall(a, "MemoryHistory", { id: team.id })).versions).toHaveLength(2);
    expect(await os.syscall(b, "MemoryGet", { id: team.id })).toMatchObject({ version: up.version, content: { text: "the team plan v2" } });
    expect(await os.syscall(a, "MemoryLink", { from: team.id, to: mine.id, type: "refines" })).toEqual({ created: true });
    expect((await os.syscall(a, "MemoryNeighbors", { id: team.id })).nodes).toHaveLength(1);
    expect((await os.syscall(b, "MemoryNeighbors", { id: team.id })).nodes).toHaveLength(0);

    expect(await os.syscall(c, "AgentMemAlloc", { bytes: 1000 })).toEqual({ allocated: 1000 });
    expect(await os.syscall(c, "AgentMemFree", { bytes: 400 })).toEqual({ allocated: 600 });
    expect(mem.fabric.usage(c).reserved).toBe(600);

    // Working memory: RAM first, written behind on the kernel clock.
    await mem.working.set(c, "step", 3);
    expect(await mem.working.get(c, "step")).toBe(3);
    expect(mem.fabric.usage(c).records).toBe(0);
    await clock.advanceAsync(1000);
    expect(mem.fabric.usage(c).records).toBe(1);
    // a is at its record quota: the flush fails loudly and the entry stays dirty.
    await mem.working.set(a, "step", 1);
    await expect(mem.working.flush()).rejects.toMatchObject({ code: "E_QUOTA" });
    await os.shutdown().catch(() => undefined);
    const again = await boot({ stack: "bare", clock, logger: silentLogger, add: [memorySubsystem({ dataDir: env.dir, dim: 4 })] });
    await again.shutdown();
  });
});
