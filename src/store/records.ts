/**
 * The journal's typed records (DESIGN invariant 2) and their schemas. Records name agents and
 * messages by plain string ids: the store sits below the kernel and never interprets a spec, a
 * payload or a checkpoint — they are opaque JSON values it keeps and hands back.
 *
 * - spawn / transition: lifecycle. A transition to completed | failed | killed ends the agent.
 * - enqueue: a message accepted for a durable agent (acknowledged to its sender once durable). An
 *   optional `key` (ipc/'s envelope id) is the message's de-duplication key, stored in the same
 *   record so "accepted" and "seen" can never disagree on disk. A send made by a durable agent while
 *   it handles a letter carries `cause` (that letter's id) and `nth` (the send's place in that
 *   handling): the record is both the recipient's letter and the sender's "send #nth done", so a
 *   sender that handles the letter again after a crash skips that send (ADR 0016).
 * - handled: the message was processed; acks it and stores the new checkpoint in ONE record, so
 *   "acked without its checkpoint" cannot exist on disk. The acked message's key joins the agent's
 *   bounded window of seen keys (state.ts).
 * - intent / result: a side-effecting syscall before it runs and after; a result is replayed, an
 *   intent without a result is "in flight" at a crash.
 * - checkpoint: an agent's full state, written by compaction in place of the records it supersedes
 *   (with `seen`, the agent's window of handled message keys, oldest first).
 *
 * This schema is the definition; recovery checks records with record-check.ts, a hand-written
 * equivalent (property-tested against it) that costs a fraction of a microsecond per record.
 */
import { z } from "zod";
import { ERROR_CODES, type SerializedError } from "../core/index.js";
import type { StoredAgent, StoredMessage } from "../abi/index.js";

const Status = z.enum(["pending", "running", "paused", "completed", "failed", "killed"]);
export type RecordStatus = z.infer<typeof Status>;
export const TERMINAL: ReadonlySet<RecordStatus> = new Set(["completed", "failed", "killed"]);

const Id = z.string().min(1);
const CallSeq = z.number().int().min(0);

const AgentState = {
  agent: Id,
  spec: z.unknown(),
  parent: Id.optional(),
  status: Status,
  checkpoint: z.unknown().optional(),
  callSeq: CallSeq,
};

export const JournalRecordSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("spawn"), ...AgentState }),
  z.object({ t: z.literal("checkpoint"), ...AgentState, seen: z.array(Id).optional() }),
  z.object({ t: z.literal("transition"), agent: Id, to: Status, op: z.string(), reason: z.string().optional() }),
  // payload and args may be undefined (a send with no payload): JSON then drops the key, and the
  // record must still verify when it is read back.
  // cause/nth: the sender's letter being handled and the sender's send count within that handling
  // (a replayable send, state.ts); sent: on a letter still to be handled, the counts of the sends
  // already journaled while handling it (written by compaction only); trace: the W3C traceparent the
  // message carried while tracing was on.
  z.object({
    t: z.literal("enqueue"), id: Id, to: Id, from: Id.optional(), payload: z.unknown().optional(), key: Id.optional(),
    cause: Id.optional(), nth: CallSeq.optional(), sent: z.array(CallSeq).optional(), trace: z.string().max(512).optional(), route: Id.optional(),
  }),
  z.object({ t: z.literal("handled"), agent: Id, msg: Id.optional(), checkpoint: z.unknown().optional(), callSeq: CallSeq }),
  z.object({ t: z.literal("intent"), agent: Id, callSeq: CallSeq, syscall: z.string(), args: z.unknown().optional(), key: z.string().optional() }),
  z.object({ t: z.literal("result"), agent: Id, callSeq: CallSeq, result: z.unknown().optional(), error: z.unknown().optional() }),
]);

export type JournalRecord = z.infer<typeof JournalRecordSchema>;
export type RecordType = JournalRecord["t"];
export type SpawnRecord = Extract<JournalRecord, { t: "spawn" }>;
export type EnqueueRecord = Extract<JournalRecord, { t: "enqueue" }>;
type Rec<T extends RecordType> = { -readonly [K in keyof Extract<JournalRecord, { t: T }>]: Extract<JournalRecord, { t: T }>[K] };

/*
 * The records the kernel's journals write (the single-node journal and a cluster tree's stream), each
 * built in one place by assignment in a fixed key order: both write the same bytes for the same event.
 */

export function spawnRecord(a: StoredAgent): SpawnRecord {
  const rec: Rec<"spawn"> = { t: "spawn", agent: a.id, spec: a.spec, status: a.status, callSeq: a.callSeq };
  if (a.parent !== undefined) rec.parent = a.parent;
  if (a.checkpoint !== undefined) rec.checkpoint = a.checkpoint;
  return rec;
}

export function transitionRecord(agent: string, to: RecordStatus, op: string, reason?: string): JournalRecord {
  const rec: Rec<"transition"> = { t: "transition", agent, to, op };
  if (reason !== undefined) rec.reason = reason;
  return rec;
}

export function handledRecord(agent: string, msg: string | undefined, checkpoint: unknown, callSeq: number): JournalRecord {
  const rec: Rec<"handled"> = { t: "handled", agent, callSeq };
  if (msg !== undefined) rec.msg = msg;
  if (checkpoint !== undefined) rec.checkpoint = checkpoint;
  return rec;
}

export function intentRecord(agent: string, callSeq: number, syscall: string, args: unknown, key?: string): JournalRecord {
  const rec: Rec<"intent"> = { t: "intent", agent, callSeq, syscall, args };
  if (key !== undefined) rec.key = key;
  return rec;
}

export function resultRecord(agent: string, callSeq: number, result: unknown, error?: SerializedError): JournalRecord {
  const rec: Rec<"result"> = { t: "result", agent, callSeq };
  if (result !== undefined) rec.result = result;
  if (error !== undefined) rec.error = error;
  return rec;
}

/**
 * The enqueue record of `m` (the single-node journal, a cluster tree's stream, cluster_mail). Built by
 * assignment in a fixed key order, not conditional spreads: on a durable send each spread cost a
 * temporary object and a generic copy (issue #18: the most allocated site).
 */
export function enqueueRecord(m: StoredMessage): EnqueueRecord {
  const rec: { -readonly [K in keyof EnqueueRecord]: EnqueueRecord[K] } = { t: "enqueue", id: m.id, to: m.to, payload: m.payload };
  if (m.from !== undefined) rec.from = m.from;
  if (m.key !== undefined) rec.key = m.key;
  if (m.cause !== undefined && m.nth !== undefined) {
    rec.cause = m.cause;
    rec.nth = m.nth;
  }
  if (m.trace !== undefined) rec.trace = m.trace;
  if (m.route !== undefined) rec.route = m.route;
  return rec;
}

const SerializedErrorSchema = z.object({
  code: z.string().refine((c) => c in ERROR_CODES, "unknown error code"),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
  cause: z.string().optional(),
});

/**
 * A result record's `error` as the replayed call's error, read back the same on one node and in a
 * cluster: code, message, retryable, details and cause. A value that is not a journaled error (an
 * unknown code, a missing field) becomes E_INTERNAL saying so, never a guess.
 */
export function journaledError(raw: unknown): SerializedError {
  const r = SerializedErrorSchema.safeParse(raw);
  if (!r.success) return { code: "E_INTERNAL", message: "a journaled error could not be read back", retryable: false };
  const { code, message, retryable, details, cause } = r.data;
  return { code: code as SerializedError["code"], message, retryable, ...(details ? { details } : {}), ...(cause === undefined ? {} : { cause }) };
}
