/**
 * The syscall table: each syscall's definition (its schema, the capabilities it needs, its handler
 * and how the door treats it), registered by the kernel and the subsystems at boot. The door
 * (dispatcher.ts) reads a definition per call; a name registered twice is a configuration error,
 * unless a subsystem replaces a kernel default on purpose.
 */
import { AiosError } from "../core/index.js";
import type { AnySyscallDef, SyscallDef, SyscallName } from "../abi/index.js";

/** A definition as the door handles it, whatever its syscall. */
export type AnyDef = SyscallDef<SyscallName>;

export class SyscallRegistry {
  private readonly defs = new Map<string, AnyDef>();

  register<N extends SyscallName>(def: SyscallDef<N>): void {
    this.provide(def as unknown as AnySyscallDef, false);
  }
  /** Replaces a registered syscall (a subsystem taking over a kernel default, e.g. ipc/'s SemanticSend). */
  replace<N extends SyscallName>(def: SyscallDef<N>): void {
    this.provide(def as unknown as AnySyscallDef, true);
  }
  /** A subsystem's definition (a member of the table's union): registered, or replacing a default. */
  provide(def: AnySyscallDef, replace: boolean): void {
    if (!replace && this.defs.has(def.name)) throw new AiosError("E_CONFIG", `syscall ${def.name} is registered twice`);
    this.defs.set(def.name, def as unknown as AnyDef);
  }
  get(name: string): AnyDef | undefined {
    return this.defs.get(name);
  }
  names(): string[] {
    return [...this.defs.keys()].sort();
  }
}
