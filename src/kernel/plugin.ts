/**
 * How a subsystem joins the kernel: boot() calls install() on each plugin in order, after the kernel
 * core exists and before any agent runs. A plugin registers syscalls, replaces guard stages, adds
 * logic kinds and shutdown hooks; it never reaches into kernel internals.
 */
import type { Kernel } from "./kernel.js";

export interface Plugin {
  readonly name: string;
  install(kernel: Kernel): void | Promise<void>;
}
