import { SimulatedClock, boot, flushMicrotasks, type Aios, type AgentLogic } from "../../src/index.js";
import { ipcSubsystem, type Ipc, type IntentEmbedder, type IpcSubsystemOptions } from "../../src/ipc/index.js";

/** A deterministic bag-of-words embedder: each word hashes to one of `dimensions` buckets. */
export function wordEmbedder(dimensions = 64): IntentEmbedder {
  const hash = (w: string): number => {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
    return (h >>> 0) % dimensions;
  };
  return {
    dimensions,
    embed: async (texts) =>
      texts.map((t) => {
        const v = new Float32Array(dimensions);
        for (const w of t.toLowerCase().split(/[^a-z0-9]+/).filter((x) => x.length > 2)) { const i = hash(w); v[i] = (v[i] ?? 0) + 1; }
        return v;
      }),
  };
}

export async function bootIpc(options: IpcSubsystemOptions = {}): Promise<{ os: Aios; clock: SimulatedClock; plugin: { ipc: Ipc } }> {
  const clock = new SimulatedClock();
  const os = await boot({ stack: "bare", clock, add: [ipcSubsystem(options)], hogThresholdMs: 0 });
  return { os, clock, plugin: { ipc: os.subsystems.ipc! } };
}

export const settle = (rounds = 5): Promise<void> => flushMicrotasks(rounds);

/** Records every message it receives; answers requests with `{ echo: payload }`. */
export function recorder(seen: unknown[]): AgentLogic<null> {
  return {
    init: () => null,
    receive: (s, m, ctx) => {
      seen.push(m);
      const payload = typeof m === "object" && m !== null && "payload" in m ? (m).payload : m;
      ctx.reply({ echo: payload });
      return s;
    },
  };
}

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
