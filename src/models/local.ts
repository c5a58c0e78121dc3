/**
 * Local GGUF provider over node-llama-cpp (prebuilt CPU binary, never builds). One model is loaded
 * once and one context holds `maxSequences` sequences, so concurrent agents share the weights and
 * their tokens are batched into the same decode steps. Each session (agent) keeps its sequence across
 * steps, so the KV cache of the unchanged conversation prefix is reused and only new tokens are
 * evaluated; when every sequence is taken, the least-recently-used idle session is evicted, and if
 * all are busy the caller waits (FIFO) for one. The model has no chat template or tool calling: the
 * conversation is rendered as plain text and tools are not offered to it.
 */
import { existsSync } from "node:fs";
// Types only: node-llama-cpp and what it pulls in are imported when a model is first loaded, so a
// stack that never runs a local model never pays for loading them.
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { AiosError } from "../core/index.js";
import type { ChatDelta, ChatMessage, ChatOptions, ChatRequest, ChatResult, ModelProvider } from "./types.js";
import { cancelled } from "./wire.js";

export interface LocalOptions {
  readonly name: string;
  readonly modelPath: string;
  /** CPU threads per evaluation (default 1: on small machines more threads is much slower). */
  readonly threads?: number;
  /** Tokens per sequence (default 512). */
  readonly contextSize?: number;
  /** Sequences in the shared context = agents generating at once (default 8). */
  readonly maxSequences?: number;
  readonly defaultMaxTokens?: number;
}

interface Session {
  readonly seq: LlamaContextSequence;
  lastUsed: number;
  busy: boolean;
}

interface Loaded {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
}

export interface LocalStats {
  evaluatedTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  evictions: number;
  preemptions: number;
}

export function renderPrompt(messages: readonly ChatMessage[]): string {
  return messages.map((m) => (m.role === "tool" ? `[${m.name} returned: ${m.content}]` : m.content)).join("\n") + "\n";
}

export class LocalProvider implements ModelProvider {
  readonly name: string;
  readonly stats: LocalStats = { evaluatedTokens: 0, reusedTokens: 0, generatedTokens: 0, evictions: 0, preemptions: 0 };
  private loading: Promise<Loaded> | undefined;
  private loaded: Loaded | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly waiters: (() => void)[] = [];
  private tick = 0;
  private anon = 0;

  constructor(private readonly o: LocalOptions) {
    this.name = o.name;
  }

  get contextSize(): number {
    return this.o.contextSize ?? 512;
  }

  /** Loads the model (idempotent); a missing or unloadable file is E_CONFIG naming the entry. */
  load(): Promise<Loaded> {
    this.loading ??= (async () => {
      if (!existsSync(this.o.modelPath)) throw new AiosError("E_CONFIG", `model "${this.name}": model file not found: ${this.o.modelPath}`, { details: { model: this.name, path: this.o.modelPath } });
      try {
        const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
        const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
        const model = await llama.loadModel({ modelPath: this.o.modelPath });
        const context = await model.createContext({ sequences: this.o.maxSequences ?? 8, contextSize: this.contextSize, threads: this.o.threads ?? 1 });
        this.loaded = { llama, model, context };
        return this.loaded;
      } catch (e) {
        throw new AiosError("E_CONFIG", `model "${this.name}": cannot load ${this.o.modelPath}: ${(e as Error).message}`, { cause: e, details: { model: this.name } });
      }
    })();
    return this.loading;
  }

  countTokens(text: string): number {
    return this.loaded === undefined ? Math.ceil(text.length / 4) : this.loaded.model.tokenize(text).length;
  }

