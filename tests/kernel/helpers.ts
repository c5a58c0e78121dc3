import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
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

/**
 * Runs a measuring fixture (tests/kernel/fixtures/<name>) in a process of its own through tsx, as
 * users run the source, and returns the figure it prints on a line `<label> <n>`. The child must
 * exit 0 and write nothing to stderr.
 */
export function fixtureFigure(name: string, label: string, args: readonly string[], nodeFlags: readonly string[] = []): number {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const r = spawnSync(process.execPath, [...nodeFlags, "--import", "tsx", script, ...args], { encoding: "utf8", timeout: 100_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const m = new RegExp(`^${label} (\\S+)$`, "m").exec(r.stdout);
  expect(m).not.toBeNull();
  return Number(m?.[1]);
}
