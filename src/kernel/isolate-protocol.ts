/**
 * The messages between the kernel and an isolated agent's worker (docs/adr/0023). Everything that
 * crosses is plain data — JSON text for values, strings and numbers for the rest — so the worker never
 * holds a kernel object, and every effect the guest asks for is a `call` the kernel runs through the
 * agent's own context: `sys` is the syscall door (dispatcher.invoke with the agent as caller), `send`,
 * `request` and `spawn` are ctx's shorthands over the same door, `reply` answers the letter of the
 * receive it names.
 */

/** Limits the worker applies to the guest (the kernel also caps the worker's V8 heap). */
export interface IsolateLimits {
  /** Bytes the guest's QuickJS heap may grow by (watched at WebAssembly page granularity). */
  readonly memoryBytes: number;
  /** The guest's stack, bytes (at most 256 KiB: deeper overflows the worker's own stack first). */
  readonly stackBytes: number;
  /** Longest the guest may run without yielding (awaiting a call or returning), ms; then E_TIMEOUT. */
  readonly sliceMs: number;
  /**
   * Largest text the guest may hand the kernel at once (a state, a call's arguments), in UTF-16
   * units: the kernel parses it on its own thread, so a guest must not make it parse megabytes.
   */
  readonly crossingChars: number;
}

export const DEFAULT_ISOLATE_LIMITS: IsolateLimits = { memoryBytes: 32 << 20, stackBytes: 192 << 10, sliceMs: 2_000, crossingChars: 1 << 20 };

/** What the worker is started with (workerData). `wasm` is the compiled QuickJS module, shared. */
export interface IsolateBoot {
  readonly wasm: unknown;
  readonly limits: IsolateLimits;
}

/** Who the guest is and what it is handling, for its ctx. */
export interface GuestMeta {
  readonly self: string;
  readonly sender: string | null;
  readonly messageId: string | null;
  /** ctx.enveloped: an envelope ipc/ admitted, not a plain letter. */
  readonly enveloped: boolean;
  /**
   * The receive this ctx belongs to (0 for init). The guest's replies name it (a `reply` call's
   * `name`), so a reply made after its receive returned answers its own request (docs/adr/0081).
   */
  readonly turn: number;
}

export type ToWorker =
  | { readonly t: "load"; readonly id: number; readonly source: string; readonly file: string; readonly exportName: string; readonly spec: string }
  | { readonly t: "init"; readonly id: number; readonly args: string; readonly meta: GuestMeta }
  | { readonly t: "receive"; readonly id: number; readonly state: string; readonly payload: string; readonly meta: GuestMeta }
  | { readonly t: "result"; readonly call: number; readonly value?: string; readonly error?: WireError };

export type CallOp = "sys" | "send" | "request" | "reply" | "spawn";

export type FromWorker =
  /** `turn`: the receive whose ctx made the call (GuestMeta.turn; 0 for the ctx of init). */
  | { readonly t: "call"; readonly call: number; readonly op: CallOp; readonly name: string; readonly args: string; readonly turn: number }
  | { readonly t: "done"; readonly id: number; readonly value?: string; readonly error?: WireError };

export interface WireError {
  readonly code: string;
  readonly message: string;
}

/** The guest's outcome of a receive, as JSON: a new state, or a stop. */
export type GuestOutcome =
  | { readonly state: unknown }
  | { readonly stop: { readonly outcome: "completed" | "failed"; readonly result?: unknown; readonly reason?: string } };
