/**
 * The stages a syscall passes on its way to its handler (DESIGN invariant 1: schema -> capability ->
 * policy -> quota -> scheduler -> handler -> journal -> audit -> event). Each stage is a small
 * interface with a default fit for one machine; the security, scheduling and store subsystems
 * replace the defaults at boot.
 */
import type { AgentId, SerializedError } from "../core/index.js";
import type { Capability } from "../capability/index.js";
import type { Caller, CapabilityRequest, SlotGrant, SyscallCall, SyscallName, TraceSpan } from "./syscalls.js";
import type { StoredMessage, TopicSubscription } from "./journal.js";

/**
 * What allowed a request, as data (never a string parsed back): the spec capability, the signed token
 * and the capability in it, the operator, or nothing because nothing was required.
 */
export type Grant =
  | { readonly kind: "spec"; readonly capability: string }
  | { readonly kind: "token"; readonly token: string; readonly capability: string }
  | { readonly kind: "operator" }
  | { readonly kind: "none-required" };

export type CapDecision =
  | { readonly allowed: true; readonly by: Grant }
  | { readonly allowed: false; readonly reason: string };

/** A grant as one line of text, for audit entries and explanations. */
export function grantText(g: Grant): string {
  switch (g.kind) {
    case "spec":
      return `spec:${g.capability}`;
    case "token":
      return `token:${g.token} ${g.capability}`;
    default:
      return g.kind;
  }
}

export interface CapabilityChecker {
  /** Synchronous: this is the hot path (target <= 1 us median with a warm cache). */
  check(caller: Caller, req: CapabilityRequest): CapDecision;
  /** Forget cached decisions for an agent (on exit, revocation). */
  forget?(caller: Caller): void;
  /**
   * True when the caller's LIVE authority (tokens it holds now: not revoked, not expired) covers
   * `capability`. A checker that has it is asked instead of the caller's spec strings when the caller
   * creates a process, so an agent whose token was revoked cannot hand the same rights to a child.
   */
  holds?(caller: Caller, capability: Capability): boolean;
  /**
   * Agent `creator` created `child` (the operator creates no lineage): the child's authority is carved
   * from the creator's live authority, so revoking the creator's token ends the child's too and a
   * counted capability (max, tokens, rate) shares the creator's counter. Throws E_CAP_DENIED when the
   * creator's live authority does not cover the child's capabilities.
   */
  derive?(creator: Caller, child: Caller): void;
  /**
   * The decision `check` would return, as a lease the caller may reuse without asking again while
   * `valid` stays true (the checker clears it when a grant, revocation or expiry could change the
   * decision). Undefined when every use must be checked (a counted constraint to charge).
   */
  lease?(caller: Caller, req: CapabilityRequest): CapLease | undefined;
  /**
   * Counts the leases this checker cleared (any of them, for any agent). A holder that found its
   * lease valid when the count was n knows it still is while the count stays n, without reading the
   * lease: ctx.send compares one shared number instead of loading each sender's lease per message.
   */
  readonly leaseEpoch?: LeaseEpoch;
}

/** See CapabilityChecker.leaseEpoch. */
export interface LeaseEpoch {
  readonly n: number;
}

/** A reusable capability decision (see CapabilityChecker.lease). */
export interface CapLease {
  readonly decision: CapDecision;
  readonly valid: boolean;
}

export type PolicyDecision =
  | { readonly effect: "allow"; readonly rule?: string }
  | { readonly effect: "deny"; readonly rule: string; readonly reason: string }
  | { readonly effect: "approve"; readonly rule: string; readonly reason: string; readonly timeoutMs?: number };

export interface PolicyEngine {
  evaluate(caller: Caller, syscall: SyscallName, args: unknown, reqs: readonly CapabilityRequest[]): PolicyDecision;
  /** Resolves true when a person approves, false when denied or timed out. */
  requestApproval?(caller: Caller, syscall: SyscallName, args: unknown, decision: PolicyDecision & { effect: "approve" }): Promise<boolean>;
  /** Bumped whenever the rules change (a compiled predicate from an older generation is stale). */
  readonly generation?: number;
  /**
   * `evaluate` for `syscall` specialised to the rules that can match it, when none of them reads the
   * call's arguments: a predicate over the caller and the requested resources (equal to `evaluate`
   * for every call of that syscall, never "approve"), or a constant decision when no rule can match
   * it. Undefined when some rule reads the arguments or asks for an approval (the full door then
   * evaluates every call).
   */
  compile?(syscall: SyscallName): CompiledPolicy | undefined;
}

