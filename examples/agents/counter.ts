/**
 * A durable counter (the demo's agent that survives `kill -9`). Messages `{ seq }` arrive numbered
 * 1, 2, 3...; it counts them and remembers the last, counting gaps (a lost message) and repeats (a
 * duplicate) separately. Its state is checkpointed after every message; restore() notes the count it
 * came back with, so a reader can tell a resumed counter from a fresh one. `{ type: "get" }` answers
 * the state. The logic is a module (not an object) so a new kernel can find it after a crash.
 */
import { z } from "zod";
import type { AgentLogic } from "../../src/abi/index.js";

export const CounterStateSchema = z.object({
  count: z.number().int(),
  last: z.number().int(),
  gaps: z.number().int(),
  repeats: z.number().int(),
  restoredFrom: z.number().int().optional(),
});
export type CounterState = z.infer<typeof CounterStateSchema>;

const Msg = z.union([z.object({ seq: z.number().int().positive() }), z.object({ type: z.literal("get") })]);

export const counter: AgentLogic<CounterState, unknown> = {
  init: () => ({ count: 0, last: 0, gaps: 0, repeats: 0 }),
  receive(s, raw, ctx) {
    const m = Msg.safeParse(raw);
    if (!m.success) return s;
    if ("type" in m.data) {
      ctx.reply(s);
      return s;
    }
    const seq = m.data.seq;
    if (seq <= s.last) return { ...s, repeats: s.repeats + 1 };
    return { ...s, count: s.count + 1, last: seq, gaps: s.gaps + (seq === s.last + 1 ? 0 : 1) };
  },
  snapshot: (s) => s,
  restore: (data) => {
    const s = CounterStateSchema.parse(data);
    return { ...s, restoredFrom: s.count };
  },
};

export default counter;
