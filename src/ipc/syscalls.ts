/**
 * The IPC syscalls agents use through the kernel's door: SemanticSend (address, "*" broadcast,
 * topic or intent; envelope fields), SemanticRecv (the caller's pull inbox, or a stream addressed to
 * it), SemanticSubscribe and AgentRegister (skills for intent routing, input/output contracts for
 * pipelines). Capabilities: `agent:<id>#send` (and `agent:*#send` for a broadcast),
 * `topic:<topic>#publish`, `topic:<pattern>#subscribe`, `intent#send`, `intent#register`.
 * The stream syscalls (StreamOpen/Write/End/Cancel, `agent:<to>#stream`) are in stream-syscalls.ts.
 * A SemanticSend with only to/payload/onFull is a plain letter — exactly what ctx.send sends —
 * so agents that never heard of envelopes keep receiving bare payloads.
 */
import { z } from "zod";
import { AiosError, isAiosError } from "../core/index.js";
import { zodArgs, type AnySyscallDef, type ArgParser, type SemanticRecvResult, type SemanticSendArgs, type SyscallDef } from "../abi/index.js";
import { PERFORMATIVES, type Envelope } from "./envelope.js";
import type { Ipc, SendSpec } from "./ipc.js";
import type { IpcPort } from "./port.js";
import { streamSyscalls } from "./stream-syscalls.js";
import { parsePattern } from "./topics.js";

const Send = z.object({
  to: z.string().min(1).max(256).optional(),
  topic: z.string().min(1).max(256).optional(),
  intent: z.string().min(1).max(4096).optional(),
  payload: z.unknown(),
  onFull: z.enum(["wait", "fail"]).optional(),
  performative: z.enum(PERFORMATIVES).optional(),
  schema: z.string().min(1).max(256).optional(),
  conversation: z.string().min(1).max(256).optional(),
  replyTo: z.string().min(1).max(256).optional(),
  taint: z.array(z.string().min(1).max(128)).max(64).optional(),
  id: z.string().min(1).max(256).optional(),
}).strict();
const Recv = z.object({ timeoutMs: z.number().int().min(0).max(600_000).optional(), stream: z.string().min(1).max(256).optional() }).strict();
const Subscribe = z.object({ pattern: z.string().min(1).max(256), mode: z.enum(["push", "pull"]).optional(), unsubscribe: z.boolean().optional() }).strict();
const SkillSchema = z.object({ name: z.string().min(1).max(128), description: z.string().min(1).max(4096), input: z.string().min(1).max(256).optional(), output: z.string().min(1).max(256).optional() }).strict();
const Register = z.object({ skills: z.array(SkillSchema).max(256), input: z.string().min(1).max(256).optional(), output: z.string().min(1).max(256).optional() }).strict();

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const isPlain = (a: SemanticSendArgs): boolean =>
  a.to !== undefined && a.to !== "*" && a.topic === undefined && a.intent === undefined && a.performative === undefined && a.schema === undefined &&
  a.conversation === undefined && a.replyTo === undefined && a.taint === undefined && a.id === undefined;

function recvResult(k: IpcPort, e: Envelope): SemanticRecvResult {
  const tenant = e.from === undefined ? undefined : k.agent(e.from)?.tenant;
  return { payload: e.payload, envelope: e, taint: e.taint, ...(e.from === undefined ? {} : { from: e.from as never }), ...(tenant === undefined ? {} : { tenant }) };
}

