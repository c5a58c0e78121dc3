/**
 * What the router hands a provider for one attempt of a call (ChatOptions). Its signal is the
 * call's, read when the provider first asks for it (ADR 0077): an agent's abort controller is made
 * per agent on first read, and an in-process provider that only asks "cancelled?" never makes it.
 */
import { callAborted, type CallSignal, type TraceSpan } from "../abi/index.js";
import type { ChatOptions } from "./types.js";

/** The signal of a call that names none: never aborted. */
const NEVER: AbortSignal = new AbortController().signal;

/** The signal a route call is cancelled by: its syscall's, else its own (router users outside the door). */
export function signalOf(call: { readonly cancel?: CallSignal; readonly signal?: AbortSignal }): AbortSignal | undefined {
  return call.cancel === undefined ? call.signal : call.cancel.signal;
}

/** Whether that signal is aborted, without making a syscall's. */
export function abortedOf(call: { readonly cancel?: CallSignal; readonly signal?: AbortSignal }): boolean {
  const c = call.cancel;
  return c === undefined ? call.signal?.aborted === true : callAborted(c);
}

/** A class with its optional fields set one by one: a literal built from optional parts is slow per call. */
export class CallOptions implements ChatOptions {
  // `declare`: an absent option stays absent (no own property set to undefined); the router sets them.
  declare maxTokens?: number;
  declare temperature?: number;
  declare preemption?: { readonly requested: boolean; yield(): Promise<void> };
  declare trace?: TraceSpan;

  constructor(
    readonly session: string,
    private readonly from: { readonly cancel?: CallSignal; readonly signal?: AbortSignal },
  ) {}

  get signal(): AbortSignal {
    return signalOf(this.from) ?? NEVER;
  }

  get aborted(): boolean {
    return abortedOf(this.from);
  }
}

/** Whether the call `opts` was made for is cancelled, without making its syscall's signal. */
export function cancelledCall(opts: ChatOptions): boolean {
  return opts instanceof CallOptions ? opts.aborted : opts.signal?.aborted === true;
}
