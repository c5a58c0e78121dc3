/**
 * A code worker for the demo and for `aios run examples/specs/worker.yaml`. It answers requests
 * (`square`), asks another agent and relays the answer (`ask`: agent-to-agent request and reply),
 * keeps notes (`note`, `stats`), crashes on a `poison` message (so its supervisor restarts it), and
 * tries tools through its only way out, ctx.sys (`read`: a file.read ToolCall; `story`: LlmInvoke).
 * Messages are parsed with zod: a malformed one is answered with E_INVALID_ARG, never a crash.
 */
import { z } from "zod";
import { isAiosError, type AgentId } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";

const Msg = z.discriminatedUnion("type", [
  z.object({ type: z.literal("square"), n: z.number() }),
  z.object({ type: z.literal("ask"), to: z.string(), n: z.number() }),
  z.object({ type: z.literal("note"), text: z.string() }),
  z.object({ type: z.literal("stats") }),
  z.object({ type: z.literal("poison") }),
  z.object({ type: z.literal("read"), path: z.string() }),
  z.object({ type: z.literal("story"), prompt: z.string(), model: z.string(), maxTokens: z.number().int().positive().optional() }),
]);

const LlmAnswer = z.object({ text: z.string(), usage: z.unknown() });

/** `aios run --goal` hands a code agent text; JSON text is read as the message it spells. */
function decode(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export interface WorkerState {
  readonly handled: number;
  readonly notes: readonly string[];
}

const errorOf = (e: unknown): { code: string; message: string } =>
  isAiosError(e) ? { code: e.code, message: e.message } : { code: "E_INTERNAL", message: String(e) };

export const worker: AgentLogic<WorkerState, unknown> = {
  init: () => ({ handled: 0, notes: [] }),
  async receive(state, raw, ctx) {
    const parsed = Msg.safeParse(decode(raw));
    if (!parsed.success) {
      ctx.reply({ error: { code: "E_INVALID_ARG", message: `message: ${parsed.error.issues[0]?.message ?? "invalid"}` } });
      return state;
    }
    const m = parsed.data;
    const next = { ...state, handled: state.handled + 1 };
    switch (m.type) {
      case "square":
        ctx.reply(m.n * m.n);
        return next;
      case "ask": {
        try {
          const answer = await ctx.request(m.to as AgentId, { type: "square", n: m.n }, { timeoutMs: 5_000 });
          ctx.reply({ asked: m.to, answer });
        } catch (e) {
          ctx.reply({ asked: m.to, error: errorOf(e) });
        }
        return next;
      }
      case "note":
        return { ...next, notes: [...state.notes, m.text] };
      case "stats":
        ctx.reply({ handled: state.handled, notes: state.notes });
        return next;
      case "poison":
        throw new Error("poison message: this worker cannot digest it");
      case "read":
        try {
          const r = await ctx.sys.ToolCall({ tool: "file.read", args: { path: m.path } });
          ctx.reply({ ok: true, result: r });
        } catch (e) {
          ctx.reply({ ok: false, error: errorOf(e) });
        }
        return next;
      case "story":
        try {
          // maxTokens is the models module's extra LlmInvoke field (not in the kernel's arg type).
          const args = { model: m.model, messages: [{ role: "user", content: m.prompt }], ...(m.maxTokens === undefined ? {} : { maxTokens: m.maxTokens }) };
          const r = LlmAnswer.parse(await ctx.sys.LlmInvoke(args));
          ctx.reply({ ok: true, text: r.text, usage: r.usage });
        } catch (e) {
          ctx.reply({ ok: false, error: errorOf(e) });
        }
        return next;
    }
  },
};

export default worker;
