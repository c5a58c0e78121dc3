import { SimulatedClock, flushMicrotasks, boot, type Aios, type AgentLogic, type AnyKernelEvent, type EventFilter } from "../../src/index.js";

export async function bootSim(options: Parameters<typeof boot>[0] = {}): Promise<{ os: Aios; clock: SimulatedClock }> {
  const clock = new SimulatedClock();
  const os = await boot({ stack: "bare", clock, ...options });
  return { os, clock };
}

/** Lets the run loop, promise reactions and event deliveries run. */
export async function settle(rounds = 5): Promise<void> {
  await flushMicrotasks(rounds);
}

/** Records events matching the filter. */
export function record(os: Aios, filter: EventFilter = {}): AnyKernelEvent[] {
  const seen: AnyKernelEvent[] = [];
  os.events.subscribe(filter, (e) => {
    seen.push(e);
  });
  return seen;
}

/** A logic that counts messages, crashes on "boom", stops on "stop" and answers requests with its count. */
export const counter: AgentLogic<number> = {
  init: () => 0,
  receive: (n, m, ctx) => {
    if (m === "boom") throw new Error("boom");
    if (m === "stop") return { ...stopValue(n + 1) };
    ctx.reply(n + 1);
    return n + 1;
  },
};

/** Counts messages; "get" answers the count without counting itself. Durable: snapshot and restore. */
export const tally: AgentLogic<number> = {
  init: () => 0,
  receive: (n, m, ctx) => {
    if (m === "get") {
      ctx.reply(n);
      return n;
    }
    return n + 1;
  },
  snapshot: (n) => ({ n }),
  restore: (d) => (d as { n: number }).n,
};

import { stop } from "../../src/index.js";
function stopValue(n: number): ReturnType<typeof stop> {
  return stop(n);
}
