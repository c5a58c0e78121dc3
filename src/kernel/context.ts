/**
 * The AgentContext an agent's logic receives: its only way out (DESIGN invariant 1). `sys` exposes
 * every registered syscall by name; send, request, spawn and reply are shorthands over the same door.
 * ctx.send takes the dispatcher's fast path: the argument check, the capability check (cached per
 * agent until grants change) and, when a policy or quota stage is installed, the full door.
 */
import { AiosError, type AgentId, type MessageId } from "../core/index.js";
import { grantText, type AgentContext, type SendOptions } from "../abi/index.js";
import type { AgentSpec, AgentSpecInput } from "../abi/index.js";
import { isLetter, senderOf } from "./mailbox.js";
import type { SyscallApi } from "../abi/index.js";
import type { KernelPort } from "./kernel-port.js";
import type { Proc } from "./proc.js";

const discard = (): void => undefined;
const ignore = (): void => undefined;

/**
 * The door's promise is the kernel's (DESIGN "The door"): a rejection the agent never awaits must not
 * become the process's unhandled rejection. The refusal or failure itself is already data — the door
 * audited it and emitted `syscall.denied` / `syscall.completed` — so the kernel's own handler only
 * marks the promise observed; an agent that awaits it still gets the error.
 */
function own<T>(r: Promise<T>): Promise<T> {
  r.catch(ignore);
  return r;
}

export class AgentCtx implements AgentContext {
  private sysApi: SyscallApi | undefined;

  constructor(
    private readonly k: KernelPort,
    private readonly p: Proc,
  ) {}

  get self(): AgentId {
    return this.p.id;
  }
  get spec(): AgentSpec {
    return this.p.spec;
  }
  get sender(): AgentId | undefined {
    return senderOf(this.p.current);
  }
  get messageId(): MessageId | undefined {
    const p = this.p;
    if (!p.handling) return undefined;
    let cur = p.current;
    // A plain send carries no letter; one is made the first time its id is asked for, so it is stable.
    if (!isLetter(cur)) p.current = cur = { payload: undefined, from: cur, seq: 0, reply: undefined, id: undefined };
    return (cur.id ??= this.k.ids.message()) as MessageId;
  }
  /** Aborted when the agent is killed or paused (long model and tool calls stop early). */
  get signal(): AbortSignal {
    return (this.p.abort ??= new AbortController()).signal;
  }

  get sys(): SyscallApi {
    if (this.sysApi === undefined) {
      const d = this.k.dispatcher;
      const p = this.p;
      const cache: Record<string, (args: unknown) => Promise<unknown>> = {};
      this.sysApi = new Proxy(cache, {
        get: (t, name) => (typeof name === "string" ? (t[name] ??= (args: unknown) => own(d.invoke(p, name, args))) : undefined),
      }) as unknown as SyscallApi;
    }
    return this.sysApi;
  }

  send(to: AgentId, payload: unknown, options?: SendOptions): void | Promise<void> {
    const k = this.k;
    const p = this.p;
    if (typeof to !== "string") throw new AiosError("E_INVALID_ARG", "send: `to` must be an agent id string", { details: { path: "to" } });
    // The door derives whether a send may skip to the capability check (no policy, quota or other
    // stage that could decide it differently); otherwise the send is a full SemanticSend.
    if (!k.dispatcher.capabilityOnly("SemanticSend")) {
      return own(this.sys.SemanticSend({ to, payload, ...(options?.onFull === undefined ? {} : { onFull: options.onFull }) }).then(discard));
    }
    if (p.sendGen !== k.capGeneration) {
      const d = k.guards.capabilities.check(p, { resource: "agent:*", action: "send" });
      p.sendAny = d.allowed;
      p.sendGen = k.capGeneration;
      if (d.allowed) k.guards.audit?.record({ agent: p.id, syscall: "SemanticSend", decision: "allowed", by: grantText(d.by), reason: "grant covers every recipient; later sends under it are not audited one by one" });
    }
    if (!p.sendAny) {
      const d = k.guards.capabilities.check(p, { resource: `agent:${to}`, action: "send" });
      if (!d.allowed) {
        const err = new AiosError("E_CAP_DENIED", d.reason, { details: { resource: `agent:${to}`, action: "send" } });
        k.guards.audit?.record({ agent: p.id, syscall: "SemanticSend", decision: "denied", reason: d.reason, error: err.toJSON() });
        if (k.events.wants("syscall.denied")) k.events.emit("syscall.denied", { name: "SemanticSend", reason: d.reason, code: err.code }, p.id, "warn");
        throw err;
      }
    }
    const r = k.deliver(p, to, payload, options?.onFull, undefined);
    return r === undefined ? r : own(r);
  }

  /** A request passes the whole door (AgentRequest): capability, policy, quota, audit, event. */
  request(to: AgentId, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.sys.AgentRequest({ to, payload, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  }

  reply(value: unknown): void {
    const cur = this.p.current;
    if (!isLetter(cur) || cur.reply === undefined) return;
    const r = cur.reply;
    cur.reply = undefined;
    r(null, value);
  }

  spawn(spec: AgentSpecInput): Promise<AgentId> {
    return own(this.sys.AgentSpawn({ spec }).then((r) => r.id));
  }
}
