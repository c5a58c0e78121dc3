/**
 * boot()'s options as a checked contract: an option boot does not know, or one this system would
 * ignore, is an E_CONFIG naming it — never silently dropped. What would be ignored: sections of the
 * default stack (`subsystems`, `models`) on a bare kernel, and `durable: true` where nothing journals
 * (a bare kernel without a store, or a temporary data dir that is removed at shutdown).
 */
import { AiosError, type Clock, type IdGenerator, type Logger } from "../core/index.js";
import type { AgentLogic, AnySubsystem } from "../abi/index.js";
import type { IsolateLimits, KernelLimits } from "../kernel/index.js";
import type { SubsystemOptions } from "./subsystems.js";

export interface BootOptions {
  /**
   * Where state lives; created if missing. Without one the default stack lives in a temporary
   * directory that shutdown removes (`os.temporary` is then true).
   */
  readonly dataDir?: string;
  /**
   * "default" (the default): the embedded default stack (store, security, audit, tools, sched, MCP,
   * models when configured, memory, ipc, planner, observe). "bare": the kernel core and only the
   * subsystems in `add` (spec-granted capabilities, in memory unless `add` holds a store; kernel
   * tests and benchmarks). `subsystems` and `models` on a bare kernel are an error: nothing reads them.
   */
  readonly stack?: "default" | "bare";
  /** Options of the default stack's subsystems, section by section (over the data dir's config file). */
  readonly subsystems?: SubsystemOptions;
  /** Shorthand for `subsystems.models.models`: model entries by name. */
  readonly models?: NonNullable<SubsystemOptions["models"]>["models"];
  /** More subsystems, built after the stack's, in order (each after those it needs). */
  readonly add?: readonly AnySubsystem[];
  /**
   * Journal agents so they survive a crash (needs a store): default true with a `dataDir` on the
   * default stack (or the config file's `durable`), false otherwise. Applies to agents a restart can
   * respawn (a named logic, a module, an llm agent); a spec's `durable` / `ephemeral` wins.
   */
  readonly durable?: boolean;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** Logics that specs can name with `logic: "<name>"` (durable agents must use one, or `module`). */
  readonly logics?: Readonly<Record<string, AgentLogic>>;
  readonly hogThresholdMs?: number;
  readonly sliceMs?: number;
  readonly limits?: Partial<KernelLimits>;
  /**
   * Directories whose files a spec's `module` may name (docs/adr/0022); over the config file's
   * `moduleRoots`. Unset in both: the operator's spawns load from the working directory, agents name
   * no module at all (registered logics and LLM specs only).
   */
  readonly moduleRoots?: readonly string[];
  /** Limits of isolated agents: guest heap bytes, stack bytes, longest run without yielding (docs/adr/0023). */
  readonly isolation?: Partial<IsolateLimits>;
}

/** Every option boot() reads; anything else is refused by name. */
const KNOWN: ReadonlySet<string> = new Set([
  "dataDir", "stack", "subsystems", "models", "add", "durable", "clock", "ids", "logger", "logics", "hogThresholdMs", "sliceMs", "limits", "moduleRoots", "isolation",
] satisfies (keyof BootOptions)[]);

function refuse(option: string, why: string): never {
  throw new AiosError("E_CONFIG", `boot: option "${option}" ${why}`, { details: { option } });
}

/** Throws E_CONFIG naming the first option boot() would not honour. */
export function checkBootOptions(options: unknown): asserts options is BootOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new AiosError("E_CONFIG", `boot: options must be an object (got ${Array.isArray(options) ? "an array" : String(options)})`, { details: { option: "options" } });
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) refuse(key, `is not a boot option (known: ${[...KNOWN].join(", ")})`);
  }
  if (o["dataDir"] !== undefined && (typeof o["dataDir"] !== "string" || o["dataDir"] === "")) refuse("dataDir", "must be a non-empty path");
  if (o["stack"] !== undefined && o["stack"] !== "default" && o["stack"] !== "bare") refuse("stack", `must be "default" or "bare" (got ${JSON.stringify(o["stack"])})`);
  if (o["durable"] !== undefined && typeof o["durable"] !== "boolean") refuse("durable", "must be true or false");
  if (o["add"] !== undefined && !Array.isArray(o["add"])) refuse("add", "must be a list of subsystems");
  const roots = o["moduleRoots"];
  if (roots !== undefined && !(Array.isArray(roots) && roots.every((r) => typeof r === "string" && r !== ""))) refuse("moduleRoots", "must be a list of directory paths");
  if (o["stack"] === "bare") {
    // Sections of the default stack have no subsystem to go to on a bare kernel.
    for (const key of ["subsystems", "models"]) {
      if (o[key] !== undefined) refuse(key, `configures the default stack, which stack: "bare" does not build (add the subsystem with \`add\`, or drop stack: "bare")`);
    }
    const add = (o["add"] ?? []) as readonly { readonly name?: unknown }[];
    if (o["durable"] === true && !add.some((s) => s.name === "store" || s.name === "cluster")) {
      refuse("durable", `needs a journal: stack: "bare" has none unless \`add\` holds storeSubsystem`);
    }
  } else if (o["dataDir"] === undefined && o["durable"] === true) {
    refuse("durable", "needs a dataDir: without one the system lives in a temporary directory removed at shutdown, so nothing would survive");
  }
}
