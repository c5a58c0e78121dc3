/**
 * The model router: resolves an agent's `model` (an entry or a route) to an ordered list of backends
 * (route policy fixed / cheapest / fastest / round_robin, then each one's fallback chain), and calls
 * them in order: each backend behind its circuit breaker, retryable failures retried with
 * exponential backoff that never waits less than the server's Retry-After, then the next backend.
 * Successful calls are charged to the agent and its tenant. Cancellation is never retried.
 */
import { AiosError, isAiosError, toAiosError, type AgentId, type Clock, type EventBus } from "../core/index.js";
import type { CallSignal, TraceSpan } from "../abi/index.js";
import { ATTR } from "../observe/index.js";
import "./events.js";
import { Accounting, type Price } from "./accounting.js";
import { CircuitBreaker, countsAsBackendFailure, type BreakerOptions } from "./breaker.js";
import { createProvider, type ModelsConfig, type Route } from "./config.js";
import { abortedOf, CallOptions, signalOf } from "./call-options.js";
import type { ChatOptions, ChatRequest, ChatResult, ModelProvider } from "./types.js";
import { checkToolCalls } from "./wire.js";

export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
}

export interface RouterOptions {
  readonly clock: Clock;
  readonly models: ModelsConfig;
  readonly routes?: Readonly<Record<string, Route>>;
  /** Providers built in code (e.g. a scripted replay), overriding or adding to the config's entries. */
  readonly providers?: Readonly<Record<string, ModelProvider>>;
  readonly events?: EventBus;
  readonly env?: NodeJS.ProcessEnv;
  readonly breaker?: BreakerOptions;
  readonly backoff?: BackoffOptions;
}

export interface RouteCall {
  readonly agent: AgentId;
  readonly tenant: string;
  readonly model: string;
  readonly signal?: AbortSignal;
  /** The syscall the call is made for: its signal cancels the call, read when first needed (ADR 0077). */
  readonly cancel?: CallSignal;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** The scheduler slot's preemption request, handed to providers that can yield (local). */
  readonly preemption?: { readonly requested: boolean; yield(): Promise<void> };
  /** The LlmInvoke's span (tracing on): the provider's request carries it, the time to first chunk is set on it. */
  readonly trace?: TraceSpan;
}

export interface RoutedResult extends ChatResult {
  readonly backend: string;
  readonly cost: number;
}

interface Backend {
  readonly name: string;
  readonly provider: ModelProvider;
  readonly price: Price | undefined;
  readonly fallback: readonly string[];
  readonly maxRetries: number;
  readonly maxTokens: number | undefined;
  readonly breaker: CircuitBreaker;
  latencyMs: number;
}

export class ModelRouter {
  readonly accounting = new Accounting();
  private readonly backends = new Map<string, Backend>();
  private readonly routes: Readonly<Record<string, Route>>;
  private readonly rr = new Map<string, number>();

  constructor(private readonly o: RouterOptions) {
    this.routes = o.routes ?? {};
    const names = new Set([...Object.keys(o.models), ...Object.keys(o.providers ?? {})]);
    for (const name of names) {
      const e = o.models[name];
      const provider = o.providers?.[name] ?? (e === undefined ? undefined : createProvider(name, e, o.env));
      if (provider === undefined) continue;
      const breaker = new CircuitBreaker(o.clock, o.breaker, (state) => o.events?.emit("model.breaker", { backend: name, state }, undefined, state === "open" ? "warn" : "info"));
      this.backends.set(name, { name, provider, price: e?.price, fallback: e?.fallback ?? [], maxRetries: e?.maxRetries ?? 2, maxTokens: e?.maxTokens, breaker, latencyMs: 0 });
    }
  }

  has(name: string): boolean {
    return this.backends.has(name) || name in this.routes;
  }

  provider(name: string): ModelProvider | undefined {
    return this.backends.get(name)?.provider;
  }

  breakerState(name: string): string | undefined {
    return this.backends.get(name)?.breaker.state;
  }

