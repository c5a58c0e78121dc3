/**
 * The journal workload the store benchmarks share (`bench -- store`, `bench -- pg-store`): a
 * realistic record mix over 1,000 agents, their spawn records, and many producers each awaiting
 * durability of its own appends (group commit batches what they wait on together).
 */
import type { Journal, JournalRecord } from "../src/store/index.js";

export const AGENTS = 1000;

/** Record `i` of the mix: enqueue, intent, result, handled, over agents `ag_bench_<i mod 1000>`. */
export function record(i: number): JournalRecord {
  const agent = `ag_bench_${i % AGENTS}`;
  switch (i % 4) {
    case 0:
      return { t: "enqueue", id: `msg_${i}`, to: agent, payload: { text: "hello from the benchmark", n: i } };
    case 1:
      return { t: "intent", agent, callSeq: i, syscall: "ToolCall", args: { tool: "t", n: i } };
    case 2:
      return { t: "result", agent, callSeq: i - 1, result: { ok: true } };
    default:
      return { t: "handled", agent, msg: `msg_${i - 3}`, checkpoint: { count: i }, callSeq: i - 1 };
  }
}

/** Appends the spawn records of the 1,000 agents (not awaited one by one: one commit carries them). */
export async function spawnAgents(journal: Journal): Promise<void> {
  for (let a = 0; a < AGENTS; a++) void journal.append({ t: "spawn", agent: `ag_bench_${a}`, spec: { name: `b${a}` }, status: "running", callSeq: 0 });
  await journal.flush();
}

/** Records 0..n-1 appended by `producers` concurrent producers, each awaiting its append before the next. */
export async function produce(journal: Journal, n: number, producers: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < n) await journal.append(record(next++));
    }),
  );
}
