/**
 * Stream syscalls: agents produce streams through the kernel's door, not only through the SDK.
 *   StreamOpen   { to, window?, schema? } -> { stream }   opens a stream to agent `to`
 *   StreamWrite  { stream, chunk }         -> { seq }      resolves once the consumer's window had room
 *   StreamEnd    { stream }                -> { chunks }   the reader sees every chunk, then done
 *   StreamCancel { stream, reason? }       -> { cancelled } the producer aborts / the consumer gives up
 * The consumer reads with SemanticRecv({ stream }). Capability: `agent:<to>#stream` — asked at open
 * and again on every producer call (a revoked grant stops a stream mid-way); a consumer cancelling
 * its own inbound stream needs none. Only the agent that opened a stream may write, end or abort it
 * (E_CAP_DENIED otherwise); an unknown stream is E_NOT_FOUND, an ended one E_INVALID_ARG, a
 * cancelled one E_CANCELLED. Chunks obey the 64 KB limit and the stream's schema, checked before the
 * chunk takes a sequence number, so a refused chunk is an error for the caller and leaves the stream
 * open. Because a write awaits credit, a producer agent is held (its receive does not return) while
 * the consumer's window is full: that is the backpressure.
 */
import { z } from "zod";
import { AiosError, isAiosError } from "../core/index.js";
import { zodArgs, type AnySyscallDef, type ArgParser, type CapabilityRequest, type SyscallDef } from "../abi/index.js";
import type { Ipc } from "./ipc.js";

// SyscallMap is augmented where it is declared (kernel/index.ts re-exports it as a type, which cannot be merged into).
declare module "../abi/syscalls.js" {
  interface SyscallMap {
    StreamOpen: { args: { to: string; window?: number; schema?: string }; result: { stream: string } };
    StreamWrite: { args: { stream: string; chunk: unknown }; result: { seq: number } };
    StreamEnd: { args: { stream: string }; result: { chunks: number } };
    StreamCancel: { args: { stream: string; reason?: string }; result: { cancelled: boolean } };
  }
}

const Id = z.string().min(1).max(256);
const Open = z.object({ to: Id, window: z.number().int().min(1).max(1024).optional(), schema: Id.optional() }).strict();
const Write = z.object({ stream: Id, chunk: z.unknown() }).strict();
const End = z.object({ stream: Id }).strict();
const Cancel = z.object({ stream: Id, reason: z.string().min(1).max(1024).optional() }).strict();

const streamCap = (to: string): CapabilityRequest => ({ resource: `agent:${to}`, action: "stream" });

/** Send-side refusals of a chunk name the syscall's field (`chunk`), not the envelope's (`payload`). */
function asChunkError(e: unknown, stream: string): unknown {
  if (!isAiosError(e, "E_INVALID_ARG")) return e;
  const path = typeof e.details?.["path"] === "string" ? e.details["path"] : "";
  if (path !== "payload" && !path.startsWith("payload")) return e;
  return new AiosError("E_INVALID_ARG", `StreamWrite: chunk: ${e.message.replace(/^payload:?\s*/, "")}`, { cause: e, details: { ...e.details, path: path.replace(/^payload/, "chunk"), stream } });
}

export function streamSyscalls(ipc: Ipc): AnySyscallDef[] {
  const table = ipc.streams;
  /** The producer's capability, re-asked on every call; none for an unknown stream (the handler says why). */
  const producerCaps = (stream: string, caller: string): CapabilityRequest[] => {
    const p = table.parties(stream);
    return p === undefined || p.from !== caller ? [] : [streamCap(p.to)];
  };
  const open: SyscallDef<"StreamOpen"> = {
    name: "StreamOpen",
    parse: zodArgs("StreamOpen", Open) as ArgParser<{ to: string; window?: number; schema?: string }>,
    requires: ({ to }) => [streamCap(to)],
    sideEffect: false,
    handler: async ({ to, window, schema }, call) => {
      const w = await table.openStream(ipc.port.agent(call.caller.agent), to, { ...(window === undefined ? {} : { window }), ...(schema === undefined ? {} : { schema }) });
      return { stream: w.id };
    },
  };
  const write: SyscallDef<"StreamWrite"> = {
    name: "StreamWrite",
    parse: zodArgs("StreamWrite", Write),
    requires: ({ stream }, caller) => producerCaps(stream, caller.agent),
    sideEffect: false,
    handler: async ({ stream, chunk }, call) => {
      const w = table.producer(call.caller.agent, stream);
      try {
        return { seq: await w.write(chunk) };
      } catch (e) {
        throw asChunkError(e, stream);
      }
    },
  };
  const end: SyscallDef<"StreamEnd"> = {
    name: "StreamEnd",
    parse: zodArgs("StreamEnd", End),
    requires: ({ stream }, caller) => producerCaps(stream, caller.agent),
    sideEffect: false,
    handler: ({ stream }, call) => {
      const w = table.producer(call.caller.agent, stream);
      const chunks = table.reader(undefined, stream).peekSeq();
      w.end();
      return { chunks };
    },
  };
  const cancel: SyscallDef<"StreamCancel"> = {
    name: "StreamCancel",
    parse: zodArgs("StreamCancel", Cancel) as ArgParser<{ stream: string; reason?: string }>,
    requires: ({ stream }, caller) => producerCaps(stream, caller.agent),
    sideEffect: false,
    handler: ({ stream, reason }, call) => {
      const me = call.caller.agent;
      const p = table.parties(stream);
      if (p !== undefined && p.to === me) {
        table.close(stream, `the consumer cancelled the stream${reason === undefined ? "" : `: ${reason}`}`);
        return { cancelled: true };
      }
      table.producer(me, stream).abort(reason ?? "cancelled");
      return { cancelled: true };
    },
  };
  return [open, write, end, cancel];
}
