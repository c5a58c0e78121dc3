/**
 * SDK helpers over a booted system (`const os = await boot({ add: [ipcSubsystem()] })`): send,
 * publish and request envelopes from outside the kernel (or on behalf of an agent id, signed with
 * its key), compose pipelines, open streams, and read the dead-letter queue. They add no behaviour:
 * each goes to the installed Ipc service.
 */
import { AiosError } from "../core/index.js";
import type { DeadLetter, DeadLetterReason } from "./dead-letters.js";
import type { Envelope } from "./envelope.js";
import type { Ipc, SendResult, SendSpec } from "./ipc.js";
import { composePipeline, type ComposeOptions, type Pipeline } from "./pipeline.js";
import type { AgentFacts } from "./port.js";
import { request, type RequestOptions } from "./requests.js";
import type { StreamWriter } from "./stream-table.js";
import type { MessageStream } from "./streams.js";

/** The SDK facade as these helpers see it: the services of its subsystems. */
type Os = { readonly subsystems: { readonly ipc?: Ipc | undefined } };

export function ipcOf(os: Os): Ipc {
  const ipc = os.subsystems.ipc;
  if (ipc === undefined) throw new AiosError("E_CONFIG", "ipc/ is not in this system: boot with a dataDir (the default stack) or add: [ipcSubsystem(...)]");
  return ipc;
}

/** `as`: send on behalf of this agent id (its key signs); outside the kernel when absent. */
function sender(ipc: Ipc, as: string | undefined): AgentFacts | undefined {
  if (as === undefined) return undefined;
  const a = ipc.port.agent(as);
  if (a === undefined) throw new AiosError("E_NO_AGENT", `no agent ${as}`, { details: { path: "as" } });
  return a;
}

export function send(os: Os, spec: SendSpec, as?: string): Promise<SendResult> {
  const ipc = ipcOf(os);
  return ipc.send(sender(ipc, as), spec);
}

export function publish(os: Os, topic: string, payload: unknown, extra: Omit<SendSpec, "topic" | "payload" | "to" | "intent"> = {}, as?: string): Promise<SendResult> {
  return send(os, { ...extra, topic, payload, performative: extra.performative ?? "event" }, as);
}

export function broadcast(os: Os, payload: unknown, as?: string): Promise<SendResult> {
  return send(os, { to: "*", payload, performative: "inform" }, as);
}

export function ask(os: Os, spec: SendSpec, options: RequestOptions = {}, as?: string): Promise<unknown> {
  const ipc = ipcOf(os);
  return request(ipc, sender(ipc, as), spec, options);
}

/** `pipeline(os, ["a", "b", "c"])` or `pipeline(os, "a |> b |> c")`; contracts are checked here. */
export function pipeline(os: Os, stages: readonly string[] | string, options: ComposeOptions = {}): Pipeline {
  return composePipeline(ipcOf(os), stages, options);
}

export function openStream(os: Os, to: string, options: { window?: number; schema?: string } = {}, as?: string): Promise<StreamWriter> {
  const ipc = ipcOf(os);
  return ipc.streams.openStream(sender(ipc, as), to, options);
}

/** The consumer side of a stream, for code outside the kernel reading on the recipient's behalf. */
export function streamReader(os: Os, id: string): MessageStream {
  return ipcOf(os).streams.reader(undefined, id);
}

export function deadLetters(os: Os, filter: { reason?: DeadLetterReason; recipient?: string; limit?: number } = {}): DeadLetter[] {
  return ipcOf(os).deadLetters.list(filter);
}

export function replayDeadLetter(os: Os, id: string): Promise<void> {
  return ipcOf(os).replay(id);
}

/**
 * True for a value shaped like an envelope. A shape says nothing of where it came from: a plain
 * letter (`ctx.send`) can carry an object shaped like an envelope from anyone, with a `signature`
 * field. To act on a message's sender or signature, ask `envelopeOf(message, ctx)`.
 */
export function isEnvelope(m: unknown): m is Envelope {
  return typeof m === "object" && m !== null && typeof (m as { id?: unknown }).id === "string" && typeof (m as { performative?: unknown }).performative === "string" && "conversation" in m;
}

/**
 * The envelope being handled, when ipc/ admitted it at this agent's door (signature, schema and
 * de-duplication checked: `ctx.enveloped`); undefined for a plain letter, whatever its payload looks
 * like (docs/adr/0083). `message` is the receive's message, `ctx` its context.
 */
export function envelopeOf(message: unknown, ctx: { readonly enveloped: boolean }): Envelope | undefined {
  return ctx.enveloped && isEnvelope(message) ? message : undefined;
}
