/**
 * Request/response over the mailbox: the request travels as a letter with a reply callback; it
 * settles exactly once, with the agent's reply (ctx.reply, or the result it stops with), the error it
 * failed with, a refusal when it ends first, or E_TIMEOUT on the kernel's clock.
 */
import { AiosError, toAiosError, type Clock } from "../core/index.js";
import type { Letter } from "./mailbox.js";
import type { Proc } from "./proc.js";

/** Delivery of a request letter (Mail.deliver with its reply callback). */
export type DeliverRequest = (from: Proc | undefined, to: string, payload: unknown, reply: NonNullable<Letter["reply"]>) => void | Promise<void>;

export function requestReply(clock: Clock, deliver: DeliverRequest, from: Proc | undefined, to: string, payload: unknown, timeoutMs: number): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let done = false;
    const timer = clock.setTimeout(() => {
      if (done) return;
      done = true;
      reject(new AiosError("E_TIMEOUT", `request to ${to} got no reply within ${timeoutMs} ms`, { details: { agent: to, timeoutMs } }));
    }, timeoutMs);
    const reply = (err: Error | null, value?: unknown): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      if (err !== null) reject(err);
      else resolve(value);
    };
    try {
      const r = deliver(from, to, payload, reply);
      if (r instanceof Promise) r.catch((e: unknown) => reply(toAiosError(e)));
    } catch (e) {
      reply(toAiosError(e));
    }
  });
}
