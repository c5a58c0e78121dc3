/**
 * The IPC service: builds envelopes (send-side validation, size limit, signing), routes them by
 * address, topic (fan-out to subscribers; pull subscribers get them through SemanticRecv) or intent
 * (IntentRouter), and admits each copy at the recipient's door (receive-side signature, schema and
 * de-duplication checks) before it reaches the kernel mailbox. Every copy that cannot be delivered is
 * dead-lettered with its reason; a direct or intent send also fails for its sender with the matching
 * error code and the dead letter's id. Streams, pipelines and the syscalls build on this class.
 */
import { AiosError, isAiosError, type AgentId, type ErrorCode } from "../core/index.js";
import type { SkillDirectory, VouchedKey } from "../abi/index.js";
import { DeadLetterQueue, type DeadLetter, type DeadLetterReason } from "./dead-letters.js";
import { dedupKey, SeenWindow } from "./dedup.js";
import { checkAddress, DEFAULT_MAX_PAYLOAD_BYTES, encodePayload, parseEnvelope, PERFORMATIVES, type Envelope } from "./envelope.js";
import { Inboxes } from "./inbox.js";
import { IntentRouter, type IntentEmbedder, type IntentRouterOptions, type Skill } from "./intents.js";
import { isLive, type AgentFacts, type IpcPort, type Reply } from "./port.js";
import { SchemaRegistry } from "./schemas.js";
import { checkSignature, SignaturePolicy, signEnvelope, vouchFor, type MessageKeys, type SignaturePolicyConfig } from "./signing.js";
import type { SendResult, SendSpec } from "./send-spec.js";
import { StreamTable } from "./stream-table.js";
import { TopicIndex, topicMatches } from "./topics.js";
import "./events.js";

export type { SendResult, SendSpec } from "./send-spec.js";

export interface IpcOptions {
  /** Payload limit in bytes of canonical JSON (default 64 KB). */
  readonly maxPayloadBytes?: number;
  /** Where agents' Ed25519 keys come from (security/ identities). Without keys nothing is signed. */
  readonly keys?: MessageKeys;
  readonly signatures?: SignaturePolicyConfig;
  /** Sign envelopes sent by agents when keys are available (default true). */
  readonly sign?: boolean;
  /** Enables intent routing. */
  readonly embedder?: IntentEmbedder;
  readonly intents?: IntentRouterOptions;
  /** Seen-id window per agent (default 4096); applied to durable agents, or to all with dedupAll. */
  readonly dedupWindow?: number;
  readonly dedupAll?: boolean;
  readonly deadLetterCapacity?: number;
  readonly inboxCapacity?: number;
}

interface Sub {
  readonly agent: string;
  readonly pattern: string;
  readonly mode: "push" | "pull";
}

export interface Contract {
  readonly name: string;
  readonly input?: string;
  readonly output?: string;
}

const REASON_CODE: Record<DeadLetterReason, ErrorCode> = {
  unknown_agent: "E_NO_AGENT", agent_ended: "E_NO_AGENT", schema: "E_INVALID_ARG", bad_signature: "E_AUTH",
  unsigned: "E_AUTH", mailbox_full: "E_MAILBOX_FULL", no_route: "E_NO_AGENT", too_large: "E_INVALID_ARG",
};

type Outcome = "delivered" | "duplicate" | DeadLetter;

export class Ipc {
  readonly schemas = new SchemaRegistry();
  readonly deadLetters: DeadLetterQueue;
  readonly seen: SeenWindow;
  readonly signatures: SignaturePolicy;
  readonly router: IntentRouter | undefined;
  readonly inboxes: Inboxes;
  readonly maxPayloadBytes: number;
  /** Input/output schema contracts agents declared with AgentRegister (pipelines check these). */
  readonly contracts = new Map<string, Contract>();
  readonly streams: StreamTable = new StreamTable(this);
  private readonly topics = new TopicIndex<Sub>();
  /** Agents whose skills this node's router took from the cluster's directory, with those skills (JSON). */
  private readonly fromDirectory = new Map<string, string>();
  private readonly subsOf = new Map<string, Sub[]>();
  private readonly keys: MessageKeys | undefined;
  private readonly signing: boolean;
  private readonly dedupAll: boolean;

