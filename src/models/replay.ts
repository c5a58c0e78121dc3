/**
 * The replay provider: plays a recorded transcript of model turns so agent tests and benchmarks are
 * deterministic and cost nothing. Each session (agent) has its own cursor, so concurrent agents each
 * see the transcript from the start. A turn may be an error, to replay failures. Tool calls in a
 * turn go through the same validation as a real provider's (unknown tool -> E_MODEL_OUTPUT).
 */
import { AiosError, type ErrorCode } from "../core/index.js";
import type { ChatDelta, ChatOptions, ChatRequest, ChatResult, ModelProvider } from "./types.js";
import { cancelled, finalizeToolCalls, malformed } from "./wire.js";
import { cancelledCall } from "./call-options.js";
import { estimateTokens, promptTokens } from "./tokens.js";
import { replayTurn } from "./fast-checks.js";
import { ReplayTurnSchema, type ReplayTurn, type ReplayTurnInput } from "./replay-turn.js";

export { ReplayTurnSchema, type ReplayTurn, type ReplayTurnInput } from "./replay-turn.js";

export interface ReplayOptions {
  readonly name: string;
  readonly turns?: readonly ReplayTurnInput[];
  /** Computes the turn from the request instead of a fixed list (deterministic scripted models). */
  readonly respond?: (req: ChatRequest, turnIndex: number) => ReplayTurnInput;
  /** Start again from the first turn when the transcript is used up (default false: an error). */
  readonly loop?: boolean;
  readonly contextSize?: number;
}

export class ReplayProvider implements ModelProvider {
  readonly name: string;
  readonly contextSize?: number;
  private readonly turns: ReplayTurn[];
  private readonly cursors = new Map<string, number>();

  constructor(private readonly o: ReplayOptions) {
    this.name = o.name;
    if (o.contextSize !== undefined) this.contextSize = o.contextSize;
    this.turns = (o.turns ?? []).map((t, i) => {
      const p = ReplayTurnSchema.safeParse(t);
      if (!p.success) throw new AiosError("E_CONFIG", `model "${o.name}": replay turn ${i}: ${p.error.issues[0]?.path.join(".") ?? ""} ${p.error.issues[0]?.message ?? ""}`);
      return p.data;
    });
  }

  private next(req: ChatRequest, session: string): ReplayTurn {
    const i = this.cursors.get(session) ?? 0;
    this.cursors.set(session, i + 1);
    if (this.o.respond !== undefined) {
      const t = this.o.respond(req, i);
      // A plain turn is checked by hand (fast-checks.ts); zod decides anything else (errors included).
      return replayTurn(t) ?? ReplayTurnSchema.parse(t);
    }
    if (this.turns.length === 0) throw malformed(this.name, "the replay transcript is empty");
    const turn = this.o.loop === true ? this.turns[i % this.turns.length] : this.turns[i];
    if (turn === undefined) throw malformed(this.name, `the replay transcript has no turn ${i} (it has ${this.turns.length})`);
    return turn;
  }

  async chat(req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
    if (cancelledCall(opts)) throw cancelled(this.name);
    const turn = this.next(req, opts.session ?? "default");
    if (turn.error !== undefined) {
      throw new AiosError(turn.error.code as ErrorCode, `model "${this.name}": ${turn.error.message}`, {
        details: { model: this.name, ...(turn.error.retryAfterMs === undefined ? {} : { retryAfterMs: turn.error.retryAfterMs }) },
      });
    }
    const toolCalls = finalizeToolCalls(this.name, turn.toolCalls.map((c, i) => ({ id: c.id ?? `call_${i}`, name: c.name, arguments: c.args })), req.tools);
    const usage = turn.usage ?? {
      promptTokens: promptTokens(req.messages, req.tools, estimateTokens),
      completionTokens: estimateTokens(turn.text) + toolCalls.length * 8,
    };
    return { text: turn.text, toolCalls, usage, finishReason: toolCalls.length > 0 ? "tool_calls" : "stop", model: this.name };
  }

  async *stream(req: ChatRequest, opts: ChatOptions = {}): AsyncGenerator<ChatDelta> {
    const result = await this.chat(req, opts);
    for (const piece of result.text.match(/\S+\s*|\s+/g) ?? []) yield { type: "text", text: piece };
    let index = 0;
    for (const c of result.toolCalls) yield { type: "tool_call", index: index++, id: c.id, name: c.name, argsDelta: JSON.stringify(c.args) };
    yield { type: "done", result };
  }

  release(session: string): void {
    this.cursors.delete(session);
  }
}
