/**
 * The durable echo agent of the store figures: replies with what it got, counts what it handled.
 * Plain JavaScript (typed by echo.d.mts) so the restart child can load it under plain node beside
 * the compiled build as well as under tsx beside the sources: one copy for both.
 */
export const echo = {
  init: () => 0,
  receive(state, msg, ctx) {
    ctx.reply(msg);
    return state + 1;
  },
  snapshot: (s) => s,
  restore: (d) => Number(d),
};
