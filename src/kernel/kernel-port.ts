/**
 * What the kernel's components share besides each other: how an agent ended (ExitInfo) and the
 * kernel-wide flags (KernelFlags) — one small object, handed by reference to the components that read
 * it, written only by the Kernel (shutdown) and by grants (capGeneration). Each component declares
 * the collaborators it needs in its own `...Deps` interface and gets them by constructor; none of
 * them sees the Kernel class, so the kernel has no import cycle (type imports counted).
 */
import type { AgentId, AgentStatus } from "../core/index.js";

export interface ExitInfo {
  readonly id: AgentId;
  readonly status: AgentStatus;
  readonly reason: string | undefined;
  readonly result: unknown;
}

export interface KernelFlags {
  /** The kernel is shutting down (durable agents stop without ending; their letters stay journaled). */
  closing: boolean;
  /** Bumped when grants change, so per-agent cached send decisions are recomputed. */
  capGeneration: number;
  /** The process whose receive the run loop is calling (its synchronous part), or null (init-ctx.ts). */
  receiving: object | null;
}