  constructor(
    readonly port: IpcPort,
    o: IpcOptions = {},
  ) {
    this.maxPayloadBytes = o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.deadLetters = new DeadLetterQueue(port.clock, o.deadLetterCapacity);
    this.seen = new SeenWindow(o.dedupWindow);
    this.signatures = new SignaturePolicy(o.signatures);
    this.router = o.embedder === undefined ? undefined : new IntentRouter(o.embedder, o.intents);
    this.inboxes = new Inboxes(port.clock, o.inboxCapacity);
    this.keys = o.keys;
    this.signing = (o.sign ?? true) && o.keys !== undefined;
    this.dedupAll = o.dedupAll ?? false;
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Send-side checks and signing; returns the envelope and its payload's canonical JSON. */
  build(from: AgentFacts | undefined, s: SendSpec): { env: Envelope; json: string } {
    checkAddress(s);
    const performative = s.performative ?? "inform";
    if (!PERFORMATIVES.includes(performative)) throw new AiosError("E_INVALID_ARG", `performative: expected one of ${PERFORMATIVES.join(", ")}`, { details: { path: "performative" } });
    const json = encodePayload(s.payload, this.maxPayloadBytes);
    if (s.schema !== undefined) this.schemas.validate(s.schema, s.payload, "send");
    const taint = from === undefined || from.taint.size === 0 ? (s.taint ?? []) : [...new Set([...(s.taint ?? []), ...from.taint])];
    const id = s.id ?? this.port.ids.message();
    const env: Envelope = {
      id, performative, payload: s.payload, taint, ts: this.port.clock.now(),
      conversation: s.conversation ?? id,
      ...(from === undefined ? {} : { from: from.id }),
      ...(s.to === undefined ? {} : { to: s.to }),
      ...(s.topic === undefined ? {} : { topic: s.topic }),
      ...(s.intent === undefined ? {} : { intent: s.intent }),
      ...(s.replyTo === undefined ? {} : { replyTo: s.replyTo }),
      ...(s.schema === undefined ? {} : { schema: s.schema }),
      ...(s.stream === undefined ? {} : { stream: s.stream }),
      ...(s.seq === undefined ? {} : { seq: s.seq }),
    };
    return { env: this.sealed(env, json), json };
  }

  /** Signs when signing is on and the sender is an agent. */
  sealed(env: Envelope, json: string): Envelope {
    if (!this.signing || env.from === undefined || this.keys === undefined) return env;
    return { ...env, signature: signEnvelope(this.keys, env, json) };
  }

  async send(from: AgentFacts | undefined, s: SendSpec): Promise<SendResult> {
    const { env, json } = this.build(from, s);
    return this.dispatch(env, json, s.onFull);
  }

  /**
   * The door for envelopes from outside this process (gateway, cluster transport): parsed, not
   * trusted — no send-side checks ran, so its signature, schema and size decide here.
   */
  async receive(raw: unknown, onFull?: "wait" | "fail"): Promise<SendResult> {
    const env = parseEnvelope(raw);
    let json: string;
    try {
      json = encodePayload(env.payload, this.maxPayloadBytes);
    } catch (e) {
      this.deadLetter(env, "too_large", isAiosError(e) ? e.message : String(e), env.to, false);
      throw e;
    }
    return this.dispatch(env, json, onFull);
  }

  /** Routes a built envelope to its recipients. `reply` makes it a request (one recipient only). */
  async dispatch(env: Envelope, json: string, onFull: "wait" | "fail" | undefined, reply?: Reply): Promise<SendResult> {
    const delivered: string[] = [];
    const dead: string[] = [];
    let duplicates = 0;
    const tally = (agent: string, o: Outcome): void => {
      if (o === "delivered") delivered.push(agent);
      else if (o === "duplicate") duplicates++;
      else dead.push(o.id);
    };
    if (env.to === "*") {
      if (reply !== undefined) throw new AiosError("E_INVALID_ARG", "to: a request goes to one agent, not a broadcast", { details: { path: "to" } });
      const tenant = env.from === undefined ? undefined : this.port.agent(env.from)?.tenant;
      const targets = [...this.port.agents()].filter((a) => isLive(a) && a.id !== env.from && (tenant === undefined || a.tenant === tenant));
      for (const a of targets) tally(a.id, await this.admit(env, json, a.id, onFull, undefined, false));
    } else if (env.to !== undefined) {
      tally(env.to, await this.admit(env, json, env.to, onFull, reply, true));
    } else if (env.topic !== undefined) {
      if (reply !== undefined) throw new AiosError("E_INVALID_ARG", "topic: a request goes to one agent; use to or intent", { details: { path: "topic" } });
      for (const sub of this.topics.match(env.topic)) {
        tally(sub.agent, sub.mode === "pull" ? this.admitPull(env, json, sub.agent) : await this.admit(env, json, sub.agent, onFull, undefined, false));
      }
      // On a cluster node, push subscribers held by other nodes get a copy there (docs/adr/0041).
      const across = this.port.topics?.();
      if (across !== undefined) {
        for (const agent of await across.subscribers(env.topic)) {
          if (this.port.agent(agent) === undefined) tally(agent, await this.admitRemote(env, agent, onFull, undefined, false));
        }
      }
    } else if (env.intent !== undefined) {
      const router = this.router;
      if (router === undefined) throw new AiosError("E_CONFIG", "intent routing is off: ipcSubsystem was built without an embedder", { details: { path: "intent" } });
      const across = this.port.skills?.();
      if (across !== undefined) await this.skillsAcross(router, across);
      const d = await router.route(env.intent, this.loadOf);
      if (this.port.events.wants("ipc.intent.routed")) {
        this.port.events.emit("ipc.intent.routed", { message: env.id, to: d.agent, skill: d.skill.name, score: d.score, tied: d.tied }, env.from as never);
      }
      tally(d.agent, await this.admit(env, json, d.agent, onFull, reply, true));
    }
    return { id: env.id, delivered, deadLettered: dead, duplicates };
  }

  /**
   * Load for intent tie-breaking: mailbox length; undefined when the agent cannot take mail. An agent
   * another cluster node holds (its skills came from the directory, which lists live agents only)
   * counts as empty: its node's mailbox is not known here.
   */
  readonly loadOf = (agent: string): number | undefined => {
    const a = this.port.agent(agent);
    if (a === undefined) return this.fromDirectory.has(agent) ? 0 : undefined;
    return !isLive(a) ? undefined : (a.mailbox?.length ?? 0);
  };

  /**
   * The skills of the cluster's live agents join this node's router before an intent is routed
   * (docs/adr/0055): an agent's skills registered on another node, or on the node that held it before
   * a takeover or a migration. Rows are embedded once (until their skills change); an agent that left
   * the directory (ended) leaves the router.
   */
  private async skillsAcross(router: IntentRouter, dir: SkillDirectory): Promise<void> {
    const listed = new Set<string>();
    for (const { agent, skills } of await dir.live()) {
      listed.add(agent);
      const local = this.port.agent(agent);
      if (local !== undefined && !this.fromDirectory.has(agent) && router.skillsOf(agent).length > 0) continue; // registered here
      const key = JSON.stringify(skills);
      if (this.fromDirectory.get(agent) === key) continue;
      await router.register(agent, skills);
      this.fromDirectory.set(agent, key);
    }
    for (const agent of [...this.fromDirectory.keys()]) {
      if (listed.has(agent)) continue;
      router.unregister(agent);
      this.fromDirectory.delete(agent);
    }
  }

  // ---- receiving ----------------------------------------------------------------------------

  /**
   * Why `a` takes no plain letter (one that did not come through here, so carries no signature), or
   * null: the kernel's plain-mail gate (docs/adr/0083), also asked for plain mail across nodes.
   */
  refusesPlain(a: { readonly id: string; readonly tenant: string }): string | null {
    return this.signatures.requires(a.id, a.tenant) ? `${a.id} requires signed messages, and an agent's plain letter (ctx.send, ctx.request, a SemanticSend without envelope fields) carries no signature: send an envelope` : null;
  }

  /** The receive-side checks: null when the copy may enter `recipient`'s mailbox. */
  private refuse(env: Envelope, json: string, a: AgentFacts | undefined, recipient: string, vouched?: readonly VouchedKey[]): [DeadLetterReason, string] | null {
    if (a === undefined) return ["unknown_agent", `no agent ${recipient}`];
    if (!isLive(a)) return ["agent_ended", `agent ${recipient} is ${a.status}`];
    if (env.signature !== undefined) {
      const why = checkSignature(this.keys, env, json, vouched);
      if (why !== null) return ["bad_signature", why];
    } else if (this.signatures.requires(a.id, a.tenant)) {
      return ["unsigned", `${recipient} requires signed messages`];
    }
    if (env.schema !== undefined) {
      try {
        this.schemas.validate(env.schema, env.payload, "receive");
      } catch (e) {
        return ["schema", isAiosError(e) ? e.message : String(e)];
      }
    }
    return null;
  }

  private async admit(env: Envelope, json: string, recipient: string, onFull: "wait" | "fail" | undefined, reply: Reply | undefined, strict: boolean): Promise<Outcome> {
    const a = this.port.agent(recipient);
    if (a === undefined && this.port.remote?.() === true) return this.admitRemote(env, recipient, onFull, reply, strict);
    const no = this.refuse(env, json, a, recipient);
    if (no !== null) return this.deadLetter(env, no[0], no[1], recipient, strict);
    const dedup = this.dedupAll || a?.durable === true;
    const key = dedupKey(env.from, env.id);
    if (dedup && !this.seen.admit(recipient, key)) {
      if (this.port.events.wants("ipc.duplicate")) this.port.events.emit("ipc.duplicate", { message: env.id, recipient }, env.from as never);
      reply?.(null, undefined);
      return "duplicate";
    }
    // One-way copies carry a refusal catcher, so mail the kernel refuses when the agent ends before
    // handling it (kernel.exit) lands in the dead-letter queue instead of vanishing. `settled` keeps
    // one copy from being dead-lettered twice (a parked letter is both refused and drained).
    let settled = false;
    const r = reply ?? ((err: Error | null) => {
      if (err === null || settled || !isAiosError(err, "E_AGENT_STOPPED")) return;
      settled = true;
      this.deadLetter(env, "agent_ended", err.message, recipient, false);
    });
    try {
      // Every copy goes with its key: the kernel tells the recipient an envelope came through here
      // (ctx.enveloped, docs/adr/0083), and a durable recipient's journal record keeps it.
      const p = this.port.deliver(env.from, recipient, env, onFull, r, key);
      if (p !== undefined) await p;
      return "delivered";
    } catch (e) {
      if (dedup) this.seen.forget(recipient, key);
      let reason: DeadLetterReason;
      if (isAiosError(e, "E_MAILBOX_FULL")) reason = "mailbox_full";
      else if (isAiosError(e, "E_NO_AGENT") || isAiosError(e, "E_AGENT_STOPPED")) reason = "agent_ended";
      else throw e;
      if (settled) throw e;
      settled = true;
      return this.deadLetter(env, reason, e.message, recipient, strict);
    }
  }

  /**
   * A recipient on another cluster node: the kernel stores the copy for it under the envelope's id
   * (its de-duplication key there); the receive-side checks run where it is delivered. E_NO_AGENT
   * (no node has it, or a request, which cannot cross nodes yet) dead-letters it as unknown.
   */
  private async admitRemote(env: Envelope, recipient: string, onFull: "wait" | "fail" | undefined, reply: Reply | undefined, strict: boolean): Promise<Outcome> {
    try {
      const p = this.port.deliver(env.from, recipient, env, onFull, reply, dedupKey(env.from, env.id));
      if (p !== undefined) await p;
      return "delivered";
    } catch (e) {
      // A full remote mailbox (its rows bounded, docs/adr/0046) is dead-lettered as a local one is.
      if (isAiosError(e, "E_MAILBOX_FULL")) return this.deadLetter(env, "mailbox_full", e.message, recipient, strict);
      if (!isAiosError(e, "E_NO_AGENT")) throw e;
      return this.deadLetter(env, "unknown_agent", e.message, recipient, strict);
    }
  }

  /**
   * Receive-side checks for a copy that crossed cluster nodes (remote-gate.ts), on the receiving node:
   * exactly refuse()'s, the signer's key also looked up among those the sending node vouched for.
   * A refused copy is dead-lettered here (not strict: its sender was acknowledged on its own node).
   */
  screenRemote(env: Envelope, json: string, recipient: string, vouched: readonly VouchedKey[]): [DeadLetterReason, string] | null {
    const no = this.refuse(env, json, this.port.agent(recipient), recipient, vouched);
    if (no !== null) this.deadLetter(env, no[0], no[1], recipient, false);
    return no;
  }

  /** The public keys a receiving node needs for `env`'s signature (this node's, vouched for by it). */
  vouchFor(env: Envelope): VouchedKey[] {
    return vouchFor(this.keys, env);
  }

  /** Receive-side checks for a stream chunk; dead-letters it and returns why when refused. */
  checkChunk(env: Envelope, json: string, recipient: string): string | null {
    const no = this.refuse(env, json, this.port.agent(recipient), recipient);
    if (no === null) return null;
    this.deadLetter(env, no[0], no[1], recipient, false);
    return `${no[0]}: ${no[1]}`;
  }

  private admitPull(env: Envelope, json: string, recipient: string): Outcome {
    const no = this.refuse(env, json, this.port.agent(recipient), recipient);
    if (no !== null) return this.deadLetter(env, no[0], no[1], recipient, false);
    return this.intoInbox(env, recipient) ?? "delivered";
  }

  /**
   * Puts a checked topic copy into `recipient`'s pull inbox (here, or from another cluster node through
   * the remote gate, docs/adr/0068): null once it is there; a full inbox dead-letters it.
   */
  intoInbox(env: Envelope, recipient: string): DeadLetter | null {
    if (this.inboxes.put(recipient, env)) return null;
    return this.deadLetter(env, "mailbox_full", `the pull inbox of ${recipient} is full (${this.inboxes.capacity})`, recipient, false);
  }

  /** Records a dead letter; throws the matching error for a strict (direct or intent) send. */
  deadLetter(env: Envelope, reason: DeadLetterReason, detail: string, recipient: string | undefined, strict: boolean): DeadLetter {
    const dl = this.deadLetters.add(env, reason, detail, recipient);
    if (this.port.events.wants("ipc.dead_letter")) {
      this.port.events.emit("ipc.dead_letter", { id: dl.id, message: env.id, reason, detail, ...(recipient === undefined ? {} : { recipient }) }, env.from as never, "warn");
    }
    if (strict) throw new AiosError(REASON_CODE[reason], `message ${env.id} was not delivered (${reason}): ${detail}`, { details: { deadLetter: dl.id, reason, ...(recipient === undefined ? {} : { agent: recipient }) } });
    return dl;
  }

  /** Re-sends a dead letter as it was (same id, same signature); it leaves the queue on success. */
  replay(id: string): Promise<void> {
    return this.deadLetters.replay(id, async (dl) => {
      const env = dl.envelope;
      const json = encodePayload(env.payload, Number.MAX_SAFE_INTEGER);
      const target = dl.recipient ?? env.to;
      if (target === undefined) throw new AiosError("E_INVALID_ARG", `dead letter ${id} has no recipient to replay to`);
      await this.admit(env, json, target, undefined, undefined, true);
    });
  }

  // ---- topics, skills, contracts ------------------------------------------------------------

  subscribe(agent: string, pattern: string, mode: "push" | "pull" = "push"): void {
    const list = this.subsOf.get(agent) ?? [];
    if (list.some((s) => s.pattern === pattern && s.mode === mode)) return;
    const sub: Sub = { agent, pattern, mode };
    this.topics.add(pattern, sub);
    list.push(sub);
    this.subsOf.set(agent, list);
  }

  unsubscribe(agent: string, pattern: string): number {
    const list = this.subsOf.get(agent) ?? [];
    const gone = list.filter((s) => s.pattern === pattern);
    for (const s of gone) this.topics.remove(s.pattern, s);
    this.subsOf.set(agent, list.filter((s) => s.pattern !== pattern));
    return gone.length;
  }

  /**
   * Records (on) `agent`'s subscription to `pattern` in `mode`, or removes (off) every mode of it, in
   * the cluster's directory on a cluster node (docs/adr/0041, 0068): publishers on other nodes find it
   * there. Nothing elsewhere.
   */
  async share(agent: string, pattern: string, on: boolean, mode: "push" | "pull" = "push"): Promise<void> {
    await this.port.topics?.()?.subscribe(agent as AgentId, pattern, on, mode);
  }

  /** True when `agent` has a subscription in `mode` here matching `topic` (the receiving node's check). */
  subscribed(agent: string, topic: string, mode: "push" | "pull" = "push"): boolean {
    return this.subsOf.get(agent)?.some((s) => s.mode === mode && topicMatches(s.pattern, topic)) === true;
  }

  subscriptionsOf(agent: string): number {
    return this.subsOf.get(agent)?.length ?? 0;
  }

  async register(agent: AgentFacts, skills: readonly Skill[], contract: { input?: string; output?: string } = {}): Promise<number> {
    for (const [k, id] of Object.entries(contract)) {
      if (id !== undefined && !this.schemas.has(id)) throw new AiosError("E_INVALID_ARG", `${k}: "${id}" is not a registered payload schema`, { details: { path: k } });
    }
    if (skills.length > 0 && this.router === undefined) throw new AiosError("E_CONFIG", "intent routing is off: ipcSubsystem was built without an embedder", { details: { path: "skills" } });
    const n = this.router === undefined ? 0 : await this.router.register(agent.id, skills);
    this.fromDirectory.delete(agent.id);
    // On a cluster node the skills are recorded for the other nodes' routers (docs/adr/0055).
    if (this.router !== undefined) await this.port.skills?.()?.record(agent.id as AgentId, skills);
    this.contracts.set(agent.id, { name: agent.name, ...(contract.input === undefined ? {} : { input: contract.input }), ...(contract.output === undefined ? {} : { output: contract.output }) });
    return n;
  }

  /** Per-agent entries held (subscribers, contracts, inboxes, de-duplication windows), for the bounds tests. */
  tables(): { subscribers: number; contracts: number; inboxes: number; seen: number } {
    return { subscribers: this.subsOf.size, contracts: this.contracts.size, inboxes: this.inboxes.size, seen: this.seen.agents };
  }

  /** Forgets an ended agent's subscriptions, skills, contract and inbox (durable ones keep their seen window). */
  forget(agent: string, durable: boolean): void {
    for (const s of this.subsOf.get(agent) ?? []) this.topics.remove(s.pattern, s);
    this.subsOf.delete(agent);
    this.router?.unregister(agent);
    this.fromDirectory.delete(agent);
    this.contracts.delete(agent);
    this.inboxes.drop(agent);
    this.streams.forget(agent);
    if (!durable) this.seen.drop(agent);
  }
}
