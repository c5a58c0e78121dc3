/**
 * The kernel's start-up sequence, in one place, for the composition root (sdk/ boot): build the
 * kernel core, register the operator's logics, assemble the subsystems (assemble.ts: declarations
 * checked, factories built in order, the door's stages set once), bring durable agents back once
 * everything they may name exists, and announce the boot. The kernel never imports a subsystem; it
 * is handed them as factories.
 */
import type { AgentLogic, AnySubsystem } from "../abi/index.js";
import { Kernel, type KernelOptions } from "./kernel.js";
import { assemble } from "./assemble.js";
import { BootPhases } from "./boot-phases.js";

export interface CreateKernelOptions extends KernelOptions {
  /** Logics that specs can name with `logic: "<name>"` (durable agents must use one, or `module`). */
  readonly logics?: Readonly<Record<string, AgentLogic>>;
  /** The subsystems, in build order (each after those it needs). */
  readonly subsystems?: readonly AnySubsystem[];
  /** Reported in the `kernel.booted` event. */
  readonly dataDir?: string;
}

export interface CreatedKernel {
  readonly kernel: Kernel;
  /** The subsystems' services, by name. */
  readonly services: ReadonlyMap<string, unknown>;
}

export async function createKernel(options: CreateKernelOptions = {}): Promise<CreatedKernel> {
  const { logics, subsystems, dataDir, ...kernelOptions } = options;
  const kernel = new Kernel(kernelOptions);
  const phases = new BootPhases(kernel.bootPhases);
  for (const [name, logic] of Object.entries(logics ?? {})) kernel.registerLogic(name, logic);
  let assembled: Awaited<ReturnType<typeof assemble>>;
  try {
    assembled = await assemble(kernel, subsystems ?? [], phases);
  } catch (e) {
    // assemble stopped what it built; this stops the kernel's own helpers (the hog clock).
    await kernel.shutdown("boot failed");
    throw e;
  }
  try {
    const journal = kernel.guards.journal;
    if (journal !== undefined) {
      // Durable agents come back after every subsystem is built, so their logics and syscalls exist:
      // all of them into the table, dormant; each is restored on first use (recovery.ts).
      const state = await phases.measure("recover: read the journal's state", () => journal.recover());
      const outcome = await phases.measure("recover: enter the durable agents", () => kernel.recovery.adopt(state));
      for (const f of outcome.failed) kernel.kernelError(new Error(f.reason), `recovery of ${f.id}`);
      kernel.events.emit("kernel.recovered", { restored: outcome.known, dormant: kernel.recovery.dormant, failed: outcome.failed.length, messages: outcome.messages });
    }
    // Agents are back: subsystems resume what their own journals hold open (a plan survives kill -9).
    await phases.measure("start the subsystems", () => assembled.start());
  } catch (e) {
    // A boot that fails gives back everything it took (the data-dir lock first of all, issue #11.8):
    // the kernel's shutdown runs the subsystems' stops.
    await kernel.shutdown("boot failed");
    throw e;
  }
  kernel.events.emit("kernel.booted", { durable: options.durable ?? false, phases: [...kernel.bootPhases], ...(dataDir === undefined ? {} : { dataDir }) });
  return { kernel, services: assembled.services };
}