export type CompiledPolicy =
  | { readonly constant: PolicyDecision }
  | { readonly constant?: undefined; evaluate(caller: Caller, reqs: readonly CapabilityRequest[]): PolicyDecision };

/** What a call really used, as its definition reads it from the result (the door's settle stage). */
export interface CallUsage {
  readonly tokens: number;
  readonly credits: number;
}

export interface QuotaManager {
  /** Throws E_QUOTA / E_RATE_LIMITED when the call would exceed a limit. */
  charge(caller: Caller, syscall: SyscallName, args: unknown): void;
  /** Settle: the call's real usage, charged to the limits `charge` admitted it under. */
  settle?(caller: Caller, syscall: SyscallName, usage: CallUsage): void;
  /** False when `charge` never limits `syscall` (the door may then skip this stage for it). */
  counts?(syscall: SyscallName): boolean;
}

export interface ResourceScheduler {
  /**
   * Waits for a slot in `pool`; a plain function result is the release of a simple slot. With
   * `ownerCancels` the scheduler does not listen on `signal`: whoever aborts it calls
   * `cancelWaiting` first (the kernel, for its agents' calls; ADR 0076), and may pass no signal
   * when it is not aborted (ADR 0077). A request with an aborted signal is refused (E_CANCELLED).
   */
  acquire(caller: Caller, pool: string, signal: AbortSignal | undefined, options?: { readonly preemptible?: boolean; readonly ownerCancels?: boolean }): Promise<SlotGrant | (() => void)>;
  /**
   * Cancels the requests `agent` made with `ownerCancels` that still wait for a slot, with
   * `reason()` (made only if one waits) as their error's cause. Without it, the kernel asks for none.
   */
  cancelWaiting?(agent: string, reason: () => unknown): void;
}

export interface AuditRecord {
  readonly agent: string;
  /** A SyscallName, or the name an agent asked for when no such syscall exists (audited too). */
  readonly syscall: string;
  readonly decision: "allowed" | "denied" | "approved" | "error";
  readonly by?: string;
  readonly reason?: string;
  readonly error?: SerializedError;
}

export interface AuditSink {
  record(entry: AuditRecord): void;
  /**
   * A counter for high-frequency allowed calls of `agent` under an already-verified grant (`by`):
   * each `hit` is one allowed call, recorded in a signed per-interval aggregate (count, first and last
   * sequence number, a digest of the targets) instead of an entry of its own. Denials never go here.
   * `door`: the door's tally (dispatcher.ts), which the calling agent keeps for its life and whose
   * calls each have their own `syscall.completed` event: the interval's `syscall.batch` event
   * leaves these calls out (a metric counts each call once).
   */
  tally?(agent: string, syscall: SyscallName, by: string, door?: boolean): AuditTally;
  /**
   * `counts`, which the caller keeps beside its other per-agent state and counts `tally`'s calls in
   * (countTarget), took the interval's first call: the sink reads and clears them at the interval's
   * flush, so a hot path never loads the tally. Absent: the sink keeps no aggregates (call `hit`).
   */
  readonly enlist?: (tally: AuditTally, counts: TallyCounts) => void;
  /** The caller no longer counts `tally` in `counts` (it took another tally): what they hold moves to the tally. */
  readonly release?: (tally: AuditTally, counts: TallyCounts) => void;
  /**
   * The agent that kept `tally` ended (after `release` of any counts it held): once the interval that
   * reports its calls is written, the sink forgets it instead of keeping it among the live ones.
   */
  readonly retire?: (tally: AuditTally) => void;
}