  /** Ordered backends for a model or route name, fallbacks appended, no duplicates. */
  candidates(name: string): string[] {
    const route = this.routes[name];
    let first: string[];
    if (route === undefined) {
      // The common case, a plain entry without fallbacks, allocates one small array and no closure.
      const b = this.backends.get(name);
      if (b !== undefined && b.fallback.length === 0) return [name];
      first = [name];
    }
    else if (route.policy === "fixed") first = [...route.models];
    else if (route.policy === "cheapest") first = [...route.models].sort((a, b) => this.unitPrice(a) - this.unitPrice(b));
    else if (route.policy === "fastest") first = [...route.models].sort((a, b) => (this.backends.get(a)?.latencyMs ?? 0) - (this.backends.get(b)?.latencyMs ?? 0));
    else {
      const i = this.rr.get(name) ?? 0;
      this.rr.set(name, i + 1);
      const k = i % route.models.length;
      first = [...route.models.slice(k), ...route.models.slice(0, k)];
    }
    const out: string[] = [];
    const visit = (n: string): void => {
      if (out.includes(n)) return;
      out.push(n);
      for (const f of this.backends.get(n)?.fallback ?? []) visit(f);
    };
    first.forEach(visit);
    return out;
  }

  private unitPrice(name: string): number {
    const p = this.backends.get(name)?.price;
    return p === undefined ? 0 : p.promptPer1k + p.completionPer1k;
  }

  private delay(attempt: number, e: AiosError): number {
    const b = this.o.backoff ?? {};
    const base = Math.min(b.maxMs ?? 30_000, (b.initialMs ?? 250) * (b.factor ?? 2) ** attempt);
    const after = e.details["retryAfterMs"];
    return typeof after === "number" ? Math.max(after, base) : base;
  }

  chat(call: RouteCall, req: ChatRequest): Promise<RoutedResult> {
    if (!this.has(call.model)) return Promise.reject(new AiosError("E_INVALID_ARG", `model "${call.model}" is not configured`, { details: { path: "model", model: call.model } }));
    const names = this.candidates(call.model);
    const b = names[0] === undefined ? undefined : this.backends.get(names[0]);
    if (b === undefined) return this.failover(call, req, names, undefined);
    // The common case, the first backend answering at the first attempt, is one promise: no async
    // frame (with its retry loop's registers) per model call; anything else continues in failover().
    // An open circuit starts failover() afresh: a refused tryAcquire() changes nothing.
    if (!b.breaker.tryAcquire()) return this.failover(call, req, names, undefined);
    return this.once(b, call, req).catch((err: unknown) => this.failover(call, req, names, { b, err }));
  }

  /**
   * Retries and fallbacks over `names`, in order; `first`, when chat() made the first backend's first
   * attempt, is how it failed.
   */
  private async failover(call: RouteCall, req: ChatRequest, names: readonly string[], first: { readonly b: Backend; readonly err: unknown } | undefined): Promise<RoutedResult> {
    let last: AiosError | undefined;
    let prev: string | undefined;
    let pending = first;
    for (const name of names) {
      const b = this.backends.get(name);
      if (b === undefined) continue;
      if (prev !== undefined && last !== undefined) this.o.events?.emit("model.fallback", { from: prev, to: name, code: last.code }, call.agent, "warn");
      prev = name;
      for (let attempt = 0; ; attempt++) {
        let err: unknown;
        if (pending !== undefined && pending.b === b && attempt === 0) {
          err = pending.err;
          pending = undefined;
        } else {
          if (!b.breaker.tryAcquire()) {
            last = new AiosError("E_MODEL", `model "${name}": circuit open after repeated failures`, { details: { model: name, retryAfterMs: b.breaker.retryInMs() } });
            break;
          }
          try {
            return await this.once(b, call, req);
          } catch (e) {
            err = e;
          }
        }
        const e = toAiosError(err, "E_MODEL");
        if (e.code === "E_CANCELLED" || abortedOf(call)) {
          b.breaker.neutral();
          throw isAiosError(e, "E_CANCELLED") ? e : new AiosError("E_CANCELLED", `model "${name}": the call was cancelled`, { cause: e });
        }
        if (countsAsBackendFailure(e)) b.breaker.failure();
        else b.breaker.neutral();
        last = e;
        if (!e.retryable || attempt >= b.maxRetries) break;
        const ms = this.delay(attempt, e);
        this.o.events?.emit("model.retry", { backend: name, attempt: attempt + 1, delayMs: ms, code: e.code }, call.agent, "warn");
        try {
          await this.o.clock.sleep(ms, signalOf(call));
        } catch (abort) {
          throw new AiosError("E_CANCELLED", `model "${name}": cancelled while waiting to retry`, { cause: abort });
        }
      }
    }
    throw last ?? new AiosError("E_MODEL", `model "${call.model}": no backend available`, { details: { model: call.model } });
  }