  /** Sessions holding a sequence right now (for tests and the dashboard). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private async acquire(l: Loaded, key: string, signal?: AbortSignal): Promise<Session> {
    for (;;) {
      const have = this.sessions.get(key);
      if (have !== undefined && !have.busy) return this.mark(have);
      if (have === undefined) {
        if (l.context.sequencesLeft === 0) this.evictIdle();
        if (l.context.sequencesLeft > 0) {
          const s: Session = { seq: l.context.getSequence(), lastUsed: 0, busy: false };
          this.sessions.set(key, s);
          return this.mark(s);
        }
      }
      if (signal?.aborted === true) throw cancelled(this.name);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private mark(s: Session): Session {
    s.busy = true;
    s.lastUsed = ++this.tick;
    return s;
  }

  private evictIdle(): void {
    let victim: [string, Session] | undefined;
    for (const e of this.sessions) if (!e[1].busy && (victim === undefined || e[1].lastUsed < victim[1].lastUsed)) victim = e;
    if (victim === undefined) return;
    this.sessions.delete(victim[0]);
    disposeQuietly(victim[1].seq);
    this.stats.evictions++;
  }

  private free(key: string, s: Session, drop: boolean): void {
    s.busy = false;
    if (drop) {
      this.sessions.delete(key);
      disposeQuietly(s.seq);
    }
    // Wake every waiter: each re-checks for its own session, in arrival order.
    for (const w of this.waiters.splice(0)) w();
  }

  async chat(req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
    let done: ChatResult | undefined;
    for await (const d of this.stream(req, opts)) if (d.type === "done") done = d.result;
    if (done === undefined) throw new AiosError("E_INTERNAL", `model "${this.name}": generation ended without a result`);
    return done;
  }

  async *stream(req: ChatRequest, opts: ChatOptions = {}): AsyncGenerator<ChatDelta> {
    const l = await this.load();
    const tokens = l.model.tokenize(renderPrompt(req.messages));
    const maxTokens = opts.maxTokens ?? this.o.defaultMaxTokens ?? 128;
    if (tokens.length + 1 > this.contextSize) {
      throw new AiosError("E_CONTEXT_OVERFLOW", `model "${this.name}": prompt of ${tokens.length} tokens does not fit the ${this.contextSize}-token context`, { details: { model: this.name, promptTokens: tokens.length, contextSize: this.contextSize } });
    }
    const key = opts.session ?? `anon:${++this.anon}`;
    const s = await this.acquire(l, key, opts.signal);
    let failed = false;
    try {
      // Keep the KV cache of the common prefix; always re-evaluate at least the last prompt token.
      const keep = Math.min(s.seq.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1);
      if (s.seq.nextTokenIndex > keep) await s.seq.eraseContextTokenRanges([{ start: keep, end: s.seq.nextTokenIndex }]);
      this.stats.reusedTokens += keep;
      this.stats.evaluatedTokens += tokens.length - keep;
      const out: Token[] = [];
      let text = "";
      let finishReason: ChatResult["finishReason"] = "stop";
      const room = this.contextSize - tokens.length;
      for await (const t of s.seq.evaluate(tokens.slice(keep), { temperature: opts.temperature ?? 0 })) {
        if (opts.signal?.aborted === true) throw cancelled(this.name);
        if (l.model.isEogToken(t)) break;
        out.push(t);
        const full = l.model.detokenize(out);
        const piece = full.slice(text.length);
        text = full;
        if (piece !== "") yield { type: "text", text: piece };
        if (out.length >= maxTokens || out.length >= room) {
          finishReason = "length";
          break;
        }
        if (opts.preemption?.requested === true) {
          // Pausing the generator pauses only this sequence; the others keep decoding in the batch.
          this.stats.preemptions++;
          await opts.preemption.yield();
          if (aborted(opts.signal)) throw cancelled(this.name);
        }
      }
      this.stats.generatedTokens += out.length;
      yield { type: "done", result: { text, toolCalls: [], usage: { promptTokens: tokens.length, completionTokens: out.length }, finishReason, model: this.name } };
    } catch (e) {
      failed = true;
      throw e instanceof AiosError ? e : new AiosError("E_MODEL", `model "${this.name}": generation failed: ${(e as Error).message}`, { cause: e });
    } finally {
      // Anonymous and failed sessions give their sequence back; a failed one may hold a torn cache.
      this.free(key, s, failed || opts.session === undefined);
    }
  }

  release(session: string): void {
    const s = this.sessions.get(session);
    if (s !== undefined && !s.busy) this.free(session, s, true);
  }

  async close(): Promise<void> {
    const l = this.loaded;
    this.loaded = undefined;
    this.loading = undefined;
    this.sessions.clear();
    if (l !== undefined) await l.llama.dispose();
  }
}

/** Disposing a sequence only frees its cells; a failure there must not fail the caller's turn. */
function disposeQuietly(seq: LlamaContextSequence): void {
  seq.dispose().catch(() => undefined);
}

/** A function, not an inline read: TypeScript would otherwise keep an earlier narrowing across awaits. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
