/**
 * Streams between agents over the IPC service: opening one sends the recipient an envelope with
 * performative "stream" (payload { stream, window, schema }) so it learns the id; each chunk is a
 * full envelope (signed, schema-checked on both sides like any message) with the stream id and its
 * sequence number, handed to the recipient's MessageStream, which enforces order and the window.
 *
 * Invariants: a chunk refused on the send side (too large, failing the stream's schema) is refused
 * before it takes a sequence number, so the stream stays open and has no hole; a chunk that fails the
 * receive-side checks (after taking one) aborts the stream (a hole would stall it forever) and is
 * dead-lettered. Only the agent that opened a stream may write, end or abort it (producer()). A
 * stream leaves the table when its reader saw the end or the failure, or when it is cancelled; its id
 * is then kept among a bounded set of tombstones so a late write gets "ended"/"cancelled", not
 * "unknown". Streams live in memory: they do not survive a restart.
 */
import { AiosError, toAiosError } from "../core/index.js";
import type { Envelope } from "./envelope.js";
import type { AgentFacts, IpcPort } from "./port.js";
import type { SchemaRegistry } from "./schemas.js";
import type { SendSpec } from "./send-spec.js";
import { MessageStream } from "./streams.js";

export interface StreamWriter {
  readonly id: string;
  /** Sends one chunk; resolves with its sequence number when the consumer's window had room for it. */
  write(payload: unknown): Promise<number>;
  end(): void;
  abort(reason: string): void;
}

/** What the stream table uses of the IPC service (ipc.ts, which owns the table). */
export interface StreamHost {
  readonly port: Pick<IpcPort, "ids" | "clock">;
  readonly schemas: Pick<SchemaRegistry, "has">;
  /** Builds and send-side checks one envelope (size, schema, signature). */
  build(from: AgentFacts | undefined, s: SendSpec): { env: Envelope; json: string };
  /** Receive-side checks for a chunk; dead-letters it and returns why when refused. */
  checkChunk(env: Envelope, json: string, recipient: string): string | null;
  send(from: AgentFacts | undefined, s: SendSpec): Promise<unknown>;
}

interface Entry {
  readonly stream: MessageStream;
  readonly writer: StreamWriter;
}

/** How many closed stream ids are remembered for clear errors on late calls. */
const TOMBSTONES = 1024;

export class StreamTable {
  private readonly open = new Map<string, Entry>();
  private readonly gone = new Map<string, AiosError>();

  constructor(private readonly ipc: StreamHost) {}

  async openStream(from: AgentFacts | undefined, to: string, o: { window?: number; schema?: string } = {}): Promise<StreamWriter> {
    const ipc = this.ipc;
    if (o.schema !== undefined && !ipc.schemas.has(o.schema)) {
      throw new AiosError("E_INVALID_ARG", `schema: "${o.schema}" is not a registered payload schema`, { details: { path: "schema", schema: o.schema } });
    }
    const id = ipc.port.ids.next("stream");
    const s = new MessageStream(id, from?.id, to, o.window ?? 16, ipc.port.clock);
    const write = async (payload: unknown): Promise<number> => {
      // Build (size, schema, signature) before the sequence number is taken: a refused chunk leaves no hole.
      const seq = s.peekSeq();
      const { env: chunk, json } = ipc.build(from, { to, performative: "stream", payload, stream: id, seq, ...(o.schema === undefined ? {} : { schema: o.schema }) });
      s.takeSeq();
      await s.credit();
      const refusal = ipc.checkChunk(chunk, json, to);
      if (refusal !== null) {
        const err = new AiosError("E_INVALID_ARG", `stream ${id}: chunk ${seq} refused: ${refusal}`, { details: { stream: id, seq } });
        s.abort(err);
        throw err;
      }
      s.push(chunk);
      return seq;
    };
    const writer: StreamWriter = {
      id,
      write,
      end: () => s.end(),
      abort: (reason) => s.abort(new AiosError("E_CANCELLED", `stream ${id}: the producer aborted: ${reason}`)),
    };
    this.open.set(id, { stream: s, writer });
    try {
      await ipc.send(from, { to, performative: "stream", payload: { stream: id, window: s.window, ...(o.schema === undefined ? {} : { schema: o.schema }) } });
    } catch (e) {
      this.open.delete(id);
      throw e;
    }
    return writer;
  }

  /** The consumer's side; only the stream's recipient may read it. */
  reader(agent: string | undefined, id: string): MessageStream {
    const e = this.open.get(id);
    if (e === undefined) throw this.missing(id);
    if (agent !== undefined && e.stream.to !== agent) throw new AiosError("E_CAP_DENIED", `stream ${id} is addressed to ${e.stream.to}, not ${agent}`, { details: { path: "stream" } });
    return e.stream;
  }

  /** The producer's side; only the agent that opened the stream may write, end or abort it. */
  producer(agent: string | undefined, id: string): StreamWriter {
    const e = this.open.get(id);
    if (e === undefined) throw this.missing(id);
    if (e.stream.from !== agent) {
      throw new AiosError("E_CAP_DENIED", `stream ${id} was opened by ${e.stream.from ?? "code outside the kernel"}; only its producer may write, end or cancel it`, { details: { path: "stream" } });
    }
    return e.writer;
  }

  /** Producer and consumer of an open stream (for capability requests); undefined when it is not open. */
  parties(id: string): { readonly from: string | undefined; readonly to: string } | undefined {
    return this.open.get(id)?.stream;
  }

  /** The reader saw the end (or the failure): the stream leaves the table. */
  finished(id: string, failure?: unknown): void {
    if (!this.open.delete(id)) return;
    this.bury(id, failure === undefined ? new AiosError("E_INVALID_ARG", `stream ${id} has ended; no more chunks`, { details: { path: "stream" } }) : toAiosError(failure));
  }

  close(id: string, reason = "closed"): void {
    const e = this.open.get(id);
    if (e === undefined) return;
    e.stream.cancel(reason);
    this.open.delete(id);
    this.bury(id, new AiosError("E_CANCELLED", `stream ${id}: ${reason}`, { details: { path: "stream" } }));
  }

  forget(agent: string): void {
    for (const [id, e] of this.open) if (e.stream.to === agent || e.stream.from === agent) this.close(id, `agent ${agent} ended`);
  }

  private missing(id: string): AiosError {
    const why = this.gone.get(id);
    if (why !== undefined) return new AiosError(why.code, why.message, { details: { path: "stream" } });
    return new AiosError("E_NOT_FOUND", `no open stream ${id}`, { details: { path: "stream" } });
  }

  private bury(id: string, why: AiosError): void {
    this.gone.set(id, why);
    if (this.gone.size > TOMBSTONES) this.gone.delete(this.gone.keys().next().value as string);
  }
}
