/**
 * Streams between agents over the IPC service: opening one sends the recipient an envelope with
 * performative "stream" (payload { stream, window, schema }) so it learns the id; each chunk is a
 * full envelope (signed, schema-checked on both sides like any message) with the stream id and its
 * sequence number, handed to the recipient's MessageStream, which enforces order and the window.
 * A chunk that fails the receive-side checks aborts the stream (a hole would stall it forever) and
 * is dead-lettered.
 */
import { AiosError, toAiosError } from "../core/index.js";
import type { Envelope } from "./envelope.js";
import type { Ipc } from "./ipc.js";
import type { AgentFacts } from "./port.js";
import { MessageStream } from "./streams.js";

export interface StreamWriter {
  readonly id: string;
  /** Sends one chunk; resolves when the consumer's window had room for it. */
  write(payload: unknown): Promise<void>;
  end(): void;
  abort(reason: string): void;
}

export class StreamTable {
  private readonly open = new Map<string, MessageStream>();

  constructor(private readonly ipc: Ipc) {}

  async openStream(from: AgentFacts | undefined, to: string, o: { window?: number; schema?: string } = {}): Promise<StreamWriter> {
    const ipc = this.ipc;
    const id = ipc.port.ids.next("stream");
    const s = new MessageStream(id, from?.id, to, o.window ?? 16, ipc.port.clock);
    this.open.set(id, s);
    try {
      await ipc.send(from, { to, performative: "stream", payload: { stream: id, window: s.window, ...(o.schema === undefined ? {} : { schema: o.schema }) } });
    } catch (e) {
      this.open.delete(id);
      throw e;
    }
    const write = async (payload: unknown): Promise<void> => {
      const seq = s.takeSeq();
      let chunk: Envelope;
      let json: string;
      try {
        ({ env: chunk, json } = ipc.build(from, { to, performative: "stream", payload, stream: id, seq, ...(o.schema === undefined ? {} : { schema: o.schema }) }));
      } catch (e) {
        // The sequence number is taken: a hole would stall the reader, so the stream ends here.
        s.abort(toAiosError(e, "E_INVALID_ARG"));
        throw e;
      }
      await s.credit();
      const refusal = ipc.checkChunk(chunk, json, to);
      if (refusal !== null) {
        const err = new AiosError("E_INVALID_ARG", `stream ${id}: chunk ${seq} refused: ${refusal}`, { details: { stream: id, seq } });
        s.abort(err);
        throw err;
      }
      s.push(chunk);
    };
    return {
      id,
      write,
      end: () => s.end(),
      abort: (reason) => s.abort(new AiosError("E_CANCELLED", `stream ${id}: the producer aborted: ${reason}`)),
    };
  }

  /** The consumer's side; only the stream's recipient may read it. */
  reader(agent: string | undefined, id: string): MessageStream {
    const s = this.open.get(id);
    if (s === undefined) throw new AiosError("E_NOT_FOUND", `no open stream ${id}`, { details: { path: "stream" } });
    if (agent !== undefined && s.to !== agent) throw new AiosError("E_CAP_DENIED", `stream ${id} is addressed to ${s.to}, not ${agent}`, { details: { path: "stream" } });
    return s;
  }

  close(id: string): void {
    this.open.get(id)?.cancel("closed");
    this.open.delete(id);
  }

  forget(agent: string): void {
    for (const [id, s] of this.open) {
      if (s.to === agent || s.from === agent) {
        s.cancel(`agent ${agent} ended`);
        this.open.delete(id);
      }
    }
  }
}
