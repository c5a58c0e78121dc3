/**
 * The models module's event types, added to the kernel's typed EventDataMap. Token events are only
 * built when someone subscribes (bus.wants), so streaming costs nothing when nobody listens.
 */
export {};

declare module "../core/index.js" {
  interface EventDataMap {
    "model.token": { model: string; text: string };
    "model.call": { model: string; backend: string; promptTokens: number; completionTokens: number; cost: number; durationMs: number };
    "model.retry": { backend: string; attempt: number; delayMs: number; code: string };
    "model.fallback": { from: string; to: string; code: string };
    "model.breaker": { backend: string; state: "closed" | "open" | "half_open" };
    "llm.step": { step: number; toolCalls: string[]; finishReason: string };
    "llm.repair": { attempt: number; reason: string };
    "llm.loop": { tool: string; repeats: number };
    "llm.context": { strategy: string; dropped: number; tokensBefore: number; tokensAfter: number };
  }
}
