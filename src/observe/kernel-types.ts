/**
 * The kernel contract types observe/ uses, in one place: when they move to abi/ (the one-door work),
 * only this file changes. Type imports only: observe/ never calls into the kernel.
 */
import type { SyscallDef, SyscallName } from "../abi/index.js";

export type { Caller, SyscallDef, SyscallName } from "../abi/index.js";
export type { Kernel, Plugin, AgentInfo } from "../kernel/index.js";

/** What instrumentation needs of the syscall registry (the kernel's `syscalls`). */
export interface SyscallRegistryPort {
  names(): string[];
  get(name: string): SyscallDef<SyscallName> | undefined;
  replace<N extends SyscallName>(def: SyscallDef<N>): void;
}