  /** One attempt on one backend: a chat, or a stream when someone listens for model.token. */
  private once(b: Backend, call: RouteCall, req: ChatRequest): Promise<RoutedResult> {
    const t0 = this.o.clock.monotonic();
    const maxTokens = call.maxTokens ?? b.maxTokens;
    const opts = new CallOptions(call.agent, call);
    if (call.preemption) opts.preemption = call.preemption;
    if (call.trace) opts.trace = call.trace;
    if (maxTokens !== undefined) opts.maxTokens = maxTokens;
    if (call.temperature !== undefined) opts.temperature = call.temperature;
    if (this.o.events?.wants("model.token") === true) return this.streamed(b, call, req, opts, t0);
    let asked: Promise<ChatResult>;
    try {
      asked = b.provider.chat(req, opts);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return asked.then((result) => this.answered(b, call, result, t0));
  }

  /**
   * Someone listens: stream, forwarding each text piece as it arrives. The first piece (text or a
   * tool call's) is the time to first chunk, set on the chat span when the call is traced.
   */
  private async streamed(b: Backend, call: RouteCall, req: ChatRequest, opts: ChatOptions, t0: number): Promise<RoutedResult> {
    const ev = this.o.events;
    const span = call.trace;
    let first = true;
    let result: ChatResult | undefined;
    for await (const d of b.provider.stream(req, opts)) {
      if (d.type === "done") result = d.result;
      else {
        if (first && span !== undefined) span.setAttribute(ATTR.RESPONSE_TIME_TO_FIRST_CHUNK, (this.o.clock.monotonic() - t0) / 1000);
        first = false;
        if (d.type === "text") ev?.emit("model.token", { model: b.name, text: d.text }, call.agent, "debug");
      }
    }
    if (result === undefined) throw new AiosError("E_MODEL_OUTPUT", `model "${b.name}": the stream ended without a result`);
    return this.answered(b, call, result, t0);
  }

  /** A backend answered: its breaker, latency, accounting and model.call event; the routed result. */
  private answered(b: Backend, call: RouteCall, result: ChatResult, t0: number): RoutedResult {
    b.breaker.success();
    const durationMs = this.o.clock.monotonic() - t0;
    b.latencyMs = b.latencyMs === 0 ? durationMs : 0.8 * b.latencyMs + 0.2 * durationMs;
    const cost = this.accounting.record(call.agent, call.tenant, result.usage, b.price);
    const ev = this.o.events;
    if (ev?.wants("model.call") === true) {
      ev.emit("model.call", { model: call.model, backend: b.name, promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, cost, durationMs }, call.agent);
    }
    // Its tokens are spent (recorded above) whatever it said; garbage in its tool calls is named here.
    checkToolCalls(b.name, result.toolCalls);
    // Field by field: a spread of the provider's result takes a slow generic path on every call.
    return { text: result.text, toolCalls: result.toolCalls, usage: result.usage, finishReason: result.finishReason, model: result.model, backend: b.name, cost };
  }

  release(session: string): void {
    for (const b of this.backends.values()) b.provider.release?.(session);
  }

  async close(): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => b.provider.close?.() ?? Promise.resolve()));
  }
}
