/**
 * Booting and stopping a kernel inside the CLI process (for `aios up` and for `aios run` without a
 * daemon). drainKernel is the orderly stop: the kernel lets every running step finish, stops its
 * agents without ending durable ones in the journal (they come back at the next boot from their
 * checkpoints), and its shutdown hooks flush and close the journal.
 */
import { createLogger, type Logger } from "../core/index.js";
import { parseModelsConfig } from "../models/index.js";
import { boot, type Aios, type BootOptions } from "../sdk/index.js";
import type { TracingOptions } from "../observe/index.js";
import type { AnySubsystem } from "../abi/index.js";
import { readConfigFile } from "./config-file.js";
import { ensureTsLoader } from "./ts-loader.js";

export interface HostOptions {
  readonly dataDir: string;
  /** A models config file (YAML/JSON: entries by name, see src/models/config.ts). */
  readonly modelsFile?: string;
  /** A policy file (YAML, see src/security/policy-rules.ts). */
  readonly policyFile?: string;
  readonly logger?: Logger;
  /** `aios recover --accept-loss`: open a journal that lost acknowledged records (ADR 0012). */
  readonly acceptLoss?: boolean;
  /** Tracing on with these options (`aios up --otlp`), over config.yaml's `tracing`. */
  readonly tracing?: TracingOptions;
  /** A subsystem that provides the journal instead of the data dir's store (a cluster node's). */
  readonly journal?: AnySubsystem;
}

export async function bootHost(o: HostOptions): Promise<Aios> {
  await ensureTsLoader();
  // Validated here too, so a bad file is a usage error naming --models before anything boots.
  const models = o.modelsFile === undefined ? undefined : parseModelsConfig(readConfigFile(o.modelsFile, "--models")).models;
  const options: BootOptions = {
    dataDir: o.dataDir,
    durable: true,
    // Kernel logs go to stderr at warn and above: stdout belongs to the command's output.
    logger: o.logger ?? createLogger(),
    ...(models === undefined ? {} : { models }),
    ...(o.journal === undefined ? {} : { add: [o.journal] }),
    subsystems: {
      ...(o.policyFile === undefined ? {} : { security: { policyFile: o.policyFile } }),
      ...(o.journal !== undefined ? { store: false } : o.acceptLoss === true ? { store: { onLoss: "accept" } } : {}),
      ...(o.tracing === undefined ? {} : { observe: { tracing: o.tracing } }),
    },
  };
  return boot(options);
}

export async function drainKernel(os: Aios, reason = "drain"): Promise<void> {
  // The kernel drains running steps, stops agents without ending durable ones in the journal, and
  // its shutdown hooks flush and close the journal (docs/adr/0006, Kernel.shutdown).
  await os.shutdown(reason);
}
