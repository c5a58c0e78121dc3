/**
 * A scripted market worker (the demo's and the planner tests' bidders; no model, no network). It
 * joins the market on its first message (MarketJoin: a ledger wallet `agent:<id>`), answers every
 * call for proposals with its own MarketBid (its price, capped at the task's budget) or
 * MarketRefuse, and does the work it is awarded: it restates its inputs faithfully and reports with
 * MarketDone. `sloppyOn` lists task kinds where it cuts corners instead — it answers with invented
 * figures — which the critic should veto. Every step is a syscall through its ctx.sys.
 *   args: { price: micro-credits (number or string), quality?: 0..1, timeMs?: number,
 *           kinds?: string[] (what it bids on; default all), sloppyOn?: string[], delayMs?: number }
 */
import { z } from "zod";
import { isAiosError } from "../../src/core/index.js";
import type { AgentContext, AgentLogic } from "../../src/abi/index.js";

const Args = z.object({
  price: z.union([z.number().int().positive(), z.string().regex(/^[0-9]+$/)]).transform(String),
  quality: z.number().min(0).max(1).default(0.9),
  timeMs: z.number().int().min(0).default(1000),
  kinds: z.array(z.string()).default([]),
  sloppyOn: z.array(z.string()).default([]),
  /** Simulated working time before it reports (ms of real time; the crash test needs work in flight). */
  delayMs: z.number().int().min(0).max(60_000).default(0),
});

const Msg = z.discriminatedUnion("performative", [
  z.object({ performative: z.literal("cfp"), taskId: z.string(), kind: z.string(), budget: z.string() }),
  z.object({ performative: z.literal("accept-proposal"), taskId: z.string(), kind: z.string(), inputs: z.record(z.string(), z.unknown()).default({}) }),
]);

export interface MarketWorkerState {
  readonly args: z.output<typeof Args>;
  readonly account?: string;
  readonly bids: number;
  readonly done: number;
}

const errorOf = (e: unknown): { code: string; message: string } => (isAiosError(e) ? { code: e.code, message: e.message } : { code: "E_INTERNAL", message: String(e) });

/** The text of an input: a string, or an object's `text` field. */
function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && typeof (v as { text?: unknown }).text === "string") return (v as { text: string }).text;
  return "";
}

async function joined(state: MarketWorkerState, ctx: AgentContext): Promise<MarketWorkerState> {
  if (state.account !== undefined) return state;
  const r = await ctx.sys.MarketJoin(state.args.kinds.length === 0 ? {} : { kinds: state.args.kinds });
  return { ...state, account: r.account };
}

export const marketWorker: AgentLogic<MarketWorkerState, unknown> = {
  async init(ctx, raw) {
    const args = Args.parse(raw ?? {});
    return joined({ args, bids: 0, done: 0 }, ctx);
  },
  async receive(state0, raw, ctx) {
    const m = Msg.safeParse(raw);
    if (!m.success) {
      ctx.reply({ error: { code: "E_INVALID_ARG", message: `message: ${m.error.issues[0]?.message ?? "invalid"}` } });
      return state0;
    }
    const state = await joined(state0, ctx);
    const msg = m.data;
    try {
      if (msg.performative === "cfp") {
        if (BigInt(state.args.price) > BigInt(msg.budget)) {
          await ctx.sys.MarketRefuse({ taskId: msg.taskId, reason: `my price ${state.args.price} is above the budget ${msg.budget}` });
          ctx.reply({ refused: true });
          return state;
        }
        await ctx.sys.MarketBid({ taskId: msg.taskId, account: state.account ?? "", price: state.args.price, quality: state.args.quality, timeMs: state.args.timeMs });
        ctx.reply({ bid: state.args.price });
        return { ...state, bids: state.bids + 1 };
      }
      const sources = Object.values(msg.inputs).map(textOf).filter((t) => t !== "");
      const text = state.args.sloppyOn.includes(msg.kind)
        ? "In short: about 42 percent, maybe 17 more; the rest hardly matters and was skipped."
        : sources.join(" ");
      if (state.args.delayMs > 0) await new Promise((res) => setTimeout(res, state.args.delayMs));
      await ctx.sys.MarketDone({ taskId: msg.taskId, result: { text } });
      ctx.reply({ done: true });
      return { ...state, done: state.done + 1 };
    } catch (e) {
      ctx.reply({ error: errorOf(e) });
      return state;
    }
  },
};

export default marketWorker;
