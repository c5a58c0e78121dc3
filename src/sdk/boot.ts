/**
 * The composition root (DESIGN: "the one place that wires concrete drivers and subsystems"). It lives
 * here, above every subsystem, rather than in kernel/boot.ts: the subsystems import the kernel, so a
 * kernel module importing them would be a cycle (docs/adr/0002). kernel/boot.ts boots a bare kernel
 * with the plugins it is given; this boot() adds the embedded default stack when there is a data dir.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { readConfigFile, type ConfigFile } from "./config-file.js";
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
  let fromFile: ConfigFile = {};
  if (dataDir !== undefined && options.subsystems !== false) {
    mkdirSync(dataDir, { recursive: true });
    fromFile = readConfigFile(dataDir);
    const stack = defaultPlugins(dataDir, subsystemOptions(options, fromFile));
    plugins = stack.plugins;
    subsystems = stack.subsystems;
  }
  const os = await bootKernel({
    ...(fromFile.durable === undefined ? {} : { durable: fromFile.durable }),
    ...(fromFile.hogThresholdMs === undefined ? {} : { hogThresholdMs: fromFile.hogThresholdMs }),
    ...options,
    plugins: [...plugins, ...(options.plugins ?? [])],
  });
  // Agents are restored by now: plans the journal holds open continue (a plan survives kill -9).
  subsystems.planner?.resume();
  return new AiosSystem(os.kernel, os.dataDir, subsystems);
}

/** boot()'s options over the data dir's config file, section by section. */
function subsystemOptions(options: BootOptions, file: ConfigFile): SubsystemOptions {
  const sub = options.subsystems === false ? {} : (options.subsystems ?? {});
  const models = options.models ?? sub.models?.models ?? file.models;
  const security = sub.security ?? (file.policy === undefined ? undefined : { policy: file.policy });
  const sched = sub.sched ?? (file.sched);
  const mcp = sub.mcp === false ? false : { ...(sub.mcp ?? {}), servers: { ...(file.mcp?.servers ?? {}), ...(sub.mcp?.servers ?? {}) } };
  return {
    ...sub,
    mcp,
    ...(security === undefined ? {} : { security }),
    ...(sched === undefined ? {} : { sched }),
    ...(models === undefined
      ? {}
      : {
          models: {
            ...(file.routes === undefined ? {} : { routes: file.routes }),
            ...(file.defaultModel === undefined ? {} : { defaultModel: file.defaultModel }),
            ...(sub.models ?? {}),
            models: models as NonNullable<SubsystemOptions["models"]>["models"],
          },
        }),
  };
}
