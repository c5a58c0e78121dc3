import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedClock } from "../../src/core/index.js";
import { MemoryFabric, type MemoryFabricOptions } from "../../src/memory/index.js";

export interface Env {
  dir: string;
  clock: SimulatedClock;
  open(o?: Partial<MemoryFabricOptions>): Promise<MemoryFabric>;
  cleanup(): void;
}

export function tempEnv(): Env {
  const dir = mkdtempSync(join(tmpdir(), "aios-mem-"));
  const clock = new SimulatedClock();
  return {
    dir,
    clock,
    open: (o = {}) => MemoryFabric.open({ dataDir: dir, clock, dim: 4, ...o }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function code(p: Promise<unknown>): Promise<{ code: string; path: unknown; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; details?: { path?: unknown }; message: string };
    return { code: err.code, path: err.details?.path, message: err.message };
  }
  throw new Error("expected a rejection");
}
