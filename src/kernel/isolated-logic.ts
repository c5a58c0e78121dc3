/**
 * The kernel's side of an isolated agent (docs/adr/0023): an AgentLogic whose init and receive run
 * in the agent's worker thread (isolate-worker.ts) and whose every effect comes back as a `call` that
 * this side runs through the agent's own context (the one of the receive that made it) — ctx.sys
 * is the syscall door with the agent as caller, so capabilities, policy, quotas, audit and events
 * apply as to any agent. The state crosses as JSON on each receive (it is the checkpoint as it is:
 * snapshot and restore are the identity).
 *
 * One logic object per spawn; it holds at most one thread. terminate() (the agent ended: killed,
 * crashed, stopped) ends the thread at once, whatever the guest is doing, and answers the receive in
 * flight with the state it had, so the run loop goes on. A supervisor's restart reuses the object:
 * init opens a fresh thread; recovery skips init, so receive opens one when there is none.
 */
import type { Worker } from "node:worker_threads";
import { AiosError, ERROR_CODES, toAiosError, type AgentId, type ErrorCode } from "../core/index.js";
import type { AgentContext, AgentLogic } from "../abi/index.js";
import { fail, stop } from "../abi/index.js";
import { LetterCtx } from "./context.js";
import type { IsolatePool } from "./isolate-pool.js";
import type { FromWorker, GuestMeta, GuestOutcome, ToWorker, WireError } from "./isolate-protocol.js";

export interface IsolatedCode {
  readonly source: string;
  /** The module's real path (named in errors and stack traces). */
  readonly file: string;
  readonly exportName: string;
  /** The spec as the guest sees it (ctx.spec), JSON. */
  readonly spec: string;
}

interface Op {
  readonly id: number;
  readonly resolve: (text: string) => void;
  readonly reject: (e: AiosError) => void;
  /** Answers the op when the thread is ended on purpose (terminate): the receive's old state. */
  readonly onEnd: () => void;
}

function metaOf(ctx: AgentContext, turn: number): GuestMeta {
  return { self: ctx.self, sender: ctx.sender ?? null, messageId: ctx.messageId ?? null, enveloped: ctx.enveloped, turn };
}

/**
 * Requests a guest may still answer after their receive returned, kept per thread; past this many
 * the oldest is let go (its late reply is dropped, as a second reply is, and its requester's timeout
 * answers it).
 */
const MAX_OPEN_TURNS = 1024;

function json(v: unknown, what: string): string {
  try {
    return JSON.stringify(v === undefined ? null : v);
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `an isolated agent takes JSON: the ${what} is not (${toAiosError(e).message})`, { cause: e, details: { path: what } });
  }
}

class Thread {
  private seq = 0;
  private op: Op | undefined;
  /** The context calls run through: the agent's, set by init/receive. */
  ctx: AgentContext | undefined;
  ended = false;
  /**
   * The contexts a guest's reply may name, by turn: the receive in progress, and each request whose
   * receive returned unanswered. A reply runs through its own turn's context, never the one in
   * progress when it arrives (docs/adr/0081).
   */
  private readonly turns = new Map<number, AgentContext>();
  private turnSeq = 0;

  constructor(
    private readonly w: Worker,
    /** Longest text accepted from the guest (IsolateLimits.crossingChars). */
    private readonly maxChars: number,
  ) {
    w.on("message", (m: FromWorker) => this.onMessage(m));
    w.on("error", (e: Error) => this.lost(/out of memory|ERR_WORKER_OUT_OF_MEMORY/i.test(`${e.message} ${(e as { code?: string }).code ?? ""}`)
      ? new AiosError("E_SANDBOX", `isolated agent exceeded its thread's memory limit: ${e.message}`, { cause: e })
      : new AiosError("E_AGENT_CRASHED", `isolated agent's thread failed: ${e.message}`, { cause: e })));
    w.on("exit", (code) => this.lost(new AiosError("E_AGENT_CRASHED", `isolated agent's thread exited (code ${code})`)));
  }

  run(msg: (id: number) => ToWorker, onEnd: (op: Op) => void = () => undefined): Promise<string> {
    if (this.ended) return Promise.reject(new AiosError("E_AGENT_STOPPED", "the isolated agent's thread has ended"));
    return new Promise<string>((resolve, reject) => {
      const id = ++this.seq;
      const op: Op = { id, resolve, reject, onEnd: () => onEnd(op) };
      this.op = op;
      this.w.postMessage(msg(id));
    });
  }

  /** A receive begins: calls run through its context, and replies naming its turn answer its letter. */
  open(ctx: AgentContext): number {
    this.ctx = ctx;
    const turn = ++this.turnSeq;
    this.turns.set(turn, ctx);
    if (this.turns.size > MAX_OPEN_TURNS) this.turns.delete(this.turns.keys().next().value as number);
    return turn;
  }

  /** A receive returned: its turn stays open only for a request not answered yet. */
  close(turn: number, ctx: AgentContext): void {
    if (!(ctx instanceof LetterCtx && ctx.awaitsReply())) this.turns.delete(turn);
  }

  /** A guest's reply: answers its turn's letter once; a turn answered or closed takes none. */
  private reply(turn: number, value: unknown): void {
    const ctx = this.turns.get(turn);
    if (ctx === undefined) return;
    this.turns.delete(turn);
    ctx.reply(value);
  }

