/**
 * Request/response over envelopes: one recipient (an address or an intent), a conversation id, a
 * timeout on the injected clock and cancellation by AbortSignal. The answer is what the recipient
 * passes to ctx.reply (or the result it stops with); with `expect` it is validated against a
 * registered schema before the caller sees it. Invariant: the promise settles exactly once — by the
 * reply, the timeout, the abort or a delivery failure, whichever comes first.
 */
import { AiosError, toAiosError } from "../core/index.js";
import type { Ipc, SendSpec } from "./ipc.js";
import type { AgentFacts } from "./port.js";

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Schema id the answer must satisfy. */
  readonly expect?: string;
}

export function request(ipc: Ipc, from: AgentFacts | undefined, spec: SendSpec, o: RequestOptions = {}): Promise<unknown> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const clock = ipc.port.clock;
  let built: ReturnType<Ipc["build"]>;
  try {
    built = ipc.build(from, { ...spec, performative: spec.performative ?? "request" });
  } catch (e) {
    return Promise.reject(toAiosError(e, "E_INVALID_ARG"));
  }
  const { env, json } = built;
  if (o.signal?.aborted === true) return Promise.reject(cancelled(env.id, o.signal));
  return new Promise<unknown>((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, value?: unknown): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (err !== null) reject(err);
      else resolve(value);
    };
    const onAbort = (): void => finish(cancelled(env.id, o.signal));
    const timer = clock.setTimeout(() => {
      finish(new AiosError("E_TIMEOUT", `request ${env.id} got no reply within ${timeoutMs} ms`, { details: { message: env.id, timeoutMs } }));
    }, timeoutMs);
    o.signal?.addEventListener("abort", onAbort, { once: true });
    const onReply = (err: Error | null, value?: unknown): void => {
      if (err !== null || o.expect === undefined) return finish(err, value);
      try {
        finish(null, ipc.schemas.validate(o.expect, value, "reply"));
      } catch (e) {
        finish(toAiosError(e, "E_INVALID_ARG"));
      }
    };
    ipc.dispatch(env, json, spec.onFull, onReply).catch((e: unknown) => finish(toAiosError(e)));
  });
}

function cancelled(id: string, signal: AbortSignal | undefined): AiosError {
  const why: unknown = signal?.reason;
  return new AiosError("E_CANCELLED", `request ${id} was cancelled${why instanceof Error ? `: ${why.message}` : ""}`, { details: { message: id } });
}