/** One agent's allowed calls under one grant, aggregated by the audit log (see AuditSink.tally). */
export interface AuditTally {
  /** Counts one call to `target` in the tally's own counts. */
  hit(target: string): void;
}

/** A tally's counts for the current interval, wherever they are kept (AuditSink.enlist). */
export interface TallyCounts {
  /** Calls this interval (the first one enlists the tally). */
  tallyCount: number;
  /** Two order-independent int32 sums over the targets' hashes: the row's digest. */
  tallySum: number;
  tallyMix: number;
}

/** FNV-1a (32-bit) of a call's target: what the digest sums. */
export function targetHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Counts one call to `target` in `c`; true when it is the interval's first (the tally must be enlisted). */
export function countTarget(c: TallyCounts, target: string): boolean {
  const h = targetHash(target);
  c.tallySum = (c.tallySum + h) | 0;
  c.tallyMix = (c.tallyMix + Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)) | 0;
  return c.tallyCount++ === 0;
}

/**
 * What happens to a call's data around its handler (security: redaction and taint). The arguments are
 * journaled as the agent gave them; results are redacted before they are journaled or returned.
 * Secrets are not substituted here: only a tool's declared secret slots receive a value, inside the
 * tool (tools/secret-slots.ts). `prepare` may rewrite the copy of the arguments the handler sees.
 */
export interface SyscallEffects {
  prepare?(caller: Caller, syscall: SyscallName, args: unknown): unknown;
  redact?(value: unknown): unknown;
  observe?(caller: Caller, syscall: SyscallName, args: unknown, result: unknown): void;
  /** A failed call: its error reaches the caller's context too (the error's details are passed). */
  observeError?(caller: Caller, syscall: SyscallName, args: unknown, details: unknown): void;
  /** A message crossed from one agent to another of another tenant, or from a tainted one. */
  message?(from: Caller, to: Caller): void;
}

/**
 * The record stage's observer (observe/ while it is installed): told each call's outcome where the
 * door records it, synchronously and with no event object, so the metrics need no
 * `syscall.completed` / `syscall.denied` event (those are still emitted for their subscribers: the
 * event stream, the dashboard). A refusal decided after the door is told both as `denied` and as a
 * failed call, like the two events.
 */
export interface SyscallObserver {
  /**
   * A call the door ran: `ok` false when it failed; an async call when its handle is given out.
   * `durationUs` from the door taking it to now; `args` as parsed (ToolCall's names the tool).
   */
  completed(caller: Caller, name: SyscallName, ok: boolean, durationUs: number, args: unknown): void;
  /** A call refused (`code`: the refusal's error code); `name` may name no syscall. */
  denied(caller: Caller, name: string, code: string): void;
}

/**
 * Trace context riding with messages (observe/ provides it while tracing is on; absent, the kernel
 * pays one property read per message). The kernel asks for `context` when it puts a letter in a
 * mailbox — the W3C traceparent of the span the sending call runs under (an AgentRequest's own span)
 * — keeps it on the letter (and in the journal for a durable recipient), and runs the recipient's
 * receive of that letter through `handle`, which opens the handling span as the sender's child.
 */
export interface MessageTracer {
  /**
   * The traceparent a message sent now by `from` carries (undefined: none): `span`'s when the sending
   * call names one (an AgentRequest's own span, a tool call's), else the span of the message `from`
   * is handling, else its run span.
   */
  context(from: Caller | undefined, span?: TraceSpan): string | undefined;
  /** Runs `to`'s receive of a letter that carried `traceparent` (or none) inside its handling span. */
  handle<T>(to: Caller, traceparent: string | undefined, request: boolean, run: () => T): T;
}

/**
 * The spans of traced syscalls, in the door's run stage (observe/'s Tracing, the same object as the
 * `trace` stage, present only while tracing is on). `open` is called right before a call's handler
 * runs (after its scheduler slot), with the object the handler gets: a traced syscall's span is set
 * on it (`call.trace`, where the handler's outgoing requests and nested calls find their parent) and
 * returned; an untraced syscall gets none (undefined). `close` ends it with the handler's result
 * (`ok`) or what it threw. No handler is wrapped: a traced call costs its span, not another async
 * frame and promise around the handler (ADR 0057).
 */