export function ipcSyscalls(ipc: Ipc): AnySyscallDef[] {
  const k = ipc.port;
  const send: SyscallDef<"SemanticSend"> = {
    name: "SemanticSend",
    parse: (raw) => {
      const a = strip(zodArgs("SemanticSend", Send)(raw)) as SemanticSendArgs;
      const n = [a.to, a.topic, a.intent].filter((x) => x !== undefined).length;
      if (n !== 1) throw new AiosError("E_INVALID_ARG", `SemanticSend: to: exactly one of to, topic or intent (found ${n})`, { details: { path: "to" } });
      if (a.topic !== undefined && a.topic.includes("*")) throw new AiosError("E_INVALID_ARG", "SemanticSend: topic: publish to a concrete topic, not a pattern", { details: { path: "topic" } });
      return a;
    },
    requires: (a) =>
      a.to !== undefined ? [{ resource: `agent:${a.to}`, action: "send" }] : a.topic !== undefined ? [{ resource: `topic:${a.topic}`, action: "publish" }] : [{ resource: "intent", action: "send" }],
    sideEffect: false,
    handler: async (a, call) => {
      const from = k.agent(call.caller.agent);
      if (isPlain(a)) {
        await k.deliver(from?.id, a.to as string, a.payload, a.onFull, undefined);
        return undefined;
      }
      // A durable agent's envelope sent while it handles a journaled letter gets a deterministic id
      // (ADR 0016): handled again after a crash, the copy is dropped by the recipient's window.
      const id = a.id ?? k.replayableSendId(call.caller.agent);
      const r = await ipc.send(from, (id === undefined ? a : { ...a, id }) as SendSpec);
      return { id: r.id, delivered: r.delivered, deadLettered: r.deadLettered };
    },
  };
  const recv: SyscallDef<"SemanticRecv"> = {
    name: "SemanticRecv",
    parse: zodArgs("SemanticRecv", Recv) as ArgParser<{ timeoutMs?: number; stream?: string }>,
    requires: () => [],
    sideEffect: false,
    handler: async ({ timeoutMs, stream }, call) => {
      if (stream === undefined) {
        const e = await ipc.inboxes.take(call.caller.agent, timeoutMs ?? 0, call.signal);
        return e === null ? null : recvResult(k, e);
      }
      try {
        const r = await ipc.streams.reader(call.caller.agent, stream).read(timeoutMs);
        if (r.done !== true) return recvResult(k, r.value);
        ipc.streams.finished(stream);
        return { payload: undefined, done: true };
      } catch (e) {
        if (isAiosError(e, "E_TIMEOUT")) return null;
        // The reader saw the stream fail (cancelled, aborted): it leaves the table.
        if (!isAiosError(e, "E_NOT_FOUND") && !isAiosError(e, "E_CAP_DENIED")) ipc.streams.finished(stream, e);
        throw e;
      }
    },
  };
  const subscribe: SyscallDef<"SemanticSubscribe"> = {
    name: "SemanticSubscribe",
    parse: (raw) => {
      const a = strip(zodArgs("SemanticSubscribe", Subscribe)(raw)) as { pattern: string; mode?: "push" | "pull"; unsubscribe?: boolean };
      parsePattern(a.pattern, "pattern");
      return a;
    },
    requires: ({ pattern }) => [{ resource: `topic:${pattern}`, action: "subscribe" }],
    sideEffect: false,
    handler: async ({ pattern, mode, unsubscribe }, call) => {
      const me = call.caller.agent;
      if (unsubscribe === true) ipc.unsubscribe(me, pattern);
      else ipc.subscribe(me, pattern, mode ?? "push");
      // Shared with the cluster's other nodes, push or pull (docs/adr/0041, 0068).
      await ipc.share(me, pattern, unsubscribe !== true, mode ?? "push");
      return { subscriptions: ipc.subscriptionsOf(me) };
    },
  };
  const register: SyscallDef<"AgentRegister"> = {
    name: "AgentRegister",
    parse: (raw) => strip(zodArgs("AgentRegister", Register)(raw)) as SyscallDef<"AgentRegister">["parse"] extends (r: unknown) => infer A ? A : never,
    requires: ({ skills }) => (skills.length > 0 ? [{ resource: "intent", action: "register" }] : []),
    sideEffect: false,
    handler: async ({ skills, input, output }, call) => {
      const me = k.agent(call.caller.agent);
      if (me === undefined) throw new AiosError("E_NO_AGENT", `no agent ${call.caller.agent}`, { details: { agent: call.caller.agent } });
      const registered = await ipc.register(me, skills.map((s) => strip(s)), { ...(input === undefined ? {} : { input }), ...(output === undefined ? {} : { output }) });
      return { registered };
    },
  };
  return [send, recv, subscribe, register, ...streamSyscalls(ipc)];
}
