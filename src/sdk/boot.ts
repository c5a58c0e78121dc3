/**
 * The one boot (DESIGN "Layers": the composition root lives in sdk/, above every subsystem; the
 * kernel never imports one). It picks the subsystems — the embedded default stack (subsystems.ts)
 * unless `stack: "bare"` asks for the kernel core alone — plus those the caller adds, hands them to
 * the kernel's createKernel (declarations checked, factories built in order, the door assembled
 * once, durable agents recovered) and returns the one SDK facade, Aios. docs/adr/0021.
 *
 * Defaults (issue #11.1): `boot()` is the whole OS in a temporary data directory that shutdown
 * removes (nothing journaled: it would not outlive the process); `boot({ dataDir })` journals every
 * agent a restart can bring back unless its spec says `ephemeral: true` or `durable: false`. An
 * option boot would ignore is an E_CONFIG naming it (boot-options.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createLogger, ownerOnlyDir } from "../core/index.js";
import type { AnySubsystem } from "../abi/index.js";
import { createKernel } from "../kernel/index.js";
import { Aios, type Subsystems } from "./aios.js";
import { checkBootOptions, type BootOptions } from "./boot-options.js";

export type { BootOptions } from "./boot-options.js";
import { readConfigFile, type ConfigFile } from "./config-file.js";
import { tracingFromConfig } from "../observe/index.js";
import { defaultStack, type SubsystemOptions } from "./subsystems.js";


export async function boot(options: BootOptions = {}): Promise<Aios> {
  checkBootOptions(options);
  const kind = options.stack ?? "default";
  const temporary = kind === "default" && options.dataDir === undefined;
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), "aios-")) : options.dataDir === undefined ? undefined : resolve(options.dataDir);
  try {
    return await bootIn(options, kind, dataDir, temporary);
  } catch (e) {
    // A boot that fails gives back what it took: its subsystems stopped (createKernel), its temp dir.
    if (temporary && dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

async function bootIn(options: BootOptions, kind: "default" | "bare", dataDir: string | undefined, temporary: boolean): Promise<Aios> {
  let stack: readonly AnySubsystem[] = [];
  let fromFile: ConfigFile & { readonly path?: string } = {};
  // Owner-only: the journal, audit log, memory and key stores are nobody else's (issue #15.4).
  if (dataDir !== undefined) ownerOnlyDir(dataDir);
  if (kind === "default" && dataDir !== undefined) {
    fromFile = readConfigFile(dataDir);
    stack = defaultStack(dataDir, subsystemOptions(options, fromFile));
  }
  // A temporary directory goes at shutdown: journaling into it would promise what it cannot keep.
  const durable = options.durable ?? fromFile.durable ?? (kind === "default" && !temporary);
  const hog = options.hogThresholdMs ?? fromFile.hogThresholdMs;
  const moduleRoots = options.moduleRoots ?? fromFile.moduleRoots;
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
    ...(moduleRoots === undefined ? {} : { moduleRoots }),
    ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
    ...(dataDir === undefined ? {} : { dataDir }),
  });
  // Each service under its subsystem's name: the names Subsystems types are the stack's own.
  const subsystems: Subsystems = Object.fromEntries(services);
  return new Aios(kernel, dataDir, subsystems, { temporary });
}

/** boot()'s options over the data dir's config file, section by section. */
function subsystemOptions(options: BootOptions, file: ConfigFile & { readonly path?: string }): SubsystemOptions {
  const sub = options.subsystems ?? {};
  const models = options.models ?? sub.models?.models ?? file.models;
  const fromFile = {
    ...(file.policy === undefined ? {} : { policy: file.policy }),
    ...(file.taintGuard === undefined ? {} : { taintGuard: file.taintGuard }),
    ...(file.trustedRoots === undefined ? {} : { trustedRoots: file.trustedRoots }),
  };
  const security = sub.security ?? (Object.keys(fromFile).length === 0 ? undefined : fromFile);
  const sched = sub.sched ?? (file.sched);
  const mcp = sub.mcp === false ? false : { ...(sub.mcp ?? {}), servers: { ...(file.mcp?.servers ?? {}), ...(sub.mcp?.servers ?? {}) } };
  const store = sub.store === false || file.storage === undefined || sub.store?.storage !== undefined ? sub.store : { ...(sub.store ?? {}), storage: file.storage };
  // Tracing given to boot (aios up --otlp) wins over the file's; the file's may leave it off.
  const tracing = sub.observe === false || sub.observe?.tracing !== undefined ? undefined : tracingFromConfig(file.tracing, `${file.path ?? "config.yaml"}: tracing`);
  return {
    ...sub,
    mcp,
    ...(store === undefined ? {} : { store }),
    ...(tracing === undefined ? {} : { observe: { ...(sub.observe === false ? {} : (sub.observe ?? {})), tracing } }),
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
