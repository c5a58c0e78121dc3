/** The durable echo agent of the store figures: replies with what it got, counts what it handled. */
import type { AgentLogic } from "../../src/abi/index.js";

export const echo: AgentLogic<number, unknown> = {
  init: () => 0,
  receive(state, msg, ctx) {
    ctx.reply(msg);
    return state + 1;
  },
  snapshot: (s) => s,
  restore: (d) => Number(d),
};
