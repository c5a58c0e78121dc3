/**
 * The one boot (DESIGN "Layers": the composition root lives in sdk/, above every subsystem; the
 * kernel never imports one). It picks the subsystems — the embedded default stack (subsystems.ts)
 * when there is a data directory, none on a bare kernel — plus those the caller adds, hands them to
 * the kernel's createKernel (declarations checked, factories built in order, the door assembled
 * once, durable agents recovered) and returns the one SDK facade, Aios. docs/adr/0021.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { AiosError, createLogger, type Clock, type IdGenerator, type Logger } from "../core/index.js";
import type { AgentLogic, AnySubsystem } from "../abi/index.js";
import { createKernel, type KernelLimits } from "../kernel/index.js";
import { Aios, type Subsystems } from "./aios.js";
import { readConfigFile, type ConfigFile } from "./config-file.js";
import { defaultStack, type SubsystemOptions } from "./subsystems.js";

export interface BootOptions {
  /** Where state lives; created if missing. With one, the default stack is built (see `stack`). */
  readonly dataDir?: string;
  /**
   * "default": the embedded default stack (store, security, audit, tools, sched, MCP, models when
   * configured, memory, ipc, observe) in `dataDir` — the default when a dataDir is given, and an
   * error without one. "bare": the kernel core and only the subsystems in `add` — the default
   * without a dataDir (in memory, spec-granted capabilities; kernel tests and benchmarks).
   */
  readonly stack?: "default" | "bare";
  /** Options of the default stack's subsystems, section by section (over the data dir's config file). */
  readonly subsystems?: SubsystemOptions;
  /** Shorthand for `subsystems.models.models`: model entries by name. */
  readonly models?: NonNullable<SubsystemOptions["models"]>["models"];
  /** More subsystems, built after the stack's, in order (each after those it needs). */
  readonly add?: readonly AnySubsystem[];
  /** Journal agents so they survive a crash (needs the store; default false, or the config file's). */
  readonly durable?: boolean;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** Logics that specs can name with `logic: "<name>"` (durable agents must use one, or `module`). */
  readonly logics?: Readonly<Record<string, AgentLogic>>;
  readonly hogThresholdMs?: number;
  readonly sliceMs?: number;
  readonly limits?: Partial<KernelLimits>;
}

export async function boot(options: BootOptions = {}): Promise<Aios> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  const kind = options.stack ?? (dataDir === undefined ? "bare" : "default");
  let stack: readonly AnySubsystem[] = [];
  let fromFile: ConfigFile = {};
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  if (kind === "default") {
    if (dataDir === undefined) throw new AiosError("E_CONFIG", `stack: "default" keeps its state in a data directory: give dataDir`, { details: { path: "dataDir" } });
    fromFile = readConfigFile(dataDir);
    stack = defaultStack(dataDir, subsystemOptions(options, fromFile));
  }
  const durable = options.durable ?? fromFile.durable ?? false;
  const hog = options.hogThresholdMs ?? fromFile.hogThresholdMs;
  const { kernel, services } = await createKernel({
    durable,
    logger: options.logger ?? createLogger(),
    subsystems: [...stack, ...(options.add ?? [])],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.ids === undefined ? {} : { ids: options.ids }),
    ...(options.logics === undefined ? {} : { logics: options.logics }),
    ...(hog === undefined ? {} : { hogThresholdMs: hog }),
    ...(options.sliceMs === undefined ? {} : { sliceMs: options.sliceMs }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(dataDir === undefined ? {} : { dataDir }),
  });
  // Each service under its subsystem's name: the names Subsystems types are the stack's own.
  const subsystems: Subsystems = Object.fromEntries(services);
  return new Aios(kernel, dataDir, subsystems);
}

/** boot()'s options over the data dir's config file, section by section. */
function subsystemOptions(options: BootOptions, file: ConfigFile): SubsystemOptions {
  const sub = options.subsystems ?? {};
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