export interface CallTracer {
  open(call: SyscallCall, name: SyscallName, args: unknown): TraceSpan | undefined;
  close(span: TraceSpan, name: SyscallName, ok: boolean, value: unknown): void;
}

/** The trace stage: context on messages and the spans of traced calls. */
export interface Tracer extends MessageTracer, CallTracer {}

/** Durable record of side-effecting syscalls (store issue): intent before, result after. */
export interface SyscallJournal {
  /** A previously journaled result for this (agent, sequence), replayed instead of re-running. */
  lookup(caller: Caller, callSeq: number): { found: true; result: unknown; error?: SerializedError } | { found: false; inFlight: boolean };
  /** Durable before it resolves: the effect runs only after its intent is on disk. */
  intent(caller: Caller, callSeq: number, syscall: SyscallName, args: unknown, idempotencyKey?: string): Promise<void>;
  /**
   * Written without waiting. Given `late`, nothing in `result` changes until the record is written,
   * so the journal may encode it then, or never when a later record of its batch supersedes it (ADR
   * 0075); a result JSON cannot hold is then reported to `late`, and not stored.
   */
  result(caller: Caller, callSeq: number, result: unknown, error?: SerializedError, late?: (e: unknown) => void): Promise<void>;
}


/**
 * The public half of a signing key, vouched for by the cluster node that sent a letter (the row's
 * seal covers it): what a receiving node needs to check a signature made with a key it does not hold.
 */
export interface VouchedKey {
  readonly id: string;
  readonly owner: string;
  readonly alg: "ed25519" | "hybrid";
  /** SPKI DER, base64url. */
  readonly ed: string;
  readonly pq?: string;
}

/**
 * Which agents take no plain letter from another agent: one that did not come through ipc/'s door as
 * an envelope (a `ctx.send`, a `ctx.request`, a SemanticSend without envelope fields). ipc/ provides
 * it for the agents its signature policy requires signed envelopes of: a plain letter carries no
 * signature, and its payload may be shaped like an envelope from anyone. The operator's letters
 * (`os.send`, `os.request`: no sender) claim no agent and are not asked about.
 */
export interface PlainMailGate {
  /** Why `to` takes no plain letter, or null when it does. */
  refuses(to: { readonly id: AgentId; readonly tenant: string }): string | null;
  /**
   * Calls `active` now and whenever it changes whether any agent may refuse (ipc/: whether some
   * setting says "required"). While none may, the kernel keeps the gate out of the door: a plain
   * send then reads one field it read before.
   */
  watch(active: (on: boolean) => void): void;
}

/**
 * The receive-side checks for mail that crossed cluster nodes (docs/adr/0038). ipc/ provides it; the
 * cluster calls `vouch` on the sending node (the keys the letter's signature needs, sealed with it) and
 * `admit` on the receiving node before the letter enters the recipient's journal — the same checks a
 * local letter passes at ipc's door (signature, required signatures, receive schema). Absent (no ipc/
 * on the stack), a letter passes as a local one would: no receive-side checks exist then.
 */
export interface RemoteMailGate {
  vouch(m: StoredMessage): readonly VouchedKey[];
  /**
   * Null when `m` may enter its recipient's mailbox; "taken" when the gate delivered it itself (a
   * topic copy for a pull subscriber goes to its SemanticRecv inbox, which no journal holds, docs/adr/
   * 0068): nothing enters the mailbox; else why not (`reason` a dead-letter reason, the gate has
   * dead-lettered it). `origin` is the node that stored it.
   */
  admit(m: StoredMessage, keys: readonly VouchedKey[], origin: string): { readonly reason: string; readonly detail: string } | "taken" | null;
  /**
   * An agent whose tree this node adopted (takeover, migration) had these subscriptions where it ran
   * before (sealed rows of the cluster's directory, docs/adr/0047): they hold here from now on, so the
   * copies routed to it pass `admit`.
   */
  resubscribe?(agent: AgentId, subscriptions: readonly TopicSubscription[]): void;
}
