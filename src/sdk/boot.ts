/**
 * The composition root (DESIGN: "the one place that wires concrete drivers and subsystems"). It lives
 * here, above every subsystem, rather than in kernel/boot.ts: the subsystems import the kernel, so a
 * kernel module importing them would be a cycle (docs/adr/0002). kernel/boot.ts boots a bare kernel
 * with the plugins it is given; this boot() adds the embedded default stack when there is a data dir.
 */
import { resolve } from "node:path";
import { boot as bootKernel, type BootOptions as KernelBootOptions, type Plugin } from "../kernel/index.js";
import { defaultPlugins, type SubsystemOptions, type Subsystems } from "./subsystems.js";
import { AiosSystem } from "./system.js";

export interface BootOptions extends KernelBootOptions {
  /**
   * The embedded default stack (store, security, audit, tools, sched, models, memory), installed when
   * a data directory is given; `false` boots a bare kernel even with one.
   */
  readonly subsystems?: SubsystemOptions | false;
  /** Shorthand for `subsystems.models.models`: model entries by name. */
  readonly models?: NonNullable<SubsystemOptions["models"]>["models"];
}

export async function boot(options: BootOptions = {}): Promise<AiosSystem> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  let plugins: Plugin[] = [];
  let subsystems: Subsystems = {};
  if (dataDir !== undefined && options.subsystems !== false) {
    const stack = defaultPlugins(dataDir, subsystemOptions(options));
    plugins = stack.plugins;
    subsystems = stack.subsystems;
  }
  const os = await bootKernel({ ...options, plugins: [...plugins, ...(options.plugins ?? [])] });
  return new AiosSystem(os.kernel, os.dataDir, subsystems);
}

function subsystemOptions(options: BootOptions): SubsystemOptions {
  const sub = options.subsystems === false ? {} : (options.subsystems ?? {});
  if (options.models === undefined) return sub;
  return { ...sub, models: { ...(sub.models ?? {}), models: options.models } };
}
