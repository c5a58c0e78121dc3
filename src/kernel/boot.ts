/**
 * The composition root: the one place that wires concrete drivers and subsystems into a kernel.
 * boot() builds the kernel core, installs the subsystems' plugins in order (each registers its
 * syscalls and replaces guard stages), and returns the SDK facade (sdk.ts).
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger, type Clock, type IdGenerator, type Logger } from "../core/index.js";
import { Kernel } from "./kernel.js";
import type { AgentLogic } from "../abi/index.js";
import type { Plugin } from "./plugin.js";
import { Aios } from "./sdk.js";
import { restoreAgents } from "./recovery.js";

export interface BootOptions {
  /** Where state lives (default `$AIOS_HOME` or `./.aios`). Created if missing. */
  readonly dataDir?: string;
  /** Journal agents so they survive a crash (needs a storage plugin; default false). */
  readonly durable?: boolean;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** Logics that specs can name with `logic: "<name>"` (durable agents must use one, or `module`). */
  readonly logics?: Readonly<Record<string, AgentLogic>>;
  /** Extra subsystems, installed after the built-in ones. */
  readonly plugins?: readonly Plugin[];
  readonly hogThresholdMs?: number;
  readonly sliceMs?: number;
}

export function defaultDataDir(): string {
  return resolve(process.env["AIOS_HOME"] ?? ".aios");
}

export async function boot(options: BootOptions = {}): Promise<Aios> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const kernel = new Kernel({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.ids ? { ids: options.ids } : {}),
    logger: options.logger ?? createLogger(),
    durable: options.durable ?? false,
    ...(options.hogThresholdMs !== undefined ? { hogThresholdMs: options.hogThresholdMs } : {}),
    ...(options.sliceMs !== undefined ? { sliceMs: options.sliceMs } : {}),
  });
  await kernel.ready;
  for (const [name, logic] of Object.entries(options.logics ?? {})) kernel.registerLogic(name, logic);
  const plugins: Plugin[] = [
    // Built-in subsystems are installed here as they land (store, security, audit, tools, models, sched, memory).
    ...(options.plugins ?? []),
  ];
  for (const plugin of plugins) await plugin.install(kernel);
  const journal = kernel.guards.journal;
  if (journal !== undefined) {
    // Durable agents come back after every plugin is in, so their logics and syscalls exist.
    const outcome = await restoreAgents(kernel, await journal.recover());
    for (const f of outcome.failed) kernel.kernelError(new Error(f.reason), `recovery of ${f.id}`);
    kernel.events.emit("kernel.recovered", { restored: outcome.restored.length, failed: outcome.failed.length, messages: outcome.messages });
  }
  kernel.events.emit("kernel.booted", { durable: options.durable ?? false, ...(dataDir ? { dataDir } : {}) });
  return new Aios(kernel, dataDir);
}
