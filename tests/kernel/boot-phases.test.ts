/**
 * boot()'s breakdown (issue #17.6, kernel/boot-phases.ts): every step of the kernel's start-up —
 * each subsystem's build in build order, reading the recovered state, entering the durable agents,
 * the start steps — is on `kernel.bootPhases` with its wall and CPU time, and the same list rides
 * the `kernel.booted` event. A boot on a data directory with durable agents, as a restart is.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, storeSubsystem, type AgentLogic, type BootOptions } from "../../src/index.js";
import type { BootPhase } from "../../src/kernel/index.js";
import type { Subsystem } from "../../src/abi/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const echo: AgentLogic<number> = { init: () => 0, receive: (n, m, ctx) => (ctx.reply(m), n + 1), snapshot: (n) => n, restore: (d) => Number(d) };

function options(dataDir: string): BootOptions {
  return { dataDir, stack: "bare", durable: true, logics: { echo }, add: [storeSubsystem({ dataDir })] };
}

describe("boot phases", () => {
  it("names every step of a restart's boot in order, each with its wall and CPU time", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-phases-"));
    dirs.push(dataDir);
    const first = await boot(options(dataDir));
    const id = await first.spawn({ name: "e", kind: "code", logic: "echo" });
    await first.shutdown();

    const os = await boot(options(dataDir));
    const phases: readonly BootPhase[] = os.kernel.bootPhases;
    expect(phases.map((p) => p.name)).toEqual(["build store", "recover: read the journal's state", "recover: enter the durable agents", "start the subsystems"]);
    for (const p of phases) {
      expect(Number.isFinite(p.wallMs) && p.wallMs >= 0).toBe(true);
      expect(Number.isFinite(p.cpuMs) && p.cpuMs >= 0).toBe(true);
    }
    // The agent entered at boot answers: the steps measured a boot that worked.
    expect(await os.request(id, "hi")).toBe("hi");
    await os.shutdown();
  });

  it("carries the steps on the kernel.booted event", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-phases-"));
    dirs.push(dataDir);
    const seen: unknown[] = [];
    // A subsystem built during boot listens from before the event is emitted.
    const spy: Subsystem<"spy", undefined> = {
      name: "spy",
      needs: [],
      build(host) {
        host.events.subscribe({ types: ["kernel.booted"] }, (e) => void seen.push(e.data));
        return { service: undefined };
      },
    };
    const os = await boot({ ...options(dataDir), add: [storeSubsystem({ dataDir }), spy] });
    await new Promise((r) => setImmediate(r));
    const phases = os.kernel.bootPhases;
    await os.shutdown();
    expect(phases.map((p) => p.name)).toContain("build spy");
    expect(seen).toEqual([{ durable: true, dataDir, phases }]);
  });
});
