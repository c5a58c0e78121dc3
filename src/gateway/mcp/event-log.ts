/**
 * One session's SSE event log, so a client whose stream dropped can resume (Streamable HTTP
 * resumability, SEP-1699): the transport numbers every message it sends on a stream, sends a
 * priming event and a `retry` hint first, and a GET with `Last-Event-ID` replays what that stream
 * sent after the id. Bounded: the last `limit` events of the session are kept (older ids are
 * answered as unknown, and the client starts over); the log lives and dies with its session.
 */
import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

interface Entry {
  readonly seq: number;
  readonly stream: string;
  readonly message: JSONRPCMessage;
}

export class SessionEventLog implements EventStore {
  private readonly entries: Entry[] = [];
  private seq = 0;

  constructor(private readonly limit = 1000) {}

  get size(): number {
    return this.entries.length;
  }

  storeEvent(stream: string, message: JSONRPCMessage): Promise<string> {
    this.seq += 1;
    this.entries.push({ seq: this.seq, stream, message });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return Promise.resolve(`${this.seq}.${stream}`);
  }

  getStreamIdForEventId(id: string): Promise<string | undefined> {
    return Promise.resolve(this.find(id)?.stream);
  }

  async replayEventsAfter(id: string, { send }: { send: (id: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const from = this.find(id);
    if (from === undefined) throw new Error(`unknown or expired event id ${id}`);
    for (const e of this.entries) {
      // Priming events carry no message body worth replaying (the SDK stores them as {}).
      if (e.seq > from.seq && e.stream === from.stream && Object.keys(e.message).length > 0) await send(`${e.seq}.${e.stream}`, e.message);
    }
    return from.stream;
  }

  private find(id: string): Entry | undefined {
    const dot = id.indexOf(".");
    const seq = Number(id.slice(0, dot));
    if (dot < 1 || !Number.isSafeInteger(seq)) return undefined;
    const e = this.entries.find((x) => x.seq === seq);
    return e !== undefined && e.stream === id.slice(dot + 1) ? e : undefined;
  }
}