  /** Ends the thread now; the op in flight is answered by its onEnd. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const op = this.op;
    this.op = undefined;
    op?.onEnd();
    void this.w.terminate();
  }

  private lost(e: AiosError): void {
    if (this.ended) return;
    this.ended = true;
    const op = this.op;
    this.op = undefined;
    op?.reject(e);
    void this.w.terminate();
  }

  private onMessage(m: FromWorker): void {
    if (this.ended) return;
    const size = m.t === "done" ? (m.value?.length ?? 0) : m.args.length;
    if (size > this.maxChars) {
      // Refused before the kernel's thread parses it; the guest is ended like any limit hit.
      this.lost(new AiosError("E_SANDBOX", `isolated agent handed the kernel ${size} characters at once (limit ${this.maxChars})`, { details: { limit: this.maxChars } }));
      return;
    }
    if (m.t === "done") {
      const op = this.op;
      if (op === undefined || op.id !== m.id) return;
      this.op = undefined;
      if (m.error === undefined) op.resolve(m.value ?? "null");
      else op.reject(new AiosError(knownCode(m.error.code), m.error.message, { details: { isolated: true } }));
      return;
    }
    this.call(m.call, m.op, m.name, m.args, m.turn);
  }

  /**
   * The context a call made through turn `turn`'s ctx runs through: that turn's while it is open;
   * for a turn closed (a callback of a receive that returned), one bound to no letter, so a durable
   * agent's late effect is out of turn (ADR 0016) and not numbered in the receive now in progress.
   */
  private ctxOf(turn: number): AgentContext | undefined {
    const open = this.turns.get(turn);
    if (open !== undefined) return open;
    const ctx = this.ctx;
    return ctx instanceof LetterCtx ? ctx.detached() : ctx;
  }

  /** A guest's call, run through the context of the receive that made it: the one door. */
  private call(call: number, op: string, name: string, argsText: string, turn: number): void {
    const ctx = this.ctxOf(turn);
    const answer = (value: unknown): void => {
      if (call !== 0 && !this.ended) this.w.postMessage({ t: "result", call, value: json(value, "result") } satisfies ToWorker);
    };
    const refuse = (e: unknown): void => {
      const err = toAiosError(e);
      if (call !== 0 && !this.ended) this.w.postMessage({ t: "result", call, error: { code: err.code, message: err.message } } satisfies ToWorker);
    };
    try {
      if (ctx === undefined) throw new AiosError("E_AGENT_STOPPED", "the agent has no context yet");
      const args: unknown = JSON.parse(argsText);
      const a = (typeof args === "object" && args !== null ? args : {}) as { payload?: unknown; options?: { timeoutMs?: unknown; onFull?: unknown } };
      let r: unknown;
      if (op === "reply") r = this.reply(Number(name), args);
      else if (op === "send") {
        const onFull = a.options?.onFull;
        r = ctx.send(name as AgentId, a.payload, onFull === "wait" || onFull === "fail" ? { onFull } : {});
      } else if (op === "request") {
        const t = a.options?.timeoutMs;
        r = ctx.request(name as AgentId, a.payload, typeof t === "number" ? { timeoutMs: t } : {});
      } else if (op === "spawn") r = ctx.spawn(args as never);
      else {
        const fn: unknown = Reflect.get(ctx.sys, name);
        if (typeof fn !== "function") throw new AiosError("E_NO_SYSCALL", `no syscall ${name}`, { details: { name } });
        r = (fn as (x: unknown) => unknown)(args);
      }
      if (r instanceof Promise) r.then(answer, refuse);
      else answer(r);
    } catch (e) {
      refuse(e);
    }
  }
}

/** A code from the worker names an error of the taxonomy, or the agent crashed. */
function knownCode(code: string): ErrorCode {
  return Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : "E_AGENT_CRASHED";
}

export class IsolatedLogic implements AgentLogic {
  private thread: Thread | undefined;

  constructor(
    private readonly pool: IsolatePool,
    private readonly code: IsolatedCode,
  ) {}

  /** Starts a thread and loads the module into it (the spawn fails here on a bad module). */
  async open(): Promise<void> {
    this.thread?.end();
    const t = new Thread(await this.pool.take(), this.pool.limits.crossingChars);
    this.thread = t;
    const c = this.code;
    try {
      await t.run((id) => ({ t: "load", id, source: c.source, file: c.file, exportName: c.exportName, spec: c.spec }));
    } catch (e) {
      t.end();
      this.thread = undefined;
      const err = toAiosError(e);
      throw new AiosError("E_INVALID_SPEC", `module ${c.file}: cannot run isolated: ${err.message}`, { cause: e, details: { path: "module" } });
    }
  }

  private async live(): Promise<Thread> {
    if (this.thread === undefined || this.thread.ended) await this.open();
    return this.thread as Thread;
  }

  async init(ctx: AgentContext, args: unknown): Promise<unknown> {
    // A restart (the same logic object, its old thread ended) gets a fresh thread.
    const t = await this.live();
    t.ctx = ctx;
    const text = await t.run((id) => ({ t: "init", id, args: json(args, "args"), meta: metaOf(ctx, 0) }), (op) => op.resolve("null"));
    return JSON.parse(text) as unknown;
  }

  async receive(state: unknown, message: unknown, ctx: AgentContext): Promise<unknown> {
    const t = await this.live();
    const before = json(state, "state");
    const turn = t.open(ctx);
    let text: string;
    try {
      const meta = metaOf(ctx, turn);
      text = await t.run((id) => ({ t: "receive", id, state: before, payload: json(message, "message"), meta }), (op) => op.resolve(JSON.stringify({ state })));
    } finally {
      t.close(turn, ctx);
    }
    const out = JSON.parse(text) as GuestOutcome;
    if ("stop" in out) return out.stop.outcome === "failed" ? fail(out.stop.reason ?? "failed") : stop(out.stop.result);
    return out.state;
  }

  snapshot(state: unknown): unknown {
    return state;
  }
  restore(data: unknown): unknown {
    return data;
  }

  terminate(): void {
    this.thread?.end();
    this.thread = undefined;
  }
}

export type { WireError };
